package ocspc

import (
	"errors"
	"testing"
)

// TestParseHead: nginx's status line and header parsers, as far as they
// decide: the code, where the body starts, a head that needs more bytes,
// one refused, a Content-Type other than OCSP's.
func TestParseHead(t *testing.T) {
	cases := []struct {
		name, in string
		code     int
		body     int // -1: need more
		err      string
	}{
		{"ok", "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n\r\nDER", 200, 60, ""},
		{"bare LF", "HTTP/1.0 200 OK\nServer: x\n\nDER", 200, 27, ""},
		{"no text", "HTTP/1.0 404\r\n\r\n", 404, 16, ""},
		{"IIS sub-status", "HTTP/1.0 403.1 Forbidden\r\n\r\n", 403, 28, ""},
		{"spaces in the code", "HTTP/1.0  2 00 OK\r\n\r\n", 200, 21, ""},
		{"content type any case", "HTTP/1.0 200 OK\r\ncontent-TYPE: Application/OCSP-Response  \r\n\r\n", 200, 62, ""},
		{"header without colon", "HTTP/1.0 200 OK\r\nX-Bare\r\n\r\n", 200, 27, ""},
		{"empty value", "HTTP/1.0 200 OK\r\nX-Empty:\r\n\r\n", 200, 29, ""},
		{"incomplete status", "HTTP/1.1 20", 0, -1, ""},
		{"incomplete headers", "HTTP/1.1 200 OK\r\nContent-Type: app", 0, -1, ""},
		{"CR at the end", "HTTP/1.1 200 OK\r\n\r", 0, -1, ""},
		{"not HTTP", "SMTP/1.0 200 OK\r\n\r\n", 0, 0, "OCSP responder sent invalid response"},
		{"HTTP/0", "HTTP/0.9 200 OK\r\n\r\n", 0, 0, "OCSP responder sent invalid response"},
		{"two-digit code", "HTTP/1.0 20\r\n\r\n", 0, 0, "OCSP responder sent invalid response"},
		{"CR without LF", "HTTP/1.0 200 OK\rX\r\n\r\n", 0, 0, "OCSP responder sent invalid response"},
		{"bad header name", "HTTP/1.0 200 OK\r\nX_Y: 1\r\n\r\n", 0, 0, "OCSP responder sent invalid response"},
		{"header starts with a dash", "HTTP/1.0 200 OK\r\n-X: 1\r\n\r\n", 0, 0, "OCSP responder sent invalid response"},
		{"bad content type", "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n", 0, 0, `OCSP responder sent invalid "Content-Type" header: "text/html"`},
		{"content type with parameters", "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response; q=1\r\n\r\n", 0, 0, `OCSP responder sent invalid "Content-Type" header: "application/ocsp-response; q=1"`},
		{"content type before a bad line", "HTTP/1.0 200 OK\r\nContent-Type: x\r\n_\r\n\r\n", 0, 0, `OCSP responder sent invalid "Content-Type" header: "x"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body, err := ParseHead([]byte(tc.in))
			switch {
			case tc.err != "":
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
			case tc.body < 0:
				if !errors.Is(err, errNeedMore) {
					t.Fatalf("err %v, want need more", err)
				}
			case err != nil:
				t.Fatalf("err %v", err)
			case code != tc.code || body != tc.body:
				t.Fatalf("code %d body %d, want %d %d", code, body, tc.code, tc.body)
			}
		})
	}
}

// TestParseHeadPrefixes: every prefix of a complete head needs more,
// as nginx waits for more bytes at any point.
func TestParseHeadPrefixes(t *testing.T) {
	head := "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response \r\nX: a b \r\n\r\n"
	for i := range len(head) {
		if _, _, err := ParseHead([]byte(head[:i])); !errors.Is(err, errNeedMore) {
			t.Fatalf("%q: %v", head[:i], err)
		}
	}
	if _, body, err := ParseHead([]byte(head)); err != nil || body != len(head) {
		t.Fatalf("whole: %d %v", body, err)
	}
}

// TestHTTPRequest: the GET nginx sends, the request in base64 escaped as
// a URI component, a '/' between the URI and it unless the URI ends
// with one.
func TestHTTPRequest(t *testing.T) {
	der := []byte{0xfb, 0xff, 0xfe, 0x01}
	cases := []struct{ uri, want string }{
		{"/", "GET /%2B%2F%2F%2BAQ%3D%3D HTTP/1.0\r\nHost: ocsp.test\r\n\r\n"},
		{"/ocsp", "GET /ocsp/%2B%2F%2F%2BAQ%3D%3D HTTP/1.0\r\nHost: ocsp.test\r\n\r\n"},
		{"/a/", "GET /a/%2B%2F%2F%2BAQ%3D%3D HTTP/1.0\r\nHost: ocsp.test\r\n\r\n"},
	}
	for _, tc := range cases {
		got := string(httpRequest(&Responder{Host: "ocsp.test", URI: tc.uri}, der))
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.uri, got, tc.want)
		}
	}
}

// TestParseResponder: http:// only, port 80 by default, "/" for no URI;
// nginx's error texts.
func TestParseResponder(t *testing.T) {
	cases := []struct {
		url, host, uri string
		port           int
		err            string
	}{
		{"http://127.0.0.1:8081", "127.0.0.1", "/", 8081, ""},
		{"HTTP://127.0.0.1/test", "127.0.0.1", "/test", 80, ""},
		{"https://127.0.0.1/", "", "", 0, "invalid URL prefix"},
		{"http://", "", "", 0, "invalid URL prefix"},
		{"http://127.0.0.1:99999/", "", "", 0, "invalid port"},
		{"http://ocsp.test/", "ocsp.test", "/", 80, ""},
	}
	for _, tc := range cases {
		r, _, err := ParseResponder(tc.url, true, nil)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: err %v, want %q", tc.url, err, tc.err)
			}
			continue
		}
		if err != nil || r.Host != tc.host || r.URI != tc.uri || r.Port != tc.port {
			t.Errorf("%s: %+v %v", tc.url, r, err)
		}
	}
}
