package grpc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/http2/hpack"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

func rawFrame(typ, flags byte, stream uint32, payload string) string {
	return string(appendFrameHeader(nil, len(payload), typ, flags, stream)) + payload
}

// TestFrameParser: headers parsed whole and byte by byte agree; a frame
// over 16 KiB is refused as soon as its length is in.
func TestFrameParser(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want frameHeader
		err  string
	}{
		{name: "settings", in: rawFrame(frameSettings, 0, 0, ""), want: frameHeader{Type: frameSettings}},
		{name: "headers", in: rawFrame(frameHeaders, flagEndHeaders|flagEndStream, 1, "abc")[:9], want: frameHeader{Length: 3, Type: frameHeaders, Flags: 5, StreamID: 1}},
		{name: "reserved bit", in: "\x00\x00\x04\x08\x00\x80\x00\x00\x03", want: frameHeader{Length: 4, Type: frameWindowUpdate, StreamID: 3}},
		{name: "largest", in: "\x00\x40\x00\x00\x00\x00\x00\x00\x01", want: frameHeader{Length: 16384, StreamID: 1}},
		{name: "too large", in: "\x00\x40\x01\x00", err: "upstream sent too large http2 frame: 16385"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, step := range []int{len(tc.in), 1} {
				var p frameParser
				var err error
				ok := false
				for i := 0; i < len(tc.in) && err == nil && !ok; i += step {
					_, ok, err = p.Parse([]byte(tc.in[i:min(i+step, len(tc.in))]))
				}
				if tc.err != "" {
					if err == nil || err.Error() != tc.err {
						t.Fatalf("step %d: error %v, want %q", step, err, tc.err)
					}
					continue
				}
				if err != nil || !ok || p.Head != tc.want || p.Rest != tc.want.Length {
					t.Fatalf("step %d: %+v ok=%v err=%v, want %+v", step, p.Head, ok, err, tc.want)
				}
			}
		})
	}
}

// TestAppendString: Huffman only when shorter, names lowercased, HPACK
// integers past the prefix.
func TestAppendString(t *testing.T) {
	tests := []struct {
		name  string
		s     string
		lower bool
	}{
		{name: "empty", s: ""},
		{name: "huffman", s: "application/grpc"},
		{name: "raw", s: "\x01\x02\x03"},
		{name: "lower", s: "X-Test-Header", lower: true},
		{name: "long", s: strings.Repeat("\xfe", 300)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := appendLiteral(nil, "n", tc.s)
			if tc.lower {
				b = appendLiteral(nil, tc.s, "v")
			}
			var got []hpack.HeaderField
			d := hpack.NewDecoder(4096, func(f hpack.HeaderField) { got = append(got, f) })
			if _, err := d.Write(b); err != nil {
				t.Fatal(err)
			}
			want := hpack.HeaderField{Name: "n", Value: tc.s}
			if tc.lower {
				want = hpack.HeaderField{Name: strings.ToLower(tc.s), Value: "v"}
			}
			if len(got) != 1 || got[0] != want {
				t.Fatalf("got %v, want %v", got, want)
			}
			huff := int(hpack.HuffmanEncodeLength(tc.s)) < len(tc.s)
			if tc.s != "" && !tc.lower && (b[2+len("n")]&0x80 != 0) != huff {
				t.Fatalf("huffman flag %x, want huffman=%v", b[3], huff)
			}
		})
	}
}

// TestFieldDecoder: fields fed whole and byte by byte decode the same;
// nginx's errors.
func TestFieldDecoder(t *testing.T) {
	huff := hpack.AppendHuffmanString(nil, "custom-value")
	tests := []struct {
		name string
		in   string
		want []string
		err  string
	}{
		{name: "indexed status", in: "\x88", want: []string{":status", "200"}},
		{name: "static name literal value", in: "\x5f\x03abc", want: []string{"content-type", "abc"}},
		{name: "never indexed new name", in: "\x10\x01x\x01y", want: []string{"x", "y"}},
		{name: "index past prefix", in: "\x0f\x10\x01v", want: []string{"content-type", "v"}},
		{name: "huffman value", in: "\x00\x01a" + string([]byte{byte(0x80 | len(huff))}) + string(huff), want: []string{"a", "custom-value"}},
		{name: "long length", in: "\x00\x01a\x7f\x01" + strings.Repeat("z", 128), want: []string{"a", strings.Repeat("z", 128)}},
		{name: "empty value", in: "\x00\x01a\x00", want: []string{"a", ""}},
		{name: "size update zero", in: "\x20\x88", want: []string{":status", "200"}},
		{name: "index zero", in: "\x80", err: "upstream sent invalid http2 table index: 0"},
		{name: "dynamic index", in: "\xbe", err: "upstream sent invalid http2 table index: 62"},
		{name: "literal dynamic index", in: "\x7f\x00", err: "upstream sent invalid http2 table index: 63"},
		{name: "index continuation", in: "\x0f\x80", err: "upstream sent http2 table index with continuation flag"},
		{name: "size update", in: "\x3f", err: "upstream sent invalid http2 dynamic table size update: 31"},
		{name: "zero name", in: "\x00\x00", err: "upstream sent zero http2 header name length"},
		{name: "name too long", in: "\x00\x7f\xff\xff\xff", err: "upstream sent too large http2 header name length"},
		{name: "value too long", in: "\x00\x01a\x7f\xff\xff\xff", err: "upstream sent too large http2 header value length"},
		{name: "bad huffman", in: "\x00\x01a\x84\xff\xff\xff\xff", err: "upstream sent invalid encoded header"},
		{name: "uppercase name", in: "\x00\x01A\x01v", err: "upstream sent invalid header: \"A: v\""},
		{name: "colon inside name", in: "\x00\x03a:b\x01v", err: "upstream sent invalid header: \"a:b: v\""},
		{name: "newline in value", in: "\x00\x01a\x02\r\n", err: "upstream sent invalid header: \"a: \r\n\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, step := range []int{len(tc.in), 1} {
				var d fieldDecoder
				var got []string
				emit := func(n, v string) error { got = append(got, n, v); return nil }
				var err error
				for i := 0; i < len(tc.in) && err == nil; i += step {
					err = d.Write([]byte(tc.in[i:min(i+step, len(tc.in))]), emit)
				}
				if tc.err != "" {
					if err == nil || err.Error() != tc.err {
						t.Fatalf("step %d: error %v, want %q", step, err, tc.err)
					}
					continue
				}
				if err != nil || d.Pending() || fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Fatalf("step %d: got %q pending=%v err=%v, want %q", step, got, d.Pending(), err, tc.want)
				}
			}
		})
	}
}

// newTestProto is a protocol on stream 1 of a new connection, as after
// Connected, with an empty body already sent.
func newTestProto() *proto {
	p := &proto{id: 1, length: -1, sendWindow: defaultWindow, recvWindow: maxWindow, outputClosed: true,
		conn: &connState{initWindow: defaultWindow, sendWindow: defaultWindow, recvWindow: maxWindow, lastStreamID: 1}}
	return p
}

// outcome runs a response through ProcessHeader, InitBody and
// FilterBody, fed in pieces of step bytes: the head, the body, and how it
// ended.
func outcome(resp []byte, step int) (head, body, end string) {
	p := newTestProto()
	u := upstream.Bare(4096)
	var res upstream.HeaderResult
	i := 0
	for res == upstream.NeedMore {
		if i >= len(resp) {
			return "need more", "", ""
		}
		k := min(step, len(resp)-i, len(u.Buffer)-u.Last)
		if k == 0 {
			return "too big header", "", ""
		}
		u.Feed(resp[i : i+k])
		i += k
		res = p.ProcessHeader(u)
	}
	if res != upstream.HeaderDone {
		return fmt.Sprintf("head %d", res), "", ""
	}
	head = fmt.Sprintf("status %d headers %v cl %d", u.HeadersIn.StatusN, u.HeadersIn.List, u.HeadersIn.ContentLengthN)
	if err := p.initBodyBare(u); err != nil {
		return head, "", "init error"
	}
	rest := append(u.Buffer[u.Pos:u.Last:u.Last], resp[i:]...)
	var b strings.Builder
	j := 0
	for ; j < len(rest) && u.Length != 0; j += step {
		u.Out = u.Out[:0]
		if err := p.FilterBody(u, rest[j:min(j+step, len(rest))]); err != nil {
			return head, "", "body error"
		}
		b.WriteString(pieces(u.Out))
	}
	keep := fmt.Sprint(u.Keepalive)
	if j < len(rest) {
		// the framework reads no further once the body is complete:
		// whether bytes after the end came in the same read decides
		// keepalive, as with nginx
		keep = "unread"
	}
	return head, b.String(), fmt.Sprintf("length %d keepalive %s trailers %v", u.Length, keep, u.HeadersIn.Trailers)
}

func pieces(out [][]byte) string {
	var s []byte
	for _, p := range out {
		s = append(s, p...)
	}
	return string(s)
}

// initBodyBare is InitBody without a request (the unit tests' Upstream
// has none): GET.
func (p *proto) initBodyBare(u *upstream.Upstream) error {
	u.R = &httpd.Request{MethodBit: httpd.MethodGET}
	defer func() { u.R = nil }()
	p.u = u
	return p.InitBody(u)
}

func hf(end bool, fields ...string) string {
	var b []byte
	for i := 0; i+1 < len(fields); i += 2 {
		b = appendLiteral(b, fields[i], fields[i+1])
	}
	flags := byte(flagEndHeaders)
	if end {
		flags |= flagEndStream
	}
	return rawFrame(frameHeaders, flags, 1, string(b))
}

// TestResponse: whole responses, fed at once and one byte at a time,
// give the same head, body, trailers and keepalive decision.
func TestResponse(t *testing.T) {
	settings := rawFrame(frameSettings, 0, 0, "\x00\x04\x00\x01\x00\x00")
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "unary", in: settings + hf(false, ":status", "200", "content-type", "application/grpc") +
			rawFrame(frameData, 0, 1, "\x00\x00\x00\x00\x02hi") + hf(true, "grpc-status", "0"),
			want: "status 200 headers [{content-type application/grpc false}] cl -1 \x00\x00\x00\x00\x02hi length 0 keepalive true trailers [{grpc-status 0 false}]"},
		{name: "headers only", in: hf(true, ":status", "204"), want: "status 204 headers [] cl 0 length 0 keepalive true trailers []"},
		{name: "ping between", in: hf(false, ":status", "200") + rawFrame(framePing, 0, 0, "abcdefgh") + rawFrame(frameData, 1, 1, "x"),
			want: "status 200 headers [] cl -1 x length 0 keepalive true trailers []"},
		{name: "goaway after", in: hf(false, ":status", "200") + rawFrame(frameGoaway, 0, 0, "\x00\x00\x00\x01\x00\x00\x00\x00") + rawFrame(frameData, 1, 1, "x"),
			want: "status 200 headers [] cl -1 x length 0 keepalive false trailers []"},
		{name: "content length", in: hf(false, ":status", "200", "content-length", "2") + rawFrame(frameData, 1, 1, "ab"),
			want: "status 200 headers [{content-length 2 false}] cl 2 ab length 0 keepalive true trailers []"},
		{name: "rst", in: rawFrame(frameRSTStream, 0, 1, "\x00\x00\x00\x07"), want: "head 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, step := range []int{len(tc.in), 1} {
				h, b, e := outcome([]byte(tc.in), step)
				got := h
				for _, part := range []string{b, e} {
					if part != "" {
						got += " " + part
					}
				}
				if got != tc.want {
					t.Fatalf("step %d:\n got %q\nwant %q", step, got, tc.want)
				}
			}
		})
	}
}

// TestControlFrames: SETTINGS and PING are answered, DATA past a quarter
// of the window opens it again.
func TestControlFrames(t *testing.T) {
	p := newTestProto()
	u := upstream.Bare(4096)
	u.Feed([]byte(rawFrame(frameSettings, 0, 0, "\x00\x04\x00\x00\x10\x00") + rawFrame(framePing, 0, 0, "12345678") + rawFrame(frameWindowUpdate, 0, 0, "\x00\x00\x10\x00")))
	if r := p.ProcessHeader(u); r != upstream.NeedMore {
		t.Fatalf("result %d", r)
	}
	want := rawFrame(frameSettings, flagAck, 0, "") + rawFrame(framePing, flagAck, 0, "12345678")
	got, _ := p.Outgoing(u)
	if len(got) != 1 || string(got[0].Data) != want {
		t.Fatalf("outgoing %v, want %q", got, want)
	}
	if p.sendWindow != 4096 || p.conn.sendWindow != defaultWindow+4096 || p.conn.initWindow != 4096 {
		t.Fatalf("windows %d %d %d", p.sendWindow, p.conn.sendWindow, p.conn.initWindow)
	}
	p.recvWindow = maxWindow/4 + 10
	u.Feed([]byte(hf(false, ":status", "200")))
	if r := p.ProcessHeader(u); r != upstream.HeaderDone {
		t.Fatalf("result %d", r)
	}
	if err := p.FilterBody(u, []byte(rawFrame(frameData, 0, 1, strings.Repeat("x", 11)))); err != nil {
		t.Fatal(err)
	}
	var wu bytes.Buffer
	wu.WriteString(rawFrame(frameWindowUpdate, 0, 0, string(binary.BigEndian.AppendUint32(nil, 11))))
	wu.WriteString(rawFrame(frameWindowUpdate, 0, 1, string(binary.BigEndian.AppendUint32(nil, maxWindow-(maxWindow/4-1)))))
	got, _ = p.Outgoing(u)
	if len(got) != 1 || !bytes.Equal(got[0].Data, wu.Bytes()) {
		t.Fatalf("outgoing %v, want %x", got, wu.Bytes())
	}
}

// TestBodyFlowControl: the body goes out in 16 KiB DATA frames up to the
// window; a WINDOW_UPDATE releases the rest, the last frame ends the
// stream.
func TestBodyFlowControl(t *testing.T) {
	p := newTestProto()
	p.outputClosed = false
	body := bytes.Repeat([]byte("a"), 70000)
	p.body = httpd.Piece{Data: body, N: int64(len(body))}
	first := p.appendData(nil)
	if n := sentBytes(first); n != defaultWindow || p.outputClosed {
		t.Fatalf("first window: %d bytes, closed %v", n, p.outputClosed)
	}
	if len(first) != 8 || len(first[0].Data) != 9 || len(first[1].Data) != defaultFrameSize {
		t.Fatalf("frames %d", len(first))
	}
	u := upstream.Bare(4096)
	if out, _ := p.Outgoing(u); len(out) != 0 {
		t.Fatal("data past the window")
	}
	u.Feed([]byte(rawFrame(frameWindowUpdate, 0, 1, "\x00\x01\x00\x00") + rawFrame(frameWindowUpdate, 0, 0, "\x00\x01\x00\x00")))
	p.ProcessHeader(u)
	rest, _ := p.Outgoing(u)
	if n := sentBytes(rest); n != 70000-defaultWindow || !p.outputClosed {
		t.Fatalf("rest: %d bytes, closed %v", n, p.outputClosed)
	}
	if last := rest[len(rest)-2].Data; last[4] != flagEndStream {
		t.Fatalf("last frame flags %x", last[4])
	}
}

func sentBytes(ps []httpd.Piece) int {
	n := 0
	for i := 1; i < len(ps); i += 2 {
		n += len(ps[i].Data)
	}
	return n
}

// FuzzFrameParser: any bytes, fed whole or split at any point, give the
// same headers and the same error.
func FuzzFrameParser(f *testing.F) {
	f.Add([]byte(rawFrame(frameSettings, 0, 0, "")+rawFrame(frameData, 1, 1, "abc")), uint8(3))
	f.Add([]byte("\x00\x40\x01\x00\x00"), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		run := func(parts ...[]byte) string {
			var p frameParser
			var out strings.Builder
			for _, b := range parts {
				for len(b) > 0 {
					if p.InPayload {
						k := min(len(b), p.Rest)
						p.Rest -= k
						b = b[k:]
						if p.Rest == 0 {
							p.Next()
						}
						continue
					}
					n, ok, err := p.Parse(b)
					b = b[n:]
					if err != nil {
						return out.String() + err.Error()
					}
					if ok {
						fmt.Fprintf(&out, "%+v;", p.Head)
						if p.Rest == 0 {
							p.Next()
						}
					}
				}
			}
			return out.String()
		}
		c := int(cut) % (len(in) + 1)
		if a, b := run(in), run(in[:c], in[c:]); a != b {
			t.Fatalf("whole %q, split at %d %q", a, c, b)
		}
	})
}

// FuzzResponse: any response bytes through ProcessHeader, InitBody and
// FilterBody, fed whole or one byte at a time: no panic, and the same
// head and end.
func FuzzResponse(f *testing.F) {
	f.Add([]byte(hf(false, ":status", "200", "content-type", "application/grpc") + rawFrame(frameData, 0, 1, "xx") + hf(true, "grpc-status", "0")))
	f.Add([]byte(rawFrame(frameSettings, 0, 0, "\x00\x04\x00\x01\x00\x00") + hf(true, ":status", "404")))
	f.Add([]byte(rawFrame(frameHeaders, flagPadded|flagPriority, 1, "\x02\x00\x00\x00\x00\x10\x88\x00\x00") + rawFrame(frameContinuation, flagEndHeaders, 1, "\x5f\x01x")))
	f.Fuzz(func(t *testing.T, in []byte) {
		h1, b1, e1 := outcome(in, len(in)+1)
		h2, b2, e2 := outcome(in, 1)
		if h1 == "too big header" || h2 == "too big header" {
			return // the whole input may not fit where its pieces do
		}
		if strings.Contains(e2, "keepalive unread") {
			// fed byte by byte, the body ended before the input did:
			// what followed (fed at once) may make a difference only
			// after the end
			if h1 != h2 || e1 != "body error" && b1 != b2 {
				t.Fatalf("whole %q %q %q\nsplit %q %q %q", h1, b1, e1, h2, b2, e2)
			}
			return
		}
		if h1 != h2 || e1 != e2 || e1 != "body error" && b1 != b2 {
			t.Fatalf("whole %q %q %q\nsplit %q %q %q", h1, b1, e1, h2, b2, e2)
		}
	})
}
