package redis

import (
	"testing"

	"github.com/sluicehq/sluice/upstream"
)

// FuzzProcessHeader checks that any reply, read at once or byte by byte,
// gets the same answer, without panics, and leaves Pos inside the buffer.
func FuzzProcessHeader(f *testing.F) {
	for _, s := range []string{"$5\r\nhello\r\n", "$-1\r\n", "-ERR x\r\n", ":1\r\n", "$9999999999999999999\r\n", "\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		if len(reply) > 1024 {
			return
		}
		u1 := upstream.Bare(1024)
		u1.Feed(reply)
		rc1 := (&protocol{}).ProcessHeader(u1)
		p2, u2 := &protocol{}, upstream.Bare(1024)
		rc2 := upstream.NeedMore
		for i := range reply {
			u2.Feed(reply[i : i+1])
			if rc2 = p2.ProcessHeader(u2); rc2 != upstream.NeedMore {
				break
			}
		}
		if rc1 != rc2 {
			t.Fatalf("one read %v, byte by byte %v", rc1, rc2)
		}
		if rc1 == upstream.HeaderDone && (u1.Pos > u1.Last || u1.HeadersIn.ContentLengthN < 0) {
			t.Fatalf("pos %d last %d length %d", u1.Pos, u1.Last, u1.HeadersIn.ContentLengthN)
		}
	})
}
