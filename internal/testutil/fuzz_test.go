package testutil

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseResponse checks that ParseResponse never panics, never claims
// more bytes than it was given, and is incremental: a response it accepts is
// accepted again from exactly its own bytes, and every shorter prefix of
// those bytes asks for more.
func FuzzParseResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), false, false)
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n"), false, false)
	f.Add([]byte("HTTP/1.0 200 OK\n\nuntil close"), true, false)
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"), false, true)
	f.Fuzz(func(t *testing.T, data []byte, atEOF, noBody bool) {
		opts := ParseOptions{NoBody: noBody}
		r, n, err := ParseResponse(data, atEOF, opts)
		if n < 0 || n > len(data) {
			t.Fatalf("used %d of %d bytes", n, len(data))
		}
		if atEOF && errors.Is(err, ErrIncomplete) {
			t.Fatalf("asked for more bytes at EOF")
		}
		if err != nil || r == nil || r.Framing == FramingClose || len(data) > 4096 {
			return
		}
		own := data[:n]
		r2, n2, err := ParseResponse(own, false, opts)
		if err != nil || n2 != n || !bytes.Equal(r2.Body, r.Body) || r2.StatusLine != r.StatusLine {
			t.Fatalf("reparse of own bytes: n=%d err=%v (first n=%d)", n2, err, n)
		}
		for i := 0; i < n; i++ {
			if _, _, err := ParseResponse(own[:i], false, opts); !errors.Is(err, ErrIncomplete) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("prefix of %d bytes gave %v, want ErrIncomplete", i, err)
			}
		}
	})
}
