package memcached

import (
	"bytes"
	"testing"

	"github.com/sluicehq/sluice/upstream"
)

// FuzzProcessHeader feeds arbitrary answers to the header parser, at once
// and byte by byte: both must agree, never panic, and a parsed head must
// leave Pos inside the buffer with a status of 200 or 404.
func FuzzProcessHeader(f *testing.F) {
	f.Add("/", []byte("VALUE / 0 8\r\nSEE-THIS\r\nEND\r\n"), uint16(0))
	f.Add("/k", []byte("END\r\n"), uint16(0))
	f.Add("a b", []byte("VALUE a%20b 3 1\r\nx\r\nEND\r\n"), uint16(2))
	f.Add("k", []byte("SERVER_ERROR object too large for cache\r\n"), uint16(0))
	f.Add("k", []byte("VALUE k 0 99999999999999999999\r\n"), uint16(1))
	f.Fuzz(func(t *testing.T, key string, resp []byte, gzipFlag uint16) {
		if len(resp) > 4096 {
			return
		}
		whole := newProtocol(key, uint64(gzipFlag))
		u1 := upstream.Bare(4096)
		u1.Feed(resp)
		rc1 := whole.ProcessHeader(u1)

		bytewise := newProtocol(key, uint64(gzipFlag))
		u2 := upstream.Bare(4096)
		rc2 := upstream.NeedMore
		for i := range resp {
			u2.Feed(resp[i : i+1])
			if rc2 = bytewise.ProcessHeader(u2); rc2 != upstream.NeedMore {
				break
			}
		}
		if rc1 != rc2 {
			t.Fatalf("one read: %v, byte by byte: %v", rc1, rc2)
		}
		if rc1 != upstream.HeaderDone {
			return
		}
		if u1.Pos > u1.Last || u1.Pos != u2.Pos {
			t.Fatalf("Pos %d (byte by byte %d), Last %d", u1.Pos, u2.Pos, u1.Last)
		}
		st := u1.HeadersIn.StatusN
		if st != 200 && st != 404 || u1.HeadersIn.ContentLengthN < 0 {
			t.Fatalf("status %d length %d", st, u1.HeadersIn.ContentLengthN)
		}
		if whole.gzip && gzipFlag == 0 {
			t.Fatal("gzip without memcached_gzip_flag")
		}
	})
}

// FuzzFilterBody cuts a body into two reads anywhere and checks that the
// bytes passed on are a prefix of the announced value, never more than it,
// and all of it when the body is the value and a good trailer.
func FuzzFilterBody(f *testing.F) {
	f.Add(uint16(8), []byte("SEE-THIS\r\nEND\r\n"), uint16(5))
	f.Add(uint16(0), []byte("\r\nEND\r\n"), uint16(3))
	f.Add(uint16(8), []byte("SEE-THIS\r\nEND\r\n\x00111"), uint16(15))
	f.Add(uint16(3), []byte("SEE-THIS\r\nEND\r\n"), uint16(1))
	f.Fuzz(func(t *testing.T, length uint16, body []byte, cut uint16) {
		p := newProtocol("k", 0)
		u := upstream.Bare(16)
		u.HeadersIn.StatusN = 200
		u.HeadersIn.ContentLengthN = int64(length)
		if err := p.InitBody(u); err != nil {
			t.Fatal(err)
		}
		c := int(cut) % (len(body) + 1)
		var out []byte
		fed := 0
		for _, raw := range [][]byte{body[:c], body[c:]} {
			if u.Length == 0 {
				break
			}
			fed += len(raw)
			if err := p.FilterBody(u, raw); err != nil {
				t.Fatal(err)
			}
			for _, b := range u.Out {
				out = append(out, b...)
			}
			u.Out = u.Out[:0]
		}
		if len(out) > int(length) || !bytes.HasPrefix(body, out) {
			t.Fatalf("passed on %q for a %d-byte value in %q", out, length, body)
		}
		good := len(body) == int(length)+len(trailer) && string(body[length:]) == trailer
		if good && (len(out) != int(length) || u.Length != 0 || !u.Keepalive) {
			t.Fatalf("good body %q: out %q, left %d, keepalive %v", body, out, u.Length, u.Keepalive)
		}
		// keepalive only when what was read is exactly value and trailer
		if u.Keepalive && (fed != int(length)+len(trailer) || string(body[length:fed]) != trailer) {
			t.Fatalf("keepalive after reading %q", body[:fed])
		}
	})
}
