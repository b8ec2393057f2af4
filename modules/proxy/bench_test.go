package proxy

import (
	"testing"

	"github.com/sluicehq/sluice/upstream"
)

// BenchmarkProcessHeader parses a typical response head and its chunked
// body, as the framework feeds them.
func BenchmarkProcessHeader(b *testing.B) {
	resp := []byte("HTTP/1.1 200 OK\r\nServer: backend\r\nDate: Mon, 02 Jan 2006 15:04:05 GMT\r\n" +
		"Content-Type: text/html; charset=utf-8\r\nCache-Control: no-cache\r\nSet-Cookie: id=1; Path=/\r\n" +
		"Transfer-Encoding: chunked\r\n\r\n")
	body := []byte("400\r\n" + string(make([]byte, 1024)) + "\r\n0\r\n\r\n")
	p := newProto(false, false)
	u := upstream.Bare(4096)
	b.ReportAllocs()
	b.SetBytes(int64(len(resp) + len(body)))
	for i := 0; i < b.N; i++ {
		u.Pos, u.Last = 0, 0
		u.HeadersIn = upstream.HeadersIn{List: u.HeadersIn.List[:0], ContentLengthN: -1, LastModifiedTime: -1}
		p.Reinit(u)
		u.Feed(resp)
		if p.ProcessHeader(u) != upstream.HeaderDone {
			b.Fatal("head not done")
		}
		u.Out = u.Out[:0]
		if err := p.filtered.FilterBody(u, body); err != nil || u.Length != 0 {
			b.Fatal("body not done")
		}
	}
}
