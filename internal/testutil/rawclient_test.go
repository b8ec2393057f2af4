package testutil

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// rawServer answers every connection by reading a request head and then
// running the given steps; it is the Backend itself, used here as a plain
// raw listener.
func rawServer(t *testing.T, steps ...Step) string {
	t.Helper()
	return StartBackend(t, Script(steps)).Addr()
}

func TestRawClientAgainstNetHTTP(t *testing.T) {
	CheckLeaks(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Header().Set("X-Mixed-Case", "v1")
			w.Header().Add("X-Mixed-Case", "v2")
			io.WriteString(w, "part1")
			w.(http.Flusher).Flush()
			io.WriteString(w, "part2")
		case "/close":
			w.Header().Set("Connection", "close")
			io.WriteString(w, "bye")
		default:
			w.Header().Set("Content-Length", "5")
			io.WriteString(w, "hello")
		}
	}))
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()

	tests := []struct {
		name  string
		req   string
		head  bool
		check func(t *testing.T, r *Response)
	}{
		{
			name: "content-length",
			req:  "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, r *Response) {
				expect(t, "status", r.StatusCode, 200)
				expect(t, "body", string(r.Body), "hello")
				expect(t, "closed", r.Closed, false)
			},
		},
		{
			name: "chunked keeps duplicates",
			req:  "GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, r *Response) {
				expect(t, "framing", r.Framing, FramingChunked)
				expect(t, "body", string(r.Body), "part1part2")
				expect(t, "last chunk", r.LastChunk, true)
				expect(t, "values", r.Values("x-mixed-case"), []string{"v1", "v2"})
			},
		},
		{
			name: "head",
			req:  "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n",
			head: true,
			check: func(t *testing.T, r *Response) {
				expect(t, "framing", r.Framing, FramingNone)
				expect(t, "content-length", r.ContentLength, int64(5))
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Dial(t, addr)
			if err := c.WriteString(tc.req); err != nil {
				t.Fatal(err)
			}
			read := c.ReadResponse
			if tc.head {
				read = c.ReadHeadResponse
			}
			r, err := read()
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, r)
		})
	}

	t.Run("connection close is seen", func(t *testing.T) {
		c := Dial(t, addr)
		c.WriteString("GET /close HTTP/1.1\r\nHost: x\r\n\r\n")
		r, err := c.ReadResponse()
		if err != nil {
			t.Fatal(err)
		}
		closed, extra, err := c.WaitClosed(DefaultTimeout)
		if err != nil || !closed || len(extra) != 0 {
			t.Fatalf("WaitClosed = %v %q %v, want closed with nothing more", closed, extra, err)
		}
		expect(t, "body", string(r.Body), "bye")
	})

	t.Run("pipelined responses", func(t *testing.T) {
		c := Dial(t, addr)
		c.WriteString("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /chunked HTTP/1.1\r\nHost: x\r\n\r\nGET /close HTTP/1.1\r\nHost: x\r\n\r\n")
		resps, rest, err := c.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(resps) != 3 || len(rest) != 0 {
			t.Fatalf("got %d responses and %q left, want 3 and nothing", len(resps), rest)
		}
		expect(t, "bodies", []string{string(resps[0].Body), string(resps[1].Body), string(resps[2].Body)},
			[]string{"hello", "part1part2", "bye"})
		expect(t, "first remaining", len(resps[0].Remaining) > 0, true)
	})
}

func TestRawClientRawServers(t *testing.T) {
	tests := []struct {
		name  string
		steps []Step
		read  func(t *testing.T, c *RawClient)
	}{
		{
			name:  "truncated body then close",
			steps: []Step{ReadHead(), Write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), Close()},
			read: func(t *testing.T, c *RawClient) {
				r, err := c.ReadResponse()
				if !errors.Is(err, ErrTruncated) {
					t.Fatalf("err = %v, want ErrTruncated", err)
				}
				expect(t, "body", string(r.Body), "abc")
				expect(t, "closed", r.Closed, true)
				expect(t, "complete", r.Complete, false)
			},
		},
		{
			name:  "reset is reported",
			steps: []Step{ReadHead(), Write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), Reset()},
			read: func(t *testing.T, c *RawClient) {
				r, err := c.ReadResponse()
				if !errors.Is(err, ErrTruncated) {
					t.Fatalf("err = %v, want ErrTruncated", err)
				}
				expect(t, "closed", r.Closed, true)
				expect(t, "reset", c.WasReset(), true)
			},
		},
		{
			name:  "stalled server hits the deadline",
			steps: []Step{ReadHead(), Write("HTTP/1.1 200 OK\r\n"), Stall()},
			read: func(t *testing.T, c *RawClient) {
				c.Timeout = 50 * time.Millisecond
				_, err := c.ReadResponse()
				if !errors.Is(err, os.ErrDeadlineExceeded) || !strings.Contains(err.Error(), "HTTP/1.1 200 OK") {
					t.Fatalf("err = %v, want a deadline error quoting what arrived", err)
				}
			},
		},
		{
			name:  "slow writer is reassembled",
			steps: []Step{ReadHead(), WriteSlowly("HTTP/1.1 204 No Content\r\nX: y\r\n\r\n", time.Microsecond), Stall()},
			read: func(t *testing.T, c *RawClient) {
				r, err := c.ReadResponse()
				if err != nil {
					t.Fatal(err)
				}
				expect(t, "status", r.StatusCode, 204)
				expect(t, "header", r.Get("X"), "y")
			},
		},
		{
			name:  "until close body",
			steps: []Step{ReadHead(), Write("HTTP/1.0 200 OK\r\n\r\nall of it"), Close()},
			read: func(t *testing.T, c *RawClient) {
				r, err := c.ReadResponse()
				if err != nil {
					t.Fatal(err)
				}
				expect(t, "body", string(r.Body), "all of it")
				expect(t, "framing", r.Framing, FramingClose)
				expect(t, "closed", r.Closed, true)
			},
		},
		{
			name:  "keepalive connection stays open",
			steps: []Step{ReadHead(), Write(HTTPResponse(200, "ok")), Stall()},
			read: func(t *testing.T, c *RawClient) {
				if _, err := c.ReadResponse(); err != nil {
					t.Fatal(err)
				}
				closed, _, err := c.WaitClosed(20 * time.Millisecond)
				if err != nil || closed {
					t.Fatalf("WaitClosed = %v, %v; want open", closed, err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Dial(t, rawServer(t, tc.steps...))
			if err := c.WriteString("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			tc.read(t, c)
		})
	}
}

func TestWritePieces(t *testing.T) {
	b := StartBackend(t, Script{ReadRequest(), Write(HTTPResponse(200, "done")), Close()})
	c := Dial(t, b.Addr())
	req := "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"
	var gaps []int
	err := c.WritePieces(Split(req, 5, 20, len(req)-2), func(i int) error {
		gaps = append(gaps, i)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadResponse(); err != nil {
		t.Fatal(err)
	}
	expect(t, "gaps", gaps, []int{0, 1, 2})
	reqs := b.Requests()
	if len(reqs) != 1 {
		t.Fatalf("backend saw %d requests", len(reqs))
	}
	expect(t, "line", reqs[0].Line(), "POST /p HTTP/1.1")
	expect(t, "body", string(reqs[0].Body), "body")

	t.Run("error from between stops writing", func(t *testing.T) {
		stop := fmt.Errorf("stop")
		err := c.WritePieces(Split("abcdef", 2), func(int) error { return stop })
		if err != stop {
			t.Fatalf("err = %v, want the hook's error", err)
		}
	})
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name    string
		offsets []int
		want    []string
	}{
		{"none", nil, []string{"abcdef"}},
		{"middle", []int{2, 4}, []string{"ab", "cd", "ef"}},
		{"edges", []int{0, 6}, []string{"", "abcdef", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range Split("abcdef", tc.offsets...) {
				got = append(got, string(p))
			}
			expect(t, "pieces", got, tc.want)
		})
	}
}

func TestRoundTrip(t *testing.T) {
	addr := rawServer(t, ReadHead(), Write(HTTPResponse(404, "nope", "X-A: b")), Close())
	r := RoundTrip(t, addr, "GET /x HTTP/1.0\r\n\r\n")
	expect(t, "status line", r.StatusLine, "HTTP/1.1 404 Not Found")
	expect(t, "header", r.Get("x-a"), "b")
}

func TestDialFailure(t *testing.T) {
	_, err := DialTimeout(RefusedAddr(t), time.Second)
	var op *net.OpError
	if !errors.As(err, &op) {
		t.Fatalf("err = %v, want a dial error", err)
	}
}
