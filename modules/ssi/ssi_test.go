package ssi_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const errText = "[an error occurred while processing the directive]"

// ssiConf serves PREFIX/html with SSI on, and the same files without SSI
// on port B (the proxied backend of the tests).
const ssiConf = `
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
        location / { ssi on; }
        location /silent/ { ssi on; ssi_silent_errors on; }
        location /text/ { ssi on; ssi_types text/plain; default_type text/plain; }
        location /plain/ { ssi on; default_type text/plain; }
        location /lm/ { ssi on; ssi_last_modified on; }
        location /short/ { ssi on; ssi_value_length 4; }
        location /nossi/ { }
        location = /ret { return 200 "RET"; }
        location = /ret404 { return 404; }
        location /proxy/ { proxy_pass http://127.0.0.1:%%PORT_B%%/; }
        location /small/ { subrequest_output_buffer_size 8; proxy_pass http://127.0.0.1:%%PORT_B%%/; }
        location /chunked { proxy_pass http://%%CHUNKED%%; }
        location /streamed { ssi on; proxy_pass http://%%STREAMED%%; proxy_buffering off; }
        location /mc { set $memcached_key $uri; memcached_pass %%MEMCACHED%%; }
        location /pssi/ { ssi on; proxy_pass http://127.0.0.1:%%PORT_B%%/; }
    }
    server {
        listen 127.0.0.1:%%PORT_B%%;
        location / { }
    }
}
`

// readGet reads one memcached command line, byte by byte.
func readGet() testutil.Step {
	return testutil.Func(func(c *testutil.BackendConn) error {
		c.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
		line, err := bufio.NewReaderSize(oneByte{c}, 16).ReadString('\n')
		if err != nil {
			if line == "" {
				return testutil.ErrStop
			}
			return err
		}
		if !strings.HasPrefix(line, "get ") {
			return errors.New("not a get command: " + line)
		}
		return nil
	})
}

type oneByte struct{ c *testutil.BackendConn }

func (o oneByte) Read(b []byte) (int, error) { return o.c.Read(b[:1]) }

type site struct {
	*servertest.Server
	t *testing.T
}

// startSite runs ssiConf with its scripted backends.
func startSite(t *testing.T) *site {
	t.Helper()
	W, S := testutil.Write, testutil.Sleep
	chunked := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(),
		W("HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nSEE-THIS\r\n0\r\n\r\n"), testutil.Close()})
	streamed := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(),
		W("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html\r\n\r\nA<!--#ec"), S(20 * time.Millisecond),
		W(`ho var="arg_x" -->B<!-`), S(20 * time.Millisecond), W(`-#echo var="arg_x" -->C<`), S(20 * time.Millisecond),
		W(`!-- plain -->`), testutil.Close()})
	mc := testutil.StartBackend(t, testutil.Script{readGet(), W("VALUE /mc 0 8\r\nSEE-TH"), S(20 * time.Millisecond),
		W("IS\r\nEND\r\n"), testutil.Close()})
	conf := strings.NewReplacer("%%CHUNKED%%", chunked.Addr(), "%%STREAMED%%", streamed.Addr(), "%%MEMCACHED%%", mc.Addr()).Replace(ssiConf)
	return &site{servertest.Start(t, conf), t}
}

func (s *site) write(name, content string) {
	s.t.Helper()
	path := filepath.Join(s.Prefix(), "html", name)
	if err := os.MkdirAll(filepath.Dir(path), 0755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0644); err != nil {
		s.t.Fatal(err)
	}
}

func (s *site) get(uri string) *testutil.Response {
	s.t.Helper()
	return testutil.RoundTrip(s.t, s.Addr("A"), "GET "+uri+" HTTP/1.0\r\nHost: localhost\r\n\r\n")
}

var files = map[string]string{
	"test1.html":       `X<!--#echo var="arg_test" -->X`,
	"test2.html":       `X<!--#include virtual="/test1.html?test=test" -->X`,
	"set.html":         `X<!--#set var="blah" value="test" --><!--#echo var="blah" -->X`,
	"enc-none.html":    `X<!--#set var="v" value="<t&'\"x\">" --><!--#echo var="v" encoding="none" -->X`,
	"enc-url.html":     `X<!--#set var="v" value="<t x>?" --><!--#echo var="v" encoding="url" -->X`,
	"enc-entity.html":  `X<!--#set var="v" value="<t&x\">" --><!--#echo var="v" encoding="entity" -->X`,
	"enc-sticky.html":  `<!--#set var="v" value="<>" --><!--#echo var="v" encoding="none" --><!--#echo var="v" -->`,
	"default.html":     `[<!--#echo var="nope" default="dflt" -->][<!--#echo var="nope" default="" -->][<!--#echo var="NOPE" -->]`,
	"upper.html":       `<!--#set var="MiXed" value="v$ARG_A" --><!--#echo var="mixed" --><!--#echo var="ARG_A" -->`,
	"if.html":          `x<!--#if expr="$arg_if" -->IF<!--#elif expr="$arg_elif" -->ELIF<!--#else -->ELSE<!--#endif -->x`,
	"if-eq.html":       `x<!--#if expr="$arg_v = equal" -->EQ<!--#endif --><!--#if expr="equal != $arg_v" -->NE<!--#endif -->x`,
	"if-re.html":       `x<!--#if expr="$arg_v = /(CAP\d).*(CAP\d)/" --><!--#echo var="1" -->-<!--#echo var="2" -->-<!--#echo var="3" --><!--#endif -->x`,
	"if-named.html":    `x<!--#if expr="$arg_v = /(?P<word>[a-z]+)9/" --><!--#echo var="word" --><!--#endif -->x`,
	"if-nre.html":      `x<!--#if expr="$arg_v != /^a/" -->NOT-A<!--#else -->A<!--#endif -->x`,
	"if-slash.html":    `x<!--#if expr="$arg_v = \/x" -->SLASH<!--#endif -->x`,
	"if-badre.html":    `x<!--#if expr="$arg_v = /(/" -->Y<!--#endif -->x`,
	"if-badexpr.html":  `x<!--#if expr="$arg_v ~ a" -->Y<!--#endif -->x`,
	"if-unclosed.html": `x<!--#if expr="$arg_v = /a" -->Y<!--#endif -->x`,
	"ifif.html":        `x<!--#if expr="1" --><!--#if expr="1" -->Y<!--#endif -->x`,
	"else.html":        `x<!--#else -->x`,
	"endif.html":       `x<!--#endif -->x`,
	"unknown.html":     `x<!--#foo -->x`,
	"param.html":       `x<!--#echo bar="1" -->x`,
	"mandatory.html":   `x<!--#echo -->x`,
	"dup.html":         `x<!--#echo var="a" var="b" -->x`,
	"both.html":        `x<!--#include virtual="/a" file="/b" -->x`,
	"noparam.html":     `x<!--#include -->x`,
	"setstub.html":     `x<!--#include virtual="/a" set="a" stub="b" -->x`,
	"waitfile.html":    `x<!--#include file="/ret" wait="yes" -->x`,
	"waitbad.html":     `x<!--#include virtual="/ret" wait="maybe" -->x`,
	"unsafe.html":      `x<!--#include virtual="/../etc/passwd" -->x`,
	"nostub.html":      `x<!--#include virtual="/ret" stub="none" -->x`,
	"badvar.html":      `x<!--#set var="a" value="$" -->x`,
	"malformed.html":   `x<!--#echo var=x -->x`,
	"errmsg.html":      `x<!--#config errmsg="OOPS" --><!--#foo -->x`,
	"silent/err.html":  `x<!--#foo -->x`,
	"toomany.html":     `x<!--#echo var="1" a="" b="" c="" d="" e="" f="" g="" h="" i="" j="" k="" l="" m="" n="" o="" p="" -->x`,
	"short/long.html":  `x<!--#set var="a" value="12345" -->x`,
	"nested.html":      `1<!--#include virtual="/nest2.html" -->1`,
	"nest2.html":       `2<!--#include virtual="/nest3.html?a=3" -->2`,
	"nest3.html":       `<!--#echo var="arg_a" -->`,
	"dir/rel.html":     `[<!--#include virtual="inc.html" -->|<!--#include file="inc.html" -->|<!--#include virtual="/ret" -->]`,
	"dir/inc.html":     `INC`,
	"waited.html":      `x<!--#include virtual="/first.html" -->x<!--#include virtual="/second.html" -->x`,
	"first.html":       `FIRST`,
	"second.html":      `<!--#include virtual="/waited2.html" wait="yes"-->xSECOND`,
	"waited2.html":     `WAITED`,
	"stub.html": `<!--#block name="one" -->STUB<!--#endblock -->` +
		`a<!--#include virtual="/first.html" stub="one" -->b<!--#include virtual="/nope" stub="one" -->` +
		`c<!--#include virtual="/ret" stub="one" -->d<!--#include virtual="/empty.html" stub="one" -->e`,
	"stubif.html": `<!--#block name="one" --><!--#if expr="$arg_if" -->IF<!--#else -->ELSE<!--#endif --><!--#endblock -->` +
		`x<!--#include virtual="/404?$args" stub="one" -->x`,
	"empty.html":     ``,
	"set-local.html": `<!--#include virtual="/first.html" set="v" -->[<!--#echo var="v" -->]`,
	"set-proxy.html": `<!--#include virtual="/proxy/first.html" set="v" -->[<!--#echo var="v" -->]`,
	"set-chunk.html": `<!--#include virtual="/chunked" set="v" -->[<!--#echo var="v" -->]`,
	"set-mc.html":    `<!--#include virtual="/mc" set="v" -->[<!--#echo var="v" -->]`,
	"set-404.html":   `<!--#include virtual="/nope" set="v" -->[<!--#echo var="v" -->]`,
	"set-empty.html": `<!--#include virtual="/proxy/empty.html" set="v" -->[<!--#echo var="v" -->]`,
	"set-ok.html":    `<!--#include virtual="/small/first.html" set="v" -->[<!--#echo var="v" -->]`,
	"set-big.html":   `<!--#include virtual="/small/test1.html" set="v" -->[<!--#echo var="v" -->]`,
	"proxy-inc.html": `[<!--#include virtual="/proxy/first.html" -->|<!--#include virtual="/chunked" -->|<!--#include virtual="/mc" -->]`,
	"date.html":      `<!--#config timefmt="%Y" --><!--#echo var="date_gmt" -->|<!--#config timefmt="%s" --><!--#echo var="date_local" -->`,
	"date-set.html":  `<!--#config timefmt="[%H]" --><!--#set var="d" value="$date_gmt" --><!--#echo var="d" -->`,
	"text/a.txt":     `x<!--#echo var="arg_a" -->x`,
	"plain/a.txt":    `x<!--#echo var="arg_a" -->x`,
	"lm/a.html":      `x<!--#echo var="arg_a" -->x`,
	"nossi/a.html":   `x<!--#echo var="arg_a" -->x`,
	"main.html":      `P<!--#include virtual="first.html" -->P`,
	"cycle.html":     `C<!--#include virtual="/cycle.html" -->`,
	"esc.html":       `[<!--#include virtual="/tes%741.html?test=E" -->][<!--#include virtual="/test1.html%3ftest=E" -->]`,
}

func TestSSI(t *testing.T) {
	testutil.CheckLeaks(t)
	s := startSite(t)
	for name, content := range files {
		s.write(name, content)
	}
	s.write("big.html", strings.Repeat("a", 32760)+`<!--#echo var="arg_b" -->`+strings.Repeat("z", 40000)+`<!--#echo var="arg_b" -->`)
	tests := []struct {
		name, uri string
		body      string // the whole body, or
		like      string // a regular expression it must match
		log       string // expected in the error log
	}{
		{name: "echo without argument", uri: "/test1.html", body: "X(none)X"},
		{name: "echo empty argument", uri: "/test1.html?test=", body: "XX"},
		{name: "echo argument", uri: "/test1.html?a=b&test=test&d=c", body: "XtestX"},
		{name: "include with args", uri: "/test2.html", body: "XXtestXX"},
		{name: "set", uri: "/set.html", body: "XtestX"},
		{name: "encoding none", uri: "/enc-none.html", body: `X<t&'"x">X`},
		{name: "encoding url", uri: "/enc-url.html", body: "X%3Ct%20x%3E?X"},
		{name: "encoding entity", uri: "/enc-entity.html", body: "X&lt;t&amp;x&quot;&gt;X"},
		{name: "encoding is kept", uri: "/enc-sticky.html", body: "<><>"},
		{name: "echo default", uri: "/default.html", body: "[dflt][][(none)]"},
		{name: "names are lowercased", uri: "/upper.html?a=1", body: "v11"},
		{name: "if", uri: "/if.html?if=1&elif=1", body: "xIFx"},
		{name: "elif", uri: "/if.html?elif=1", body: "xELIFx"},
		{name: "else", uri: "/if.html", body: "xELSEx"},
		{name: "equal", uri: "/if-eq.html?v=equal", body: "xEQx"},
		{name: "not equal", uri: "/if-eq.html?v=other", body: "xNEx"},
		{name: "regex captures", uri: "/if-re.html?v=hereCAP1andCAP2", body: "xCAP1-CAP2-(none)x"},
		{name: "regex no match", uri: "/if-re.html?v=CAP1", body: "xx"},
		{name: "named capture", uri: "/if-named.html?v=12abc9", body: "xabcx"},
		{name: "negated regex", uri: "/if-nre.html?v=ba", body: "xNOT-Ax"},
		{name: "negated regex false", uri: "/if-nre.html?v=ab", body: "xAx"},
		{name: "escaped slash", uri: "/if-slash.html?v=/x", body: "xSLASHx"},
		{name: "bad regex", uri: "/if-badre.html?v=a", body: "x" + errText + "Y" + errText + "x", log: `regex "(" cannot be compiled by RE2`},
		{name: "bad expression", uri: "/if-badexpr.html", body: "x" + errText + "Y" + errText + "x", log: `invalid expression in "$arg_v ~ a"`},
		{name: "unclosed regex", uri: "/if-unclosed.html", body: "x" + errText + "Y" + errText + "x", log: `invalid expression in "$arg_v = /a"`},
		{name: "if in if", uri: "/ifif.html", body: "x" + errText + "Yx", log: `the "if" command inside the "if" command`},
		{name: "else without if", uri: "/else.html", body: "x" + errText + "x", log: `invalid context of SSI command: "else"`},
		{name: "endif without if", uri: "/endif.html", body: "x" + errText + "x", log: `invalid context of SSI command: "endif"`},
		{name: "unknown command", uri: "/unknown.html", body: "x" + errText + "x", log: `invalid SSI command: "foo"`},
		{name: "unknown parameter", uri: "/param.html", body: "x" + errText + "x", log: `invalid parameter name: "bar" in "echo" SSI command`},
		{name: "mandatory parameter", uri: "/mandatory.html", body: "x" + errText + "x", log: `mandatory "var" parameter is absent in "echo" SSI command`},
		{name: "duplicate parameter", uri: "/dup.html", body: "x" + errText + "x", log: `duplicate "var" parameter in "echo" SSI command`},
		{name: "virtual and file", uri: "/both.html", body: "x" + errText + "x", log: `inclusion may be either virtual="/a" or file="/b"`},
		{name: "include without uri", uri: "/noparam.html", body: "x" + errText + "x", log: `no parameter in "include" SSI command`},
		{name: "set and stub", uri: "/setstub.html", body: "x" + errText + "x", log: `"set" and "stub" cannot be used together in "include" SSI command`},
		{name: "wait with file", uri: "/waitfile.html", body: "x" + errText + "x", log: `"wait" cannot be used with file="/ret"`},
		{name: "bad wait", uri: "/waitbad.html", body: "x" + errText + "x", log: `invalid value "maybe" in the "wait" parameter`},
		{name: "unsafe uri", uri: "/unsafe.html", body: "x" + errText + "x", log: `unsafe URI "/../etc/passwd" was detected`},
		{name: "stub not found", uri: "/nostub.html", body: "x" + errText + "x", log: `"stub"="none" for "include" not found`},
		{name: "bad variable", uri: "/badvar.html", body: "x" + errText + "x", log: `invalid variable name in "$"`},
		{name: "malformed", uri: "/malformed.html", body: "x" + errText + "x", log: `unexpected "x" symbol before value of "var" parameter in "echo" SSI command`},
		{name: "errmsg", uri: "/errmsg.html", body: "xOOPSx"},
		{name: "silent errors", uri: "/silent/err.html", body: "xx"},
		{name: "too many parameters", uri: "/toomany.html", body: "x" + errText + "x", log: `too many SSI command parameters: "echo"`},
		{name: "value too long", uri: "/short/long.html", body: "x" + errText + "x", log: `too long "12345..." value of "value" parameter in "set" SSI command`},
		{name: "nested includes", uri: "/nested.html", body: "12321"},
		{name: "relative include", uri: "/dir/rel.html", body: "[INC|INC|RET]"},
		{name: "waited", uri: "/waited.html", body: "xFIRSTxWAITEDxSECONDx"},
		{name: "stub", uri: "/stub.html", body: "aFIRSTbSTUBcRETdSTUBe"},
		{name: "stub with if", uri: "/stubif.html?if=1", body: "xIFx"},
		{name: "stub with else", uri: "/stubif.html", body: "xELSEx"},
		{name: "set from file", uri: "/set-local.html", body: "[FIRST]"},
		{name: "set from proxy", uri: "/set-proxy.html", body: "[FIRST]"},
		{name: "set from chunked proxy", uri: "/set-chunk.html", body: "[SEE-THIS]"},
		{name: "set from memcached", uri: "/set-mc.html", body: "[SEE-THIS]"},
		{name: "set from 404", uri: "/set-404.html", body: "[]"},
		{name: "set from empty", uri: "/set-empty.html", body: "[]"},
		{name: "set within buffer", uri: "/set-ok.html", body: "[FIRST]"},
		{name: "proxy includes", uri: "/proxy-inc.html", body: "[FIRST|SEE-THIS|SEE-THIS]"},
		{name: "date", uri: "/date.html", like: `^20\d\d\|\d{10}$`},
		{name: "date in set", uri: "/date-set.html", like: `^\[\d\d\]$`},
		{name: "ssi_types", uri: "/text/a.txt?a=1", body: "x1x"},
		{name: "not a processed type", uri: "/plain/a.txt?a=1", body: `x<!--#echo var="arg_a" -->x`},
		{name: "ssi off", uri: "/nossi/a.html?a=1", body: `x<!--#echo var="arg_a" -->x`},
		{name: "proxied main in pieces", uri: "/streamed?x=y", body: "AyByC<!-- plain -->"},
		{name: "proxied main relative include", uri: "/pssi/main.html", body: "PFIRSTP"},
		{name: "escaped path", uri: "/esc.html", like: `^\[XEX\]\[<html>.*404 Not Found.*\]$`},
		{name: "commands across file chunks", uri: "/big.html?b=B", body: strings.Repeat("a", 32760) + "B" + strings.Repeat("z", 40000) + "B"},
		{name: "subrequest cycle", uri: "/cycle.html", like: `^C{52}` + regexp.QuoteMeta(errText) + `$`, log: `subrequests cycle while processing "/cycle.html"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.get(tc.uri)
			if r.StatusCode != 200 || !r.Complete {
				t.Fatalf("response:\n%s", r)
			}
			if tc.like != "" {
				if !regexp.MustCompile("(?s)" + tc.like).Match(r.Body) {
					t.Errorf("body %.200q does not match %s", r.Body, tc.like)
				}
			} else if string(r.Body) != tc.body {
				t.Errorf("body %q, want %q", r.Body, tc.body)
			}
			if tc.log != "" && !strings.Contains(s.ErrorLog(), tc.log) {
				t.Errorf("error log lacks %q", tc.log)
			}
		})
	}
}

func TestSSIHeaders(t *testing.T) {
	s := startSite(t)
	s.write("lm/a.html", `x<!--#echo var="arg_a" -->x`)
	s.write("a.html", `x<!--#echo var="arg_a" -->x`)
	r := s.get("/a.html")
	for _, h := range []string{"Content-Length", "Last-Modified", "Accept-Ranges", "ETag"} {
		if r.Has(h) {
			t.Errorf("%s kept:\n%s", h, r)
		}
	}
	r = s.get("/lm/a.html")
	if !r.Has("Last-Modified") || !strings.HasPrefix(r.Get("ETag"), `W/"`) || r.Has("Content-Length") {
		t.Errorf("ssi_last_modified: want Last-Modified and a weak ETag, no length:\n%s", r)
	}
	// HTTP/1.1: chunked, and a second request on the connection
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	s.write("inc.html", `[<!--#include virtual="/ret" -->]`)
	if err := c.WriteString("GET /inc.html HTTP/1.1\r\nHost: a\r\n\r\nHEAD /inc.html HTTP/1.1\r\nHost: a\r\n\r\nGET /inc.html HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"[RET]", "", "[RET]"} {
		var r *testutil.Response
		var err error
		if i == 1 {
			r, err = c.ReadHeadResponse()
		} else {
			r, err = c.ReadResponse()
		}
		if err != nil {
			t.Fatal(err)
		}
		if string(r.Body) != want || (i != 1 && r.Get("Transfer-Encoding") != "chunked") {
			t.Errorf("response %d:\n%s", i, r)
		}
	}
}

func TestSSITooBig(t *testing.T) {
	testutil.CheckLeaks(t)
	s := startSite(t)
	for name, content := range files {
		s.write(name, content)
	}
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	if err := c.WriteString("GET /set-big.html HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	data, err := c.ReadUntilClose()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 0 {
		t.Errorf("got %q, want the connection closed with nothing sent", data)
	}
	if !strings.Contains(s.ErrorLog(), `too big subrequest response`) {
		t.Errorf("error log lacks the too big line:\n%s", s.ErrorLog())
	}
}

// TestSSIClientGone: the client leaves while a proxied include waits for
// its backend; the subrequest ends when its output fails, and nothing
// leaks.
func TestSSIClientGone(t *testing.T) {
	testutil.CheckLeaks(t)
	slow := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Sleep(300 * time.Millisecond),
		testutil.Write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nSLOW"), testutil.Close()})
	s := servertest.Start(t, `
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / { ssi on; }
        location /slow { proxy_pass http://`+slow.Addr()+`; }
    }
}
`)
	path := filepath.Join(s.Prefix(), "html", "page.html")
	if err := os.MkdirAll(filepath.Dir(path), 0755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Repeat("x", 100)+`<!--#include virtual="/slow" --><!--#include virtual="/slow" -->`), 0644); err != nil {
		t.Fatal(err)
	}
	c := testutil.Dial(t, s.Addr("A"))
	if err := c.WriteString("GET /page.html HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if !slow.WaitAccepted(1, testutil.DefaultTimeout) {
		t.Fatal("the include never reached its backend")
	}
}
