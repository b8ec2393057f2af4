package oracle

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/testutil"
)

func parse(t *testing.T, raw string) *testutil.Response {
	t.Helper()
	r, _, err := testutil.ParseResponse([]byte(raw), true, testutil.ParseOptions{})
	if err != nil {
		t.Fatalf("test response does not parse: %v", err)
	}
	return r
}

func TestDiff(t *testing.T) {
	const (
		nginx400 = "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nDate: Sun, 22 Nov 2026 08:07:28 GMT\r\nContent-Type: text/html\r\nContent-Length: 157\r\nConnection: close\r\n\r\n" +
			"<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n"
		sluice400 = "HTTP/1.1 400 Bad Request\r\nServer: sluice/0.1.0\r\nDate: Mon, 23 Nov 2026 00:00:00 GMT\r\nContent-Type: text/html\r\nContent-Length: 157\r\nConnection: close\r\n\r\n" +
			"<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<hr><center>sluice/0.1.0</center>\r\n</body>\r\n</html>\r\n"
	)
	tests := []struct {
		name string
		a, b string
		// closedA/B are the Closed flags.
		closedA, closedB bool
		cmp              func() Comparison
		want             []string // substrings of the diff; none means no diff
	}{
		{
			name: "error pages differing only in server token match",
			a:    nginx400, b: sluice400, closedA: true, closedB: true,
		},
		{
			name: "status line",
			a:    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
			b:    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
			want: []string{"status line", `"HTTP/1.1 200 OK"`, `"HTTP/1.1 404 Not Found"`},
		},
		{
			name: "missing header and duplicate values",
			a:    "HTTP/1.1 200 OK\r\nSet-Cookie: a\r\nSet-Cookie: b\r\nContent-Length: 0\r\n\r\n",
			b:    "HTTP/1.1 200 OK\r\nSet-Cookie: a\r\nContent-Length: 0\r\nDate: x\r\n\r\n",
			want: []string{"header Set-Cookie", `"a", "b"`, "header Date", "(absent)"},
		},
		{
			name: "body difference is located",
			a:    "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world",
			b:    "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello WORLD",
			want: []string{"body", "first difference at 6"},
		},
		{
			name: "framing",
			a:    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
			b:    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
			want: []string{"body framing", "chunked", "content-length", "header Transfer-Encoding"},
		},
		{
			name: "close",
			a:    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", closedA: true,
			b:    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
			want: []string{"connection closed after the response", "true", "false"},
		},
		{
			name: "close ignored when not waited for",
			a:    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", closedA: true,
			b:   "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
			cmp: func() Comparison { c := DefaultComparison(); c.CloseWait = -1; return c },
		},
		{
			name: "expires at the same offset from date, seconds apart",
			a:    "HTTP/1.1 200 OK\r\nDate: Mon, 07 Dec 2026 06:12:20 GMT\r\nExpires: Mon, 07 Dec 2026 06:12:19 GMT\r\nContent-Length: 0\r\n\r\n",
			b:    "HTTP/1.1 200 OK\r\nDate: Mon, 07 Dec 2026 06:12:21 GMT\r\nExpires: Mon, 07 Dec 2026 06:12:20 GMT\r\nContent-Length: 0\r\n\r\n",
		},
		{
			name: "expires at another offset from date",
			a:    "HTTP/1.1 200 OK\r\nDate: Mon, 07 Dec 2026 06:12:20 GMT\r\nExpires: Mon, 07 Dec 2026 06:12:19 GMT\r\nContent-Length: 0\r\n\r\n",
			b:    "HTTP/1.1 200 OK\r\nDate: Mon, 07 Dec 2026 06:12:20 GMT\r\nExpires: Mon, 07 Dec 2026 07:12:20 GMT\r\nContent-Length: 0\r\n\r\n",
			want: []string{"header Expires", "06:12:19", "07:12:20"},
		},
		{
			name: "the same fixed expires, dates apart",
			a:    "HTTP/1.1 200 OK\r\nDate: Mon, 07 Dec 2026 06:12:20 GMT\r\nExpires: Thu, 01 Jan 1970 00:00:01 GMT\r\nContent-Length: 0\r\n\r\n",
			b:    "HTTP/1.1 200 OK\r\nDate: Mon, 07 Dec 2026 06:12:21 GMT\r\nExpires: Thu, 01 Jan 1970 00:00:01 GMT\r\nContent-Length: 0\r\n\r\n",
		},
		{
			name: "max-age to the same moment, dates a second apart",
			a:    "HTTP/1.1 200 OK\r\nDate: Mon, 07 Dec 2026 06:12:20 GMT\r\nCache-Control: max-age=17500\r\nContent-Length: 0\r\n\r\n",
			b:    "HTTP/1.1 200 OK\r\nDate: Mon, 07 Dec 2026 06:12:21 GMT\r\nCache-Control: max-age=17499\r\nContent-Length: 0\r\n\r\n",
		},
		{
			name: "max-age to another moment",
			a:    "HTTP/1.1 200 OK\r\nDate: Mon, 07 Dec 2026 06:12:20 GMT\r\nCache-Control: max-age=17500\r\nContent-Length: 0\r\n\r\n",
			b:    "HTTP/1.1 200 OK\r\nDate: Mon, 07 Dec 2026 06:12:20 GMT\r\nCache-Control: max-age=17499\r\nContent-Length: 0\r\n\r\n",
			want: []string{"header Cache-Control", "max-age=17500", "max-age=17499"},
		},
		{
			name: "expires without a date to measure from",
			a:    "HTTP/1.1 200 OK\r\nExpires: Mon, 07 Dec 2026 06:12:19 GMT\r\nContent-Length: 0\r\n\r\n",
			b:    "HTTP/1.1 200 OK\r\nExpires: Mon, 07 Dec 2026 06:12:20 GMT\r\nContent-Length: 0\r\n\r\n",
			want: []string{"header Expires"},
		},
		{
			name: "body ignored",
			a:    "HTTP/1.1 200 OK\r\n\r\nx",
			b:    "HTTP/1.1 200 OK\r\n\r\ny",
			cmp:  func() Comparison { return Comparison{IgnoreBody: true} },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmp := DefaultComparison()
			if tc.cmp != nil {
				cmp = tc.cmp()
			}
			a := Result{Addr: "A", Resp: parse(t, tc.a), Closed: tc.closedA}
			b := Result{Addr: "B", Resp: parse(t, tc.b), Closed: tc.closedB}
			d := cmp.Diff(a, b)
			if len(tc.want) == 0 {
				if d != "" {
					t.Fatalf("unexpected diff:\n%s", d)
				}
				return
			}
			for _, w := range tc.want {
				if !strings.Contains(d, w) {
					t.Errorf("diff lacks %q:\n%s", w, d)
				}
			}
		})
	}
}

func TestNormalizers(t *testing.T) {
	tests := []struct {
		name, in, want string
		f              func(string) string
	}{
		{"server with version", "nginx/1.22.1", "<server>/<version>", NormalizeServer},
		{"server tokens off", "sluice", "<server>", NormalizeServer},
		{"other server kept", "Apache", "Apache", NormalizeServer},
		{"name inside a word kept", "sluicesluice nginx_x", "sluicesluice nginx_x", NormalizeServer},
		{"path", "/var/lib/nginx/proxy/1", "/var/lib/<server>/proxy/1", NormalizeServer},
		{"present", "W/\"abc\"", "<present>", Present},
		{"date kept", "Thu, 01 Jan 1970 00:00:00 GMT", "Thu, 01 Jan 1970 00:00:00 GMT", PresentUnless("1970", "junk")},
		{"date present", "Mon, 07 Dec 2026 18:00:00 GMT", "<present>", PresentUnless("1970", "junk")},
		{"body footer", "<hr><center>nginx/1.22.1</center>", "<hr><center><server>/<version></center>",
			func(s string) string { return string(NormalizeServerTokens([]byte(s))) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRequestVariant(t *testing.T) {
	tests := []struct {
		name string
		i    int
		want string
		head bool
	}{
		{"GET over HTTP/1.1", 0, "GET /p HTTP/1.1\r\nHost: localhost\r\n\r\n", false},
		{"GET over HTTP/1.0", 4, "GET /p HTTP/1.0\r\n\r\n", false},
		{"HEAD", 5, "HEAD /p HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if req, head := RequestVariant("/p", tc.i); req != tc.want || head != tc.head {
				t.Errorf("got %q, %v; want %q, %v", req, head, tc.want, tc.head)
			}
		})
	}
}

// errTB records Errorf calls.
type errTB struct {
	testing.TB
	errs []string
}

func (e *errTB) Helper() {}
func (e *errTB) Errorf(format string, args ...any) {
	e.errs = append(e.errs, fmt.Sprintf(format, args...))
}

func TestCompareAgainstBackends(t *testing.T) {
	testutil.CheckLeaks(t)
	answer := func(resp string) string {
		return testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Write(resp), testutil.Close()}).Addr()
	}
	same1 := answer(testutil.HTTPResponse(200, "ok", "Connection: close"))
	same2 := answer(testutil.HTTPResponse(200, "ok", "Connection: close"))
	other := answer(testutil.HTTPResponse(502, "bad", "Connection: close"))
	silent := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Close()}).Addr()
	silent2 := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Reset()}).Addr()

	tests := []struct {
		name     string
		a, b     string
		wantDiff []string
	}{
		{name: "equal answers", a: same1, b: same2},
		{name: "different answers", a: same1, b: other, wantDiff: []string{"status line", "body"}},
		{name: "no answer on both sides", a: silent, b: silent2},
		{name: "answer against none", a: same1, b: silent, wantDiff: []string{"error", "(no response)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := &errTB{TB: t}
			Compare(e, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", tc.a, tc.b, DefaultComparison())
			if len(tc.wantDiff) == 0 {
				if len(e.errs) != 0 {
					t.Fatalf("unexpected failure: %s", e.errs)
				}
				return
			}
			if len(e.errs) != 1 {
				t.Fatalf("got %d failures, want 1", len(e.errs))
			}
			for _, w := range tc.wantDiff {
				if !strings.Contains(e.errs[0], w) {
					t.Errorf("failure lacks %q:\n%s", w, e.errs[0])
				}
			}
		})
	}
}
