package proxy

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/upstream"
)

// FuzzProtocol feeds arbitrary upstream answers to the protocol, cut at
// every step byte, and checks that it never panics, that a complete head
// leaves the body start inside the buffer, and that a chunked body's decoded bytes never exceed what
// arrived.
func FuzzProtocol(f *testing.F) {
	seeds := []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-T: 1\r\n\r\nextra",
		"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.0 200\r\n\r\nclose delimited",
		"no status line",
		"HTTP/1.1 200 OK\r\nBad\x00Header: x\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(0), true)
		f.Add([]byte(s), uint8(3), false)
	}
	f.Fuzz(func(t *testing.T, resp []byte, step uint8, trailers bool) {
		p := newProto(trailers, false)
		split := func(i int) bool { return step > 0 && i%int(step) == 0 }
		u, head, body, _ := feed(t, p, string(resp), split)
		if head == upstream.HeaderDone && (u.Pos < 0 || u.Pos > u.Last) {
			t.Fatalf("body start %d outside the %d bytes read", u.Pos, u.Last)
		}
		if len(body) > len(resp) {
			t.Fatalf("body of %d bytes from %d bytes", len(body), len(resp))
		}
	})
}

// FuzzCookie parses arbitrary Set-Cookie values, applies every flag edit,
// and checks that an unedited value rebuilds to its parts.
func FuzzCookie(f *testing.F) {
	for _, s := range []string{"a=b", "a=b; Path=/; Secure", " a = b ;; samesite=lax;httponly", "x", "=;=;"} {
		f.Add(s, uint(0))
		f.Add(s, uint(flagSecure|flagSecureOn|flagSameSite|flagSameSiteNone))
	}
	f.Fuzz(func(t *testing.T, v string, flags uint) {
		attrs := parseCookie(v)
		if len(attrs) != strings.Count(v, ";")+1 {
			t.Fatalf("%d attributes for %d separators", len(attrs), strings.Count(v, ";"))
		}
		edited := editFlags(append([]cookieAttr(nil), attrs...), flags&(1<<11-1))
		if len(edited) < len(attrs) {
			t.Fatalf("attributes lost")
		}
	})
}
