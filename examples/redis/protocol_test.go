package redis

import (
	"testing"

	"github.com/sluicehq/sluice/upstream"
)

// TestProtocol feeds replies to the protocol the way the framework does —
// head bytes to ProcessHeader until it stops asking for more, then body
// bytes to FilterBody — cut into reads in several ways.
func TestProtocol(t *testing.T) {
	tests := []struct {
		name   string
		reply  string
		head   upstream.HeaderResult
		status int
		body   string
		keep   bool
		err    bool
	}{
		{name: "string", reply: "$5\r\nhello\r\n", head: upstream.HeaderDone, status: 200, body: "hello", keep: true},
		{name: "empty string", reply: "$0\r\n\r\n", head: upstream.HeaderDone, status: 200, keep: true},
		{name: "crlf inside", reply: "$4\r\n\r\n\r\n\r\n", head: upstream.HeaderDone, status: 200, body: "\r\n\r\n", keep: true},
		{name: "nil", reply: "$-1\r\n", head: upstream.HeaderDone, status: 404, keep: true},
		{name: "bad end", reply: "$2\r\nabXY", head: upstream.HeaderDone, status: 200, body: "ab", err: true},
		{name: "error reply", reply: "-ERR unknown command\r\n", head: upstream.Invalid},
		{name: "integer reply", reply: ":1\r\n", head: upstream.Invalid},
		{name: "bad length", reply: "$x\r\n", head: upstream.Invalid},
		{name: "bare lf", reply: "$1\nx\r\n", head: upstream.Invalid},
		{name: "incomplete", reply: "$5\r", head: upstream.NeedMore},
	}
	splits := map[string]func(int) bool{
		"one read":     func(int) bool { return false },
		"byte by byte": func(int) bool { return true },
		"every third":  func(i int) bool { return i%3 == 0 },
	}
	for _, tc := range tests {
		for sname, split := range splits {
			t.Run(tc.name+"/"+sname, func(t *testing.T) {
				p := &protocol{key: "k"}
				u := upstream.Bare(64)
				var reads []string
				start := 0
				for i := 1; i <= len(tc.reply); i++ {
					if i == len(tc.reply) || split(i) {
						reads = append(reads, tc.reply[start:i])
						start = i
					}
				}
				// the head: each read is appended to the buffer
				head := upstream.NeedMore
				for len(reads) > 0 && head == upstream.NeedMore {
					u.Feed([]byte(reads[0]))
					reads = reads[1:]
					head = p.ProcessHeader(u)
				}
				if head != tc.head {
					t.Fatalf("head %v, want %v", head, tc.head)
				}
				if head != upstream.HeaderDone {
					return
				}
				if u.HeadersIn.StatusN != tc.status {
					t.Fatalf("status %d, want %d", u.HeadersIn.StatusN, tc.status)
				}
				// the body: what came with the head, then the other reads
				p.InitBody(u)
				reads = append([]string{string(u.Buffer[u.Pos:u.Last])}, reads...)
				var body string
				var err error
				for _, r := range reads {
					if u.Length == 0 || err != nil {
						break
					}
					u.Out = u.Out[:0]
					err = p.FilterBody(u, []byte(r))
					for _, b := range u.Out {
						body += string(b)
					}
				}
				if body != tc.body || (err != nil) != tc.err || u.Keepalive != tc.keep {
					t.Errorf("body %q err %v keepalive %v; want %q err %v keepalive %v", body, err, u.Keepalive, tc.body, tc.err, tc.keep)
				}
			})
		}
	}
}

func TestCreateRequest(t *testing.T) {
	u := upstream.Bare(16)
	if err := (&protocol{key: "a b\r\n"}).CreateRequest(u); err != nil {
		t.Fatal(err)
	}
	want := "*2\r\n$3\r\nGET\r\n$5\r\na b\r\n\r\n"
	if got := string(u.Request.Pieces[0].Data); got != want {
		t.Errorf("request %q, want %q", got, want)
	}
}
