package proxyproto

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// v2 builds a version 2 header: version/command, family/transport, then
// body (addresses and TLVs).
func v2(verCmd, famTrans byte, body ...[]byte) []byte {
	b := append([]byte(nil), signature...)
	var all []byte
	for _, p := range body {
		all = append(all, p...)
	}
	b = append(b, verCmd, famTrans)
	b = binary.BigEndian.AppendUint16(b, uint16(len(all)))
	return append(b, all...)
}

func inet4(src, dst string, sp, dp uint16) []byte {
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	b := append(s[:], d[:]...)
	b = binary.BigEndian.AppendUint16(b, sp)
	return binary.BigEndian.AppendUint16(b, dp)
}

func inet6(src, dst string, sp, dp uint16) []byte {
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	b := append(s[:], d[:]...)
	b = binary.BigEndian.AppendUint16(b, sp)
	return binary.BigEndian.AppendUint16(b, dp)
}

func TestParse(t *testing.T) {
	const req = "GET / HTTP/1.0\r\n\r\n"
	tlv := []byte{0x01, 0x00, 0x02, 'h', '2'}
	tests := []struct {
		name string
		in   []byte
		want Header
		n    int    // bytes taken; -1 for an error
		log  string // the error's log line
	}{
		{name: "tcp4", in: []byte("PROXY TCP4 192.0.2.1 192.0.2.2 123 5678\r\n" + req),
			want: Header{Known: true, SrcAddr: "192.0.2.1", DstAddr: "192.0.2.2", SrcPort: 123, DstPort: 5678}, n: 41},
		{name: "tcp6 kept as sent", in: []byte("PROXY TCP6 2001:Db8::1 2001:Db8::2 123 5678\r\n"),
			want: Header{Known: true, SrcAddr: "2001:Db8::1", DstAddr: "2001:Db8::2", SrcPort: 123, DstPort: 5678}, n: 45},
		{name: "family not checked", in: []byte("PROXY TCP4 ::1 ::2 0 65535\r\n"),
			want: Header{Known: true, SrcAddr: "::1", DstAddr: "::2", SrcPort: 0, DstPort: 65535}, n: 28},
		{name: "header alone", in: []byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
			want: Header{Known: true, SrcAddr: "1.2.3.4", DstAddr: "5.6.7.8", SrcPort: 1, DstPort: 2}, n: 32},
		{name: "unknown", in: []byte("PROXY UNKNOWN\r\n" + req), n: 15},
		{name: "unknown with addresses", in: []byte("PROXY UNKNOWN 1 2 3 4 5 6\r\n" + req), n: 27},
		{name: "unknown without end", in: []byte("PROXY UNKNOWN 1 2"), n: -1, log: `broken header: "PROXY UNKNOWN 1 2"`},
		{name: "not proxy", in: []byte(req), n: -1, log: `broken header: "GET / HTTP/1.0"`},
		{name: "short", in: []byte("PROXY "), n: -1, log: `broken header: "PROXY "`},
		{name: "lower case", in: []byte("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), n: -1, log: `broken header: "proxy TCP4 1.2.3.4 5.6.7.8 1 2"`},
		{name: "tcp5", in: []byte("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"), n: -1, log: `broken header: "PROXY TCP5 1.2.3.4 5.6.7.8 1 2"`},
		{name: "bad address char", in: []byte("PROXY TCP4 1.2.3.x 5.6.7.8 1 2\r\n"), n: -1, log: `broken header: "PROXY TCP4 1.2.3.x 5.6.7.8 1 2"`},
		{name: "port too big", in: []byte("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"), n: -1, log: `broken header: "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2"`},
		{name: "empty port", in: []byte("PROXY TCP4 1.2.3.4 5.6.7.8  2\r\n"), n: -1, log: `broken header: "PROXY TCP4 1.2.3.4 5.6.7.8  2"`},
		{name: "port not digits", in: []byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2x\r\n"), n: -1, log: `broken header: "PROXY TCP4 1.2.3.4 5.6.7.8 1 2x"`},
		{name: "no LF", in: []byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"), n: -1, log: `broken header: "PROXY TCP4 1.2.3.4 5.6.7.8 1 2"`},
		{name: "LF only", in: []byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), n: -1, log: `broken header: "PROXY TCP4 1.2.3.4 5.6.7.8 1 2"`},
		{name: "cut short", in: []byte("PROXY TCP4 1.2.3.4 5.6"), n: -1, log: `broken header: "PROXY TCP4 1.2.3.4 5.6"`},

		{name: "v2 tcp4", in: append(v2(0x21, 0x11, inet4("192.0.2.1", "192.0.2.2", 123, 5678)), req...),
			want: Header{Known: true, SrcAddr: "192.0.2.1", DstAddr: "192.0.2.2", SrcPort: 123, DstPort: 5678}, n: 28},
		{name: "v2 tcp6", in: v2(0x21, 0x21, inet6("2001:db8::1", "2001:db8::2", 123, 5678)),
			want: Header{Known: true, SrcAddr: "2001:db8::1", DstAddr: "2001:db8::2", SrcPort: 123, DstPort: 5678}, n: 52},
		{name: "v2 tlv kept", in: v2(0x21, 0x11, inet4("192.0.2.1", "192.0.2.2", 1, 2), tlv),
			want: Header{Known: true, SrcAddr: "192.0.2.1", DstAddr: "192.0.2.2", SrcPort: 1, DstPort: 2, TLVs: tlv}, n: 33},
		{name: "v2 local", in: append(v2(0x20, 0x00), req...), n: 16},
		{name: "v2 unspec family", in: v2(0x21, 0x01, []byte{0, 0}), n: 18},
		{name: "v2 unix family", in: v2(0x21, 0x31, make([]byte, 216)), n: 232},
		{name: "v2 datagram", in: v2(0x21, 0x12, inet4("192.0.2.1", "192.0.2.2", 1, 2)), n: 28},
		{name: "v2 the test's unknown 1", in: append(append(append([]byte(nil), signature...), 0x21, 0x01, 0, 0), req...), n: 16},
		{name: "v2 version 3", in: v2(0x31, 0x11, inet4("1.2.3.4", "5.6.7.8", 1, 2)), n: -1, log: "unknown PROXY protocol version: 3"},
		{name: "v2 length beyond the read", in: v2(0x21, 0x11, inet4("1.2.3.4", "5.6.7.8", 1, 2))[:27], n: -1, log: "header is too large"},
		{name: "v2 addresses short", in: v2(0x21, 0x11, make([]byte, 11)), n: -1, log: ""},
		{name: "v2 ipv6 addresses short", in: v2(0x21, 0x21, make([]byte, 35)), n: -1, log: ""},
		{name: "v2 signature cut", in: []byte("\r\n\r\n\x00\r\nQUIT\n\x21"), n: -1, log: "broken header: \"\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n, err := Parse(tt.in)
			if tt.n < 0 {
				e, ok := err.(*Error)
				if !ok {
					t.Fatalf("Parse = %+v, %d, %v; want an *Error", h, n, err)
				}
				if e.Log != tt.log {
					t.Errorf("log %q, want %q", e.Log, tt.log)
				}
				if n != 0 || !reflect.DeepEqual(h, Header{}) {
					t.Errorf("an error with %+v, %d", h, n)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if n != tt.n || !reflect.DeepEqual(h, tt.want) {
				t.Errorf("Parse = %+v, %d; want %+v, %d", h, n, tt.want, tt.n)
			}
		})
	}
}

// TestParseCopies: nothing the header holds points into the buffer read.
func TestParseCopies(t *testing.T) {
	in := v2(0x21, 0x11, inet4("192.0.2.1", "192.0.2.2", 1, 2), []byte{0x05, 0x00, 0x01, 'x'})
	h, _, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i] = 0
	}
	if h.TLVs[3] != 'x' || h.SrcAddr != "192.0.2.1" {
		t.Errorf("header changed with its input: %+v", h)
	}
}

func TestNtop6(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"documentation", "2001:db8::1", "2001:db8::1"},
		{"all zero", "::", "::"},
		{"loopback", "::1", "::1"},
		{"mapped", "::ffff:192.0.2.1", "::ffff:192.0.2.1"},
		{"compatible", "::192.0.2.1", "::192.0.2.1"},
		{"compatible short", "::0.0.1.2", "::0.0.1.2"},
		{"single zero group kept", "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
		{"first longest run", "2001:0:0:1:0:0:1:1", "2001::1:0:0:1:1"},
		{"longer run later", "2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
		{"trailing run", "2001:db8::", "2001:db8::"},
		{"no run", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
		{"upper hex lowered", "ABCD::EF", "abcd::ef"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := netip.MustParseAddr(tt.in).As16()
			if got := ntop6(a[:]); got != tt.want {
				t.Errorf("ntop6(%s) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("PROXY TCP4 192.0.2.1 192.0.2.2 123 5678\r\nGET / HTTP/1.0\r\n\r\n"))
	f.Add([]byte("PROXY TCP6 2001:Db8::1 2001:Db8::2 123 5678\r\n"))
	f.Add([]byte("PROXY UNKNOWN 1 2 3 4 5 6\r\n"))
	f.Add(v2(0x21, 0x11, inet4("192.0.2.1", "192.0.2.2", 123, 5678), make([]byte, 9)))
	f.Add(v2(0x21, 0x21, inet6("2001:db8::1", "::ffff:1.2.3.4", 123, 5678)))
	f.Add(v2(0x20, 0x00))
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		h, n, err := Parse(b)
		if !bytes.Equal(in, b) {
			t.Fatal("Parse changed its input")
		}
		if err != nil {
			if n != 0 || !reflect.DeepEqual(h, Header{}) {
				t.Fatalf("error %v with %+v, %d", err, h, n)
			}
			e := err.(*Error)
			if strings.HasPrefix(e.Log, "broken header: ") && bytes.ContainsAny([]byte(e.Log), "\r\n") {
				t.Fatalf("log line holds a line end: %q", e.Log)
			}
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("took %d of %d bytes", n, len(b))
		}
		if !h.Known {
			if h.SrcAddr != "" || h.DstAddr != "" || h.SrcPort != 0 || h.DstPort != 0 || h.TLVs != nil {
				t.Fatalf("unknown header with fields: %+v", h)
			}
			return
		}
		if h.SrcPort < 0 || h.SrcPort > 65535 || h.DstPort < 0 || h.DstPort > 65535 {
			t.Fatalf("port out of range: %+v", h)
		}
		if bytes.HasPrefix(b, signature) {
			// version 2 addresses are formatted: they parse back
			for _, a := range []string{h.SrcAddr, h.DstAddr} {
				if _, err := netip.ParseAddr(a); err != nil {
					t.Fatalf("v2 address %q: %v", a, err)
				}
			}
			return
		}
		if b[n-2] != '\r' || b[n-1] != '\n' {
			t.Fatalf("v1 header does not end with CRLF: %q", b[:n])
		}
	})
}

func tlvBytes(t byte, v string) []byte {
	b := []byte{t}
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

func TestTLV(t *testing.T) {
	sub := append(tlvBytes(0x21, "TLSv1.2"), tlvBytes(0x22, "example.com")...)
	ssl := append([]byte{0x01, 0, 0, 0, 255}, sub...)
	var tlvs []byte
	for _, p := range [][]byte{tlvBytes(0x01, "ALPN1"), tlvBytes(0x02, "localhost"), tlvBytes(0x03, "4321"),
		tlvBytes(0x05, "UNIQQ"), tlvBytes(0x20, string(ssl)), tlvBytes(0x30, "NETNS"), tlvBytes(0xae, "12345")} {
		tlvs = append(tlvs, p...)
	}
	h := &Header{Known: true, TLVs: tlvs}
	broken := &Header{Known: true, TLVs: append(tlvBytes(0x01, "x"), 0x02, 0x00, 0x09, 'y')}
	shortSSL := &Header{Known: true, TLVs: tlvBytes(0x20, "\x01\x00")}
	tests := []struct {
		name, tlv string
		h         *Header
		value     string
		found     bool
		log       string
	}{
		{"alpn", "alpn", h, "ALPN1", true, ""},
		{"by type", "0x01", h, "ALPN1", true, ""},
		{"authority", "authority", h, "localhost", true, ""},
		{"crc32c by type only", "0x3", h, "4321", true, ""},
		{"unique_id", "unique_id", h, "UNIQQ", true, ""},
		{"netns", "netns", h, "NETNS", true, ""},
		{"leading zeros", "0x000ae", h, "12345", true, ""},
		{"upper hex", "0xAE", h, "12345", true, ""},
		{"absent type", "0x0f", h, "", false, ""},
		{"type beyond a byte", "0x1ae", h, "", false, ""},
		{"ssl verify", "ssl_verify", h, "255", true, ""},
		{"ssl version", "ssl_version", h, "TLSv1.2", true, ""},
		{"ssl by type", "ssl_0x22", h, "example.com", true, ""},
		{"ssl absent", "ssl_cipher", h, "", false, ""},
		{"ssl itself", "ssl", h, string(ssl), true, ""},
		{"unknown name", "crc32c", h, "", false, `unknown PROXY protocol TLV "crc32c"`},
		{"unknown ssl name", "ssl_foo", h, "", false, `unknown PROXY protocol TLV "ssl_foo"`},
		{"bad hex", "0xzz", h, "", false, `invalid PROXY protocol TLV "0xzz"`},
		{"empty hex", "0x", h, "", false, `invalid PROXY protocol TLV "0x"`},
		{"found before the break", "0x01", broken, "x", true, ""},
		{"broken", "0x02", broken, "", false, "broken PROXY protocol TLV"},
		{"short ssl", "ssl_verify", shortSSL, "", false, ""},
		{"no ssl", "ssl_verify", &Header{Known: true}, "", false, ""},
		{"no header", "alpn", nil, "", false, ""},
		{"unknown header", "alpn", &Header{}, "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, found, log := tt.h.TLV(tt.tlv)
			if v != tt.value || found != tt.found || log != tt.log {
				t.Errorf("TLV(%q) = %q, %v, %q; want %q, %v, %q", tt.tlv, v, found, log, tt.value, tt.found, tt.log)
			}
		})
	}
}
