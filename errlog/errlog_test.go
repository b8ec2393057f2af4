package errlog

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

type testCtx struct{ tail string }

func (c testCtx) LogConn() uint64                  { return 7 }
func (c testCtx) AppendLogContext(b []byte) []byte { return append(b, c.tail...) }

// TestAppendLine checks nginx's line layout and its 2048-byte limit
// (NGX_MAX_ERROR_STR), with the room kept for an error code.
func TestAppendLine(t *testing.T) {
	SetPID(42)
	now := time.Date(2026, 11, 22, 9, 8, 7, 0, time.Local)
	long := strings.Repeat("a", 3000)
	cases := []struct {
		name   string
		ctx    Context
		err    error
		msg    string
		want   string // exact line, or prefix when cut
		length int    // expected length when cut (newline included), 0 otherwise
		suffix string
	}{
		{name: "plain", msg: "hello", want: "2026/11/22 09:08:07 [error] 42#42: hello\n"},
		{name: "errno and context", ctx: testCtx{", client: 1.2.3.4"}, err: syscall.ECONNREFUSED, msg: "connect() failed",
			want: "2026/11/22 09:08:07 [error] 42#42: *7 connect() failed (111: Connection refused), client: 1.2.3.4\n"},
		{name: "long context cut", ctx: testCtx{", request: \"" + long + "\""}, msg: "too long",
			want: "2026/11/22 09:08:07 [error] 42#42: *7 too long, request: \"aaa", length: MaxLine, suffix: "aaa\n"},
		{name: "long message keeps the errno", err: syscall.ENOENT, msg: long,
			want: "2026/11/22 09:08:07 [error] 42#42: aaa", length: MaxLine - 50 + len("... (2: No such file or directory)\n"),
			suffix: "aaa... (2: No such file or directory)\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(AppendLine(nil, now, Error, c.ctx, c.err, "%s", c.msg))
			if c.length == 0 {
				if got != c.want {
					t.Errorf("got %q\nwant %q", got, c.want)
				}
				return
			}
			if len(got) != c.length || !strings.HasPrefix(got, c.want) || !strings.HasSuffix(got, c.suffix) {
				t.Errorf("got %d bytes %.80q...%q, want %d bytes ending %q", len(got), got, got[max(0, len(got)-40):], c.length, c.suffix)
			}
		})
	}
}
