package cgiup

import (
	"testing"

	"github.com/sluicehq/sluice/upstream"
)

// FuzzProcessHeader feeds arbitrary response heads to the parser at once
// and cut in two reads anywhere: both must agree, never panic, and a
// complete head must leave Pos inside the buffer with a status that came
// from a status line, a Status header, or the CGI defaults.
func FuzzProcessHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, resp []byte, cut uint16) {
		if len(resp) > 4096 {
			return
		}
		var whole Exchange
		u1 := upstream.Bare(4096)
		u1.Feed(resp)
		rc1 := whole.ProcessHeader(u1)

		var split Exchange
		u2 := upstream.Bare(4096)
		at := int(cut) % (len(resp) + 1)
		u2.Feed(resp[:at])
		rc2 := split.ProcessHeader(u2)
		if rc2 == upstream.NeedMore {
			u2.Feed(resp[at:])
			rc2 = split.ProcessHeader(u2)
		}
		if rc1 != rc2 {
			t.Fatalf("one read: %v, cut at %d: %v", rc1, at, rc2)
		}
		if rc1 != upstream.HeaderDone {
			return
		}
		if u1.Pos > u1.Last || u1.Pos != u2.Pos {
			t.Fatalf("Pos %d (cut %d), Last %d", u1.Pos, u2.Pos, u1.Last)
		}
		in := &u1.HeadersIn
		if in.StatusN < 0 || in.StatusN > 999 || in.StatusN != u2.HeadersIn.StatusN || in.StatusLine != u2.HeadersIn.StatusLine {
			t.Fatalf("status %d %q, cut: %d %q", in.StatusN, in.StatusLine, u2.HeadersIn.StatusN, u2.HeadersIn.StatusLine)
		}
		if u1.Length != u2.Length || u1.Keepalive {
			t.Fatalf("length %d (cut %d), keepalive %v", u1.Length, u2.Length, u1.Keepalive)
		}
	})
}
