package scgi

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/modules/internal/cgi"
)

func fixed(v string) func(*httpd.Request) string { return func(*httpd.Request) string { return v } }

// TestAppendHead: the netstring nginx sends, pair by pair.
func TestAppendHead(t *testing.T) {
	tests := []struct {
		name    string
		params  []cgi.Param
		headers []httpd.Header
		pass    bool
		length  int64
		want    string
	}{
		{name: "no params", want: "17:CONTENT_LENGTH\x000\x00,"},
		{name: "params", params: []cgi.Param{{Key: "SCGI", Func: fixed("1")}, {Key: "REQUEST_METHOD", Func: fixed("GET")}},
			length: 12, want: "44:CONTENT_LENGTH\x0012\x00SCGI\x001\x00REQUEST_METHOD\x00GET\x00,"},
		{name: "if_not_empty", params: []cgi.Param{{Key: "HTTPS", Func: fixed(""), IfNotEmpty: true}, {Key: "EMPTY", Func: fixed("")}},
			want: "24:CONTENT_LENGTH\x000\x00EMPTY\x00\x00,"},
		{name: "headers", pass: true, headers: []httpd.Header{{Key: "Host", Value: "x"}, {Key: "X-Forwarded-For", Value: "a"}, {Key: "x-forwarded-for", Value: "b"}, {Key: "Cookie", Value: "c=1"}, {Key: "cookie", Value: "d=2"}},
			want: "76:CONTENT_LENGTH\x000\x00HTTP_HOST\x00x\x00HTTP_X_FORWARDED_FOR\x00a, b\x00HTTP_COOKIE\x00c=1; d=2\x00,"},
		{name: "headers off", pass: false, headers: []httpd.Header{{Key: "Host", Value: "x"}}, want: "17:CONTENT_LENGTH\x000\x00,"},
		{name: "HTTP_ param hides the header", pass: true, params: []cgi.Param{{Key: "HTTP_HOST", Func: fixed("y")}},
			headers: []httpd.Header{{Key: "Host", Value: "x"}, {Key: "Accept", Value: "*/*"}},
			want:    "45:CONTENT_LENGTH\x000\x00HTTP_HOST\x00y\x00HTTP_ACCEPT\x00*/*\x00,"},
		{name: "deleted header", pass: true, headers: []httpd.Header{{Key: "A", Value: "1", Deleted: true}, {Key: "a", Value: "2"}},
			want: "26:CONTENT_LENGTH\x000\x00HTTP_A\x002\x00,"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &httpd.Request{}
			r.In.List = tc.headers
			set := cgi.Compile(tc.params, nil)
			got := appendHead([]byte("prefix"), r, set, tc.pass, tc.length)
			if string(got) != "prefix"+tc.want {
				t.Fatalf("got  %q\nwant %q", got, "prefix"+tc.want)
			}
		})
	}
}

// TestAppendHeadAllocs: building the netstring in a buffer with room
// allocates nothing.
func TestAppendHeadAllocs(t *testing.T) {
	r := &httpd.Request{}
	r.In.List = []httpd.Header{{Key: "Host", Value: "localhost"}, {Key: "User-Agent", Value: "test"}, {Key: "Accept", Value: "*/*"}}
	set := cgi.Compile([]cgi.Param{{Key: "SCGI", Func: fixed("1")}, {Key: "REQUEST_METHOD", Func: fixed("GET")}, {Key: "HTTPS", Func: fixed(""), IfNotEmpty: true}}, nil)
	buf := make([]byte, 0, 4096)
	n := testing.AllocsPerRun(100, func() {
		buf = appendHead(buf[:0], r, set, true, 123)
	})
	if n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

// FuzzNetstring: whatever the names, values and headers, the netstring
// decodes (with the test backend's decoder) to CONTENT_LENGTH, the params
// and the HTTP_ headers in order, and its length is right.
func FuzzNetstring(f *testing.F) {
	f.Fuzz(func(t *testing.T, key, value, hkey, hvalue string, length int64) {
		if bytes.IndexByte([]byte(key+value+hvalue), 0) >= 0 || key == "" {
			return
		}
		r := &httpd.Request{}
		if hkey != "" && bytes.IndexByte([]byte(hkey), 0) < 0 {
			r.In.List = []httpd.Header{{Key: hkey, Value: hvalue}}
		}
		set := cgi.Compile([]cgi.Param{{Key: key, Func: fixed(value)}}, nil)
		b := appendHead(nil, r, set, true, length)
		colon := bytes.IndexByte(b, ':')
		var n int
		if _, err := fmt.Sscanf(string(b[:colon]), "%d", &n); err != nil || colon+1+n+1 != len(b) || b[len(b)-1] != ',' {
			t.Fatalf("bad netstring %q", b)
		}
		params, err := testutil.ParseSCGIParams(b[colon+1 : len(b)-1])
		if err != nil {
			t.Fatal(err)
		}
		if len(params) < 1 || params[0] != [2]string{"CONTENT_LENGTH", fmt.Sprint(length)} {
			t.Fatalf("params %q", params)
		}
		hidden := !set.Passes(&httpd.Header{Key: hkey})
		want := 2
		if len(r.In.List) > 0 && !hidden {
			want = 3
		}
		if len(params) != want && !(len(key) > 5 && key[:5] == "HTTP_" && value == "") {
			t.Fatalf("params %q, want %d", params, want)
		}
	})
}
