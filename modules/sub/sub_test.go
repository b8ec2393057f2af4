package sub_test

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// conf runs in sluice and, for the differential test, in Debian's nginx.
// %%SLOW%% is a backend that sends its body a byte at a time.
const conf = `
http {
    types { text/html html; text/plain txt; }
    root %%ROOT%%;
    sub_filter http-level HTTP;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location /inherit/ { }
        location /files/ { sub_filter foo bar; }
        location /lm/ { sub_filter foo bar; sub_filter_last_modified on; }
        location /text/ { sub_filter foo bar; sub_filter_types text/plain; }
        location /any/ { sub_filter foo bar; sub_filter_types *; }
        location /once { sub_filter foo bar; sub_filter_types *; return 200 $arg_b; }
        location /many { sub_filter foo bar; sub_filter_once off; sub_filter_types *; return 200 $arg_b; }
        location /aab { sub_filter aab _; sub_filter_once off; sub_filter_types *; return 200 $arg_b; }
        location /multi {
            sub_filter_types *;
            sub_filter_once off;
            sub_filter aab +;
            sub_filter yyz -;
            sub_filter abc "";
            return 200 $arg_b;
        }
        location /multionce {
            sub_filter_types *;
            sub_filter aab +;
            sub_filter yyz -;
            return 200 $arg_b;
        }
        location /order {
            sub_filter_types *;
            sub_filter_once off;
            sub_filter abcd 1;
            sub_filter ab 2;
            sub_filter bc 3;
            return 200 $arg_b;
        }
        location /var/string { sub_filter X$arg_a _replaced; sub_filter_types *; return 200 $arg_b; }
        location /var/replacement { sub_filter aab '${arg_a}_replaced'; sub_filter_once off; sub_filter_types *; return 200 $arg_b; }
        location /var/both {
            sub_filter_once off;
            sub_filter_types *;
            sub_filter '${arg_a}' '${arg_a}+';
            sub_filter '${arg_b}' '<$uri>';
            return 200 $arg_c;
        }
        location /error/ { sub_filter "Not Found" Missing; }
        location /status { sub_filter foo bar; sub_filter_types *; return 404 "foo"; }
        location /ssi/ { ssi on; sub_filter "[[include]]" '<!--#include virtual="/ssi/part.html" -->'; sub_filter notfoo X; }
        location /add/ { add_after_body /add/after.html; sub_filter foo bar; }
        location /proxy/ { sub_filter foo bar; proxy_pass http://127.0.0.1:%%PORT_1%%/files/; }
        location /slow/ {
            sub_filter_once off;
            sub_filter foobar <2>;
            sub_filter foo <1>;
            proxy_pass http://%%SLOW%%;
        }
        location /slow-unbuffered/ {
            sub_filter_once off;
            sub_filter foobar <2>;
            sub_filter foo <1>;
            proxy_buffering off;
            proxy_pass http://%%SLOW%%;
        }
    }
    server {
        listen 127.0.0.1:%%PORT_1%%;
        location / { }
    }
}
`

// ims is the modification time of files/foo.html.
const ims = "Wed, 01 Jan 2020 00:00:00 GMT"

// slowBody is what the slow backend sends, one byte per write.
const slowBody = "xfoo-fo-FOO-foobar-fo"

func startSlow(t *testing.T) *testutil.Backend {
	head := "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + strconv.Itoa(len(slowBody)) +
		"\r\nETag: \"abc\"\r\nLast-Modified: Mon, 28 Sep 1970 06:00:00 GMT\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n"
	return testutil.StartBackend(t, testutil.Script{
		testutil.ReadHead(),
		testutil.Write(head),
		testutil.WriteSlowly(slowBody, time.Millisecond),
		testutil.Close(),
	})
}

func setup(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range map[string]string{
		"files/foo.html":     "foo",
		"files/foofoo.html":  "FOOfoo",
		"files/empty.html":   "",
		"files/a.txt":        "foo",
		"files/big.html":     strings.Repeat("x", 40000) + "foo" + strings.Repeat("y", 32766) + "foo",
		"lm/foo.html":        "foo",
		"text/a.txt":         "foo",
		"any/a.bin":          "foo",
		"inherit/a.html":     "http-level",
		"ssi/index.html":     `<!--#include virtual="/ssi/not.html" --> truncated [[include]]`,
		"ssi/not.html":       "response is not",
		"ssi/part.html":      "PART",
		"ssi/slow.html":      `<!--#include virtual="/slow/" -->!<!--#include virtual="/ssi/not.html" -->foo`,
		"add/page.html":      "foo",
		"add/after.html":     "+foo",
		"error/present.html": "here",
	} {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0644); err != nil {
			t.Fatal(err)
		}
	}
	// a known date for If-Modified-Since
	mtime := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(root, "files/foo.html"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	slow := startSlow(t)
	return strings.NewReplacer("%%ROOT%%", root, "%%SLOW%%", slow.Addr()).Replace(conf)
}

func sluiceConf(c string) string {
	return "events {}\n" + strings.NewReplacer("%%PORT_0%%", "%%PORT_A%%", "%%PORT_1%%", "%%PORT_B%%").Replace(c)
}

// cases are the requests of both the sluice test and the differential one.
var cases = []struct {
	uri, body string
	status    int
	length    bool // a Content-Length is kept
}{
	{"/files/foo.html", "bar", 200, false},
	{"/files/foofoo.html", "barfoo", 200, false},
	{"/files/empty.html", "", 200, true},
	{"/files/a.txt", "foo", 200, true},
	{"/files/big.html", strings.Repeat("x", 40000) + "bar" + strings.Repeat("y", 32766) + "foo", 200, false},
	{"/lm/foo.html", "bar", 200, false},
	{"/text/a.txt", "bar", 200, false},
	{"/any/a.bin", "bar", 200, false},
	{"/inherit/a.html", "HTTP", 200, false},
	{"/once?b=foofoo", "barfoo", 200, false},
	{"/many?b=foofoo", "barbar", 200, false},
	{"/many?b=fo", "fo", 200, false},
	{"/many?b=FoOfo", "barfo", 200, false},
	{"/aab?b=aaab", "a_", 200, false},
	{"/aab?b=aaxaaaab", "aaxaa_", 200, false},
	{"/multi?b=aabAyyzBaabCabcD", "+A-B+CD", 200, false},
	{"/multionce?b=yyzyyzaabaabyyz", "-yyz+aabyyz", 200, false},
	{"/order?b=abcdxabcxbcx", "1x2cx3x", 200, false},
	{"/order?b=xabc", "xabc", 200, false},
	{"/var/string?a=foo&b=XFOO", "_replaced", 200, false},
	{"/var/string?b=Xfoo", "_replacedfoo", 200, false},
	{"/var/replacement?a=ee&b=aaabaab", "aee_replacedee_replaced", 200, false},
	{"/var/both?a=a&b=b&c=abXYAXbZ", "a+<" + "/var/both" + ">XYa+X<" + "/var/both" + ">Z", 200, false},
	{"/var/both?b=b&c=abXY", "a</var/both>XY", 200, false},
	{"/var/both?c=abXY", "abXY", 200, true},
	{"/status", "bar", 404, false},
	{"/ssi/index.html", "response is not truncated PART", 200, false},
	{"/ssi/slow.html", "x<1>-fo-<1>-<2>-fo!response is notfoo", 200, false},
	{"/add/page.html", "bar+bar", 200, false},
	{"/proxy/foo.html", "bar", 200, false},
	{"/slow/", "x<1>-fo-<1>-<2>-fo", 200, false},
	{"/slow-unbuffered/", "x<1>-fo-<1>-<2>-fo", 200, false},
}

func TestSub(t *testing.T) {
	s := servertest.Start(t, sluiceConf(setup(t)))
	for _, tc := range cases {
		for _, proto := range []string{"HTTP/1.0", "HTTP/1.1"} {
			t.Run(strings.TrimPrefix(tc.uri, "/")+"_"+proto[5:], func(t *testing.T) {
				r := testutil.RoundTrip(t, s.Addr("A"), "GET "+tc.uri+" "+proto+"\r\nHost: localhost\r\nConnection: close\r\n\r\n")
				if r.StatusCode != tc.status || string(r.Body) != tc.body || !r.Complete {
					t.Fatalf("want %d %q, got:\n%s", tc.status, tc.body, r)
				}
				if r.Has("Content-Length") != tc.length {
					t.Errorf("Content-Length present %v, want %v:\n%s", r.Has("Content-Length"), tc.length, r)
				}
				if !tc.length && (proto == "HTTP/1.1") != (r.Get("Transfer-Encoding") == "chunked") {
					t.Errorf("framing:\n%s", r)
				}
			})
		}
	}
}

// TestHeaders checks the head of replaced responses.
func TestHeaders(t *testing.T) {
	s := servertest.Start(t, sluiceConf(setup(t)))
	get := func(uri string) *testutil.Response {
		return testutil.RoundTrip(t, s.Addr("A"), "GET "+uri+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	}
	// unprocessed: everything kept
	r := get("/files/a.txt")
	if !r.Has("Last-Modified") || !r.Has("ETag") || r.Get("Accept-Ranges") != "bytes" {
		t.Errorf("unprocessed file:\n%s", r)
	}
	// processed: no length, no validators, no ranges
	r = get("/files/foo.html")
	if r.Has("Last-Modified") || r.Has("ETag") || r.Has("Accept-Ranges") || r.Has("Content-Length") {
		t.Errorf("processed file:\n%s", r)
	}
	// sub_filter_last_modified on: Last-Modified kept, ETag weak
	r = get("/lm/foo.html")
	if !r.Has("Last-Modified") || !strings.HasPrefix(r.Get("ETag"), `W/"`) {
		t.Errorf("sub_filter_last_modified on:\n%s", r)
	}
	// a proxied response: the upstream's validators go, its Accept-Ranges
	// stays (nginx's sub filter does not remove it)
	r = get("/slow/")
	if r.Has("Last-Modified") || r.Has("ETag") || r.Get("Accept-Ranges") != "bytes" || r.Has("Content-Length") {
		t.Errorf("proxied:\n%s", r)
	}
	// a range request is answered whole
	r = testutil.RoundTrip(t, s.Addr("A"), "GET /files/foo.html HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-0\r\nConnection: close\r\n\r\n")
	if r.StatusCode != 200 || string(r.Body) != "bar" {
		t.Errorf("range:\n%s", r)
	}
	// the not-modified filter runs first: a 304 keeps its validators, as
	// in nginx
	r = testutil.RoundTrip(t, s.Addr("A"), "GET /files/foo.html HTTP/1.1\r\nHost: localhost\r\nIf-Modified-Since: "+ims+"\r\nConnection: close\r\n\r\n")
	if r.StatusCode != 304 || !r.Has("Last-Modified") || !r.Has("ETag") {
		t.Errorf("304:\n%s", r)
	}
	// HEAD: the length goes as for GET, as in nginx
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	if err := c.WriteString("HEAD /files/foo.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	r, err := c.ReadHeadResponse()
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != 200 || r.Has("Content-Length") || r.Has("Last-Modified") {
		t.Errorf("HEAD:\n%s", r)
	}
}

// TestStreaming checks that a proxied body is replaced as it arrives: the
// bytes that cannot start a match are sent at once, a partial match is
// held, and a match split between two reads is found.
func TestStreaming(t *testing.T) {
	release := make(chan struct{})
	be := testutil.StartBackend(t, testutil.Script{
		testutil.ReadHead(),
		testutil.Write("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\nxyz"),
		testutil.Hold(release),
		testutil.Write("a-za-z"),
		testutil.Close(),
	})
	s := servertest.Start(t, `events {}
http {
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / {
            sub_filter za ZA;
            sub_filter_once off;
            proxy_buffering off;
            proxy_pass http://`+be.Addr()+`;
        }
    }
}`)
	conn, err := net.Dial("tcp", s.Addr("A"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(testutil.DefaultTimeout))
	if _, err := conn.Write([]byte("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	var got []byte
	readUntil := func(want string) {
		t.Helper()
		buf := make([]byte, 4096)
		for !bytes.Contains(got, []byte(want)) {
			n, err := conn.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				t.Fatalf("waiting for %q: %v; got:\n%s", want, err, got)
			}
		}
	}
	// "z" may start "za": only "xy" goes
	readUntil("\r\n\r\n2\r\nxy\r\n")
	close(release)
	readUntil("\r\n0\r\n\r\n")
	if r, _, err := testutil.ParseResponse(got, true, testutil.ParseOptions{}); err != nil || string(r.Body) != "xyZA-ZA-z" {
		t.Errorf("response %v:\n%q", err, got)
	}
}

// TestOracleSub compares sluice's answers with Debian's nginx's.
func TestOracleSub(t *testing.T) {
	c := setup(t)
	ngx := oracle.Start(t, c)
	s := servertest.Start(t, sluiceConf(c))
	cmp := oracle.DefaultComparison()
	uris := []string{"/error/missing.html", "/error/present.html", "/files/missing.html"}
	for _, tc := range cases {
		uris = append(uris, tc.uri)
	}
	for _, uri := range uris {
		for _, proto := range []string{"HTTP/1.0", "HTTP/1.1"} {
			req := "GET " + uri + " " + proto + "\r\nHost: localhost\r\nConnection: close\r\n\r\n"
			t.Run(strings.TrimPrefix(uri, "/")+"_"+proto[5:], func(t *testing.T) {
				oracle.Compare(t, req, ngx.Addr(0), s.Addr("A"), cmp)
			})
		}
	}
	oracle.Compare(t, "GET /files/foo.html HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-0\r\nConnection: close\r\n\r\n",
		ngx.Addr(0), s.Addr("A"), cmp)
	// a 304 of the not-modified filter goes through the sub filter too
	oracle.Compare(t, "GET /files/foo.html HTTP/1.1\r\nHost: localhost\r\nIf-Modified-Since: "+ims+"\r\nConnection: close\r\n\r\n",
		ngx.Addr(0), s.Addr("A"), cmp)
	head := cmp
	head.NoBody = true
	for _, uri := range []string{"/files/foo.html", "/files/empty.html", "/lm/foo.html", "/once?b=foo"} {
		oracle.Compare(t, "HEAD "+uri+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", ngx.Addr(0), s.Addr("A"), head)
	}
}
