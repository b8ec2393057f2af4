package uwsgi

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/modules/internal/cgi"
)

func fixed(v string) func(*httpd.Request) string { return func(*httpd.Request) string { return v } }

// TestAppendPacket: the packet nginx sends, byte by byte.
func TestAppendPacket(t *testing.T) {
	tests := []struct {
		name       string
		params     []cgi.Param
		headers    []httpd.Header
		pass       bool
		mod1, mod2 byte
		extra      string
		want       string
	}{
		{name: "empty", want: "\x00\x00\x00\x00"},
		{name: "modifiers", mod1: 5, mod2: 9, want: "\x05\x00\x00\x09"},
		{name: "params", params: []cgi.Param{{Key: "A", Func: fixed("bc")}, {Key: "EMPTY", Func: fixed(""), IfNotEmpty: true}},
			want: "\x00\x07\x00\x00\x01\x00A\x02\x00bc"},
		{name: "headers joined", pass: true, headers: []httpd.Header{{Key: "X-A", Value: "1"}, {Key: "x-a", Value: "2"}},
			want: "\x00\x10\x00\x00\x08\x00HTTP_X_A\x04\x001, 2"},
		{name: "uwsgi_string", extra: "raw", want: "\x00\x03\x00\x00raw"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &httpd.Request{}
			r.In.List = tc.headers
			got, size, err := appendPacket([]byte("pre"), r, cgi.Compile(tc.params, nil), tc.pass, tc.mod1, tc.mod2, tc.extra)
			if err != nil || string(got) != "pre"+tc.want || size != len(tc.want)-4 {
				t.Fatalf("got %q (size %d, %v)\nwant %q", got, size, err, "pre"+tc.want)
			}
		})
	}
}

// TestAppendPacketTooBig: more than 65535 bytes of vars is refused, with
// the size for nginx's alert.
func TestAppendPacketTooBig(t *testing.T) {
	r := &httpd.Request{}
	r.In.List = []httpd.Header{{Key: "X-Big", Value: strings.Repeat("x", 65530)}}
	_, size, err := appendPacket(nil, r, nil, true, 0, 0, "")
	if err != errTooBig || size != 2+len("HTTP_X_BIG")+2+65530 {
		t.Fatalf("size %d, %v", size, err)
	}
	r.In.List[0].Value = strings.Repeat("x", 65535-2-len("HTTP_X_BIG")-2)
	if _, size, err = appendPacket(nil, r, nil, true, 0, 0, ""); err != nil || size != 65535 {
		t.Fatalf("size %d, %v", size, err)
	}
}

// TestAppendPacketAllocs: building the packet in a buffer with room
// allocates nothing.
func TestAppendPacketAllocs(t *testing.T) {
	r := &httpd.Request{}
	r.In.List = []httpd.Header{{Key: "Host", Value: "localhost"}, {Key: "User-Agent", Value: "test"}}
	set := cgi.Compile([]cgi.Param{{Key: "REQUEST_METHOD", Func: fixed("GET")}, {Key: "HTTPS", Func: fixed(""), IfNotEmpty: true}}, nil)
	buf := make([]byte, 0, 4096)
	n := testing.AllocsPerRun(100, func() {
		buf, _, _ = appendPacket(buf[:0], r, set, true, 0, 0, "")
	})
	if n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

// FuzzPacket: whatever the names, values and headers, the packet's size
// field is its length and its vars decode (with the test backend's
// decoder) to the params and headers in order.
func FuzzPacket(f *testing.F) {
	f.Fuzz(func(t *testing.T, key, value, hkey, hvalue string, mod1, mod2 byte) {
		if key == "" {
			return
		}
		r := &httpd.Request{}
		if hkey != "" {
			r.In.List = []httpd.Header{{Key: hkey, Value: hvalue}}
		}
		set := cgi.Compile([]cgi.Param{{Key: key, Func: fixed(value)}}, nil)
		b, size, err := appendPacket(nil, r, set, true, mod1, mod2, "")
		if err != nil {
			if size <= 65535 {
				t.Fatalf("size %d refused", size)
			}
			return
		}
		if b[0] != mod1 || b[3] != mod2 || int(binary.LittleEndian.Uint16(b[1:3])) != len(b)-4 || size != len(b)-4 {
			t.Fatalf("header % x for %d bytes", b[:4], len(b)-4)
		}
		vars, err := testutil.ParseUWSGIParams(b[4:])
		if err != nil {
			t.Fatal(err)
		}
		if len(vars) == 0 || vars[0] != [2]string{key, value} && !(strings.HasPrefix(key, "HTTP_") && value == "") {
			t.Fatalf("vars %q", vars)
		}
		if last := vars[len(vars)-1]; len(r.In.List) > 0 && set.Passes(&r.In.List[0]) && !bytes.Equal([]byte(last[1]), []byte(hvalue)) {
			t.Fatalf("header value %q, want %q", last[1], hvalue)
		}
	})
}
