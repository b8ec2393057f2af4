package ocspc

import (
	"errors"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"
)

// FuzzParseHead checks the head parser on any bytes: no panic, a body
// offset inside the input, a code of three digits, and the same decision
// on every longer input once a prefix was decided (nginx parses as bytes
// arrive).
func FuzzParseHead(f *testing.F) {
	f.Add([]byte("HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n\r\n0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		code, body, err := ParseHead(b)
		if err == nil {
			if body > len(b) || code < 0 || code > 999 {
				t.Fatalf("code %d body %d of %d", code, body, len(b))
			}
		}
		// a decided prefix decides the whole the same way
		for i := range len(b) {
			c2, b2, e2 := ParseHead(b[:i])
			if errors.Is(e2, errNeedMore) {
				continue
			}
			if (e2 == nil) != (err == nil) || c2 != code || b2 != body {
				t.Fatalf("prefix %d: %d %d %v, whole: %d %d %v", i, c2, b2, e2, code, body, err)
			}
			break
		}
	})
}

// FuzzParseResponse checks the response parser and the verification on
// any bytes: no panic.
func FuzzParseResponse(f *testing.F) {
	p := newPKI(f)
	f.Add(p.respond(f, p.inter, true, xocsp.Response{Status: xocsp.Good}))
	f.Add(p.respond(f, p.delegated, true, xocsp.Response{Status: xocsp.Revoked, RevokedAt: time.Now()}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResponse(b)
		if err != nil {
			return
		}
		r.Verify(&Check{Cert: p.leaf.Cert, Issuer: p.inter.Cert, Mode: Full, Now: time.Now()})
		FirstResponse(b)
	})
}
