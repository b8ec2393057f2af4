package faults

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/internal/testutil"
)

// Load is a keepalive load generator: Workers goroutines each keep one
// connection to Addr and send requests on it one after another until the
// context ends, checking every response.
//
// A worker never abandons a request: when the context ends it finishes the
// request in flight, so a run that ends without failures means every
// request sent was answered in full.
//
// A reused keepalive connection that the server closes before sending any
// byte of the answer is the race every HTTP client meets (the server closed
// an idle connection as the request went out, e.g. while reloading); the
// request is then sent again on a new connection and counted in Retries,
// not in Failures. Anything else is a failure: a refused or failed connect,
// a response cut short, a timeout, or a response Check rejects.
type Load struct {
	// Addr is the server's loopback address.
	Addr string
	// Workers is the number of concurrent connections; zero means 4.
	Workers int
	// Request returns the raw request worker w sends as its i-th.
	Request func(w, i int) string
	// Check validates worker w's response; nil accepts any 200.
	Check func(w int, resp *testutil.Response) error
	// Timeout bounds each response; zero means 10s.
	Timeout time.Duration
}

// LoadResult counts what a Load run did.
type LoadResult struct {
	// Requests counts requests answered and accepted by Check.
	Requests int64
	// Retries counts requests sent again after a reused connection closed
	// before any byte of the answer.
	Retries int64
	// Conns counts connections opened.
	Conns int64
	// Failures counts failed requests; Errors describes the first few.
	Failures int64
	Errors   []string
}

// maxErrors bounds LoadResult.Errors.
const maxErrors = 20

// String summarises the result.
func (r LoadResult) String() string {
	return fmt.Sprintf("%d requests answered, %d failed, %d retried after an idle close, %d connections", r.Requests, r.Failures, r.Retries, r.Conns)
}

// Run drives the load until ctx ends and returns the counts once every
// worker has finished its last request.
func (l *Load) Run(ctx context.Context) LoadResult {
	workers := l.Workers
	if workers <= 0 {
		workers = 4
	}
	var (
		res LoadResult
		mu  sync.Mutex
		wg  sync.WaitGroup
	)
	fail := func(w int, format string, args ...any) {
		atomic.AddInt64(&res.Failures, 1)
		mu.Lock()
		if len(res.Errors) < maxErrors {
			res.Errors = append(res.Errors, fmt.Sprintf("worker %d: ", w)+fmt.Sprintf(format, args...))
		}
		mu.Unlock()
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			l.worker(ctx, w, &res, fail)
		}(w)
	}
	wg.Wait()
	return res
}

func (l *Load) worker(ctx context.Context, w int, res *LoadResult, fail func(int, string, ...any)) {
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	var (
		c      *testutil.RawClient
		reused bool
	)
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	drop := func() {
		if c != nil {
			c.Close()
			c = nil
		}
	}
	for i := 0; ctx.Err() == nil; {
		if c == nil {
			var err error
			c, err = testutil.DialTimeout(l.Addr, timeout)
			if err != nil {
				fail(w, "connect: %v", err)
				return
			}
			c.Timeout = timeout
			reused = false
			atomic.AddInt64(&res.Conns, 1)
		}
		req := l.Request(w, i)
		err := c.WriteString(req)
		var resp *testutil.Response
		if err == nil {
			resp, err = c.ReadResponse()
		}
		if err != nil {
			if reused && resp == nil && len(c.Buffered()) == 0 && closedEarly(err) {
				atomic.AddInt64(&res.Retries, 1)
				drop()
				continue
			}
			fail(w, "request %d %q: %v", i, firstLine(req), err)
			drop()
			return
		}
		i++
		if l.Check != nil {
			err = l.Check(w, resp)
		} else if resp.StatusCode != 200 {
			err = fmt.Errorf("status %q", resp.StatusLine)
		}
		if err != nil {
			fail(w, "request %d %q: %v", i-1, firstLine(req), err)
		} else {
			atomic.AddInt64(&res.Requests, 1)
		}
		if resp.Closed || resp.Get("Connection") == "close" {
			drop()
		} else {
			reused = true
		}
	}
}

// closedEarly reports whether err says the server closed (or reset) the
// connection, as opposed to a timeout or garbage.
func closedEarly(err error) bool {
	if errors.Is(err, testutil.ErrTruncated) {
		return true
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	// write errors on a connection the server has closed: EPIPE, ECONNRESET
	return !errors.Is(err, testutil.ErrMalformed)
}

func firstLine(req string) string {
	for i := 0; i < len(req); i++ {
		if req[i] == '\r' || req[i] == '\n' {
			return req[:i]
		}
	}
	return req
}
