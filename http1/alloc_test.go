package http1

import "testing"

// A request line with ten headers, as a browser sends it.
var benchRequest = []byte("GET /static/app.js?v=1234 HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
	"Accept: */*\r\n" +
	"Accept-Language: en-US,en;q=0.5\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\n" +
	"Referer: https://www.example.com/\r\n" +
	"Connection: keep-alive\r\n" +
	"Cookie: session=abcdef0123456789; theme=dark\r\n" +
	"Sec-Fetch-Dest: script\r\n" +
	"If-None-Match: \"5f3c-1a2b\"\r\n" +
	"\r\n")

// A status line with ten headers, as an upstream sends it.
var benchResponse = []byte("HTTP/1.1 200 OK\r\n" +
	"Server: nginx/1.27.0\r\n" +
	"Date: Sat, 22 Nov 2025 07:48:00 GMT\r\n" +
	"Content-Type: application/javascript\r\n" +
	"Content-Length: 12345\r\n" +
	"Last-Modified: Fri, 21 Nov 2025 10:00:00 GMT\r\n" +
	"Connection: keep-alive\r\n" +
	"ETag: \"5f3c-1a2b\"\r\n" +
	"Cache-Control: max-age=3600\r\n" +
	"Set-Cookie: sid=1; Path=/\r\n" +
	"Accept-Ranges: bytes\r\n" +
	"\r\n")

// benchChunked is a chunked body of 16 chunks of 1 KiB with a trailer.
var benchChunked = func() []byte {
	var b []byte
	chunk := make([]byte, 1024)
	for i := range chunk {
		chunk[i] = 'a' + byte(i%26)
	}
	for range 16 {
		b = append(b, "400;ext=1\r\n"...)
		b = append(b, chunk...)
		b = append(b, "\r\n"...)
	}
	return append(b, "0\r\nX-Trailer: 1\r\n\r\n"...)
}()

// parseRequestHead parses a request line and headers, looking each name up
// as the server will. It returns the number of headers, or -1.
func parseRequestHead(rl *RequestLine, h *HeaderParser, buf []byte) int {
	rl.Reset()
	if rl.Parse(buf) != OK {
		return -1
	}
	h.Reset()
	h.Pos = rl.Pos
	n := 0
	for {
		switch h.Parse(buf) {
		case OK:
			name := h.LowerName()
			if name == nil {
				name = h.Name(buf)
			}
			if LookupHeader(name) == HeaderHost {
				if _, _, ok := ValidateHost(nil, h.Value(buf)); !ok {
					return -1
				}
			}
			n++
		case HeaderDone:
			return n
		default:
			return -1
		}
	}
}

// parseResponseHead parses a status line and headers.
func parseResponseHead(s *StatusLine, h *HeaderParser, buf []byte) int {
	s.Reset()
	if s.Parse(buf) != OK {
		return -1
	}
	h.Reset()
	h.Pos = s.Pos
	n := 0
	for {
		switch h.Parse(buf) {
		case OK:
			LookupHeader(h.LowerName())
			n++
		case HeaderDone:
			return n
		default:
			return -1
		}
	}
}

// decodeChunked decodes a whole chunked body, returning the data length.
func decodeChunked(c *Chunked, buf []byte) int {
	c.Reset()
	n := 0
	for {
		switch c.Parse(buf) {
		case OK:
			n += c.DataEnd - c.DataStart
		case Done:
			return n
		default:
			return -1
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	tests := []struct {
		name string
		run  func() int
		want int
	}{
		{"request line and 10 headers", func() int {
			var rl RequestLine
			h := HeaderParser{}
			return parseRequestHead(&rl, &h, benchRequest)
		}, 10},
		{"status line and 10 headers", func() int {
			var s StatusLine
			h := HeaderParser{AllowUnderscores: true, Upstream: true}
			return parseResponseHead(&s, &h, benchResponse)
		}, 10},
		{"chunked body", func() int {
			var c Chunked
			return decodeChunked(&c, benchChunked)
		}, 16 * 1024},
		{"complex URI", func() int {
			var dst [64]byte
			u, res := ParseComplexURI(dst[:], []byte("/a/b/../c%20d//e.html?x=1"), false, true)
			if res != OK {
				return -1
			}
			return u.Len
		}, len("/a/c d/e.html")},
		{"helpers", func() int {
			v, _ := Arg([]byte("a=1&b=22"), []byte("b"))
			c, _ := Cookie([]byte("x=1; sid=abc"), []byte("sid"))
			s, _ := SetCookie([]byte("sid=abcd; Path=/"), []byte("sid"))
			var buf [32]byte
			e := Escape(buf[:0], []byte("a b"), EscapeArgs)
			return len(v) + len(c) + len(s) + len(e)
		}, 2 + 3 + 4 + 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.run(); got != tt.want {
				t.Fatalf("result %d, want %d", got, tt.want)
			}
			if n := testing.AllocsPerRun(100, func() { tt.run() }); n != 0 {
				t.Errorf("%v allocations per run, want 0", n)
			}
		})
	}
}
