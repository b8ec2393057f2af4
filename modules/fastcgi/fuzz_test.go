package fastcgi

import (
	"testing"

	"github.com/sluicehq/sluice/upstream"
)

// FuzzProcessHeader feeds arbitrary responses to the protocol at once and
// in pieces: both must agree on the head, never panic, keep Pos inside
// the buffer, and agree on the body the filter decodes (and on its
// failing, but for bytes after the end of FCGI_STDOUT).
func FuzzProcessHeader(f *testing.F) {
	f.Add([]byte(rec(6, "Status: 404 Not Found\r\n\r\nbody")+rec(6, "")+end()), uint8(3), false)
	f.Add([]byte(rec(7, "err")+rec(6, "X: y\r")+rec(6, "\n\r\nz")+end()), uint8(1), true)
	f.Add([]byte("\x01\x06\x00\x01\x00\x05\x03\x00\r\n\r\nab\x00\x00\x00"), uint8(2), false)
	f.Fuzz(func(t *testing.T, resp []byte, step uint8, keep bool) {
		if len(resp) > 8192 {
			return
		}
		p1 := newProto(keep, "FATAL")
		rc1, u1, body1, err1 := exchange(t, p1, string(resp), 0, true)
		p2 := newProto(keep, "FATAL")
		rc2, u2, body2, err2 := exchange(t, p2, string(resp), int(step)+1, true)
		if rc1 == upstream.HeaderDone && (u1.Pos > u1.Last || u1.Last > len(u1.Buffer)) {
			t.Fatalf("pos %d last %d", u1.Pos, u1.Last)
		}
		// stderr is looked at piece by piece: a catch_stderr string
		// split across reads is not found, as in nginx
		if rc1 != rc2 && !(rc1 == upstream.Invalid || rc2 == upstream.Invalid) {
			t.Fatalf("at once %v, in pieces %v", rc1, rc2)
		}
		if rc1 != upstream.HeaderDone || rc2 != upstream.HeaderDone {
			return
		}
		if u1.HeadersIn.StatusN != u2.HeadersIn.StatusN {
			t.Fatalf("status %d vs %d", u1.HeadersIn.StatusN, u2.HeadersIn.StatusN)
		}
		// the bytes after an empty FCGI_STDOUT are still decoded with the
		// read that ended stdout (nginx goes on through its buffer), so a
		// bad record there fails one way and not the other: the body is
		// whole either way
		if body1 != body2 && (err1 == nil || err2 == nil) {
			t.Fatalf("body %q (%v) vs %q (%v)", body1, err1, body2, err2)
		}
	})
}
