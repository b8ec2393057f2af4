package testutil

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// DefaultTimeout bounds each RawClient operation (one write, one response,
// one read-until-close) unless the client's Timeout says otherwise.
const DefaultTimeout = 10 * time.Second

// RawClient is a TCP client that writes bytes exactly as given and reads
// HTTP/1.x responses exactly as received. Every read and write carries a
// deadline, so a server that stops answering fails the test instead of
// hanging it.
//
// A RawClient is not safe for concurrent use.
type RawClient struct {
	// Timeout bounds each operation; zero means DefaultTimeout.
	Timeout time.Duration

	conn   net.Conn
	buf    []byte // received, not yet returned in a response
	closed bool   // EOF or reset seen
	reset  bool
}

// Dial connects to addr (which must be a loopback address in sluice's tests)
// and fails the test if it cannot. The connection is closed at cleanup.
func Dial(t testing.TB, addr string) *RawClient {
	t.Helper()
	c, err := DialTimeout(addr, DefaultTimeout)
	if err != nil {
		t.Fatalf("testutil: dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// DialTimeout connects to addr within timeout.
func DialTimeout(addr string, timeout time.Duration) (*RawClient, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	return NewRawClient(conn), nil
}

// NewRawClient wraps an established connection.
func NewRawClient(conn net.Conn) *RawClient {
	return &RawClient{conn: conn}
}

// Conn returns the underlying connection.
func (c *RawClient) Conn() net.Conn { return c.conn }

// Close closes the connection.
func (c *RawClient) Close() error { return c.conn.Close() }

// CloseWrite half-closes the connection (sends FIN) when it is TCP.
func (c *RawClient) CloseWrite() error {
	if cw, ok := c.conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("testutil: connection cannot half-close")
}

// Buffered returns bytes already received that no response has claimed yet.
func (c *RawClient) Buffered() []byte { return c.buf }

func (c *RawClient) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// Write sends b in one write.
func (c *RawClient) Write(b []byte) error {
	if err := c.conn.SetWriteDeadline(time.Now().Add(c.timeout())); err != nil {
		return err
	}
	_, err := c.conn.Write(b)
	return err
}

// WriteString sends s in one write.
func (c *RawClient) WriteString(s string) error { return c.Write([]byte(s)) }

// WritePieces sends the pieces one write each. Between pieces (not after the
// last) it calls between with the index of the piece just written, if
// between is not nil; an error from between stops the writing and is
// returned. Use it to split a request at chosen offsets and act in the gaps,
// e.g. wait for the server to log something or read an interim response.
func (c *RawClient) WritePieces(pieces [][]byte, between func(i int) error) error {
	for i, p := range pieces {
		if err := c.Write(p); err != nil {
			return fmt.Errorf("testutil: writing piece %d: %w", i, err)
		}
		if between != nil && i < len(pieces)-1 {
			if err := between(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// Split cuts s at the given offsets (ascending) into pieces for WritePieces.
func Split(s string, offsets ...int) [][]byte {
	var pieces [][]byte
	prev := 0
	for _, off := range offsets {
		pieces = append(pieces, []byte(s[prev:off]))
		prev = off
	}
	return append(pieces, []byte(s[prev:]))
}

// fill reads once more into the buffer, honouring deadline. It records EOF
// and resets as a close.
func (c *RawClient) fill(deadline time.Time) error {
	if c.closed {
		return io.EOF
	}
	if err := c.conn.SetReadDeadline(deadline); err != nil {
		return err
	}
	var tmp [32 << 10]byte
	n, err := c.conn.Read(tmp[:])
	c.buf = append(c.buf, tmp[:n]...)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF):
		c.closed = true
		return io.EOF
	case errors.Is(err, syscall.ECONNRESET):
		c.closed, c.reset = true, true
		return io.EOF
	}
	return err
}

// ReadResponse reads one response to a request that may have a body (GET,
// POST ...). See ReadResponseOpts.
func (c *RawClient) ReadResponse() (*Response, error) {
	return c.ReadResponseOpts(ParseOptions{})
}

// ReadHeadResponse reads one response to a HEAD request (no body whatever
// the headers say).
func (c *RawClient) ReadHeadResponse() (*Response, error) {
	return c.ReadResponseOpts(ParseOptions{NoBody: true})
}

// ReadResponseOpts reads one response within the client's timeout. Bytes
// past the response stay buffered for the next call and are reported in
// Remaining. An interim (1xx) response is returned on its own.
//
// On a close before the response was complete, or malformed bytes, it
// returns what it parsed with an error wrapping ErrTruncated or
// ErrMalformed. On a timeout the error wraps os.ErrDeadlineExceeded and says
// what had arrived.
func (c *RawClient) ReadResponseOpts(opts ParseOptions) (*Response, error) {
	deadline := time.Now().Add(c.timeout())
	for {
		resp, n, err := ParseResponse(c.buf, c.closed, opts)
		if err != ErrIncomplete {
			if resp != nil {
				c.buf = c.buf[n:]
				resp.Closed, resp.Reset = c.closed, c.reset
				resp.Remaining = append([]byte(nil), c.buf...)
			}
			return resp, err
		}
		if c.closed {
			// ParseResponse never asks for more at EOF; guard anyway.
			return nil, fmt.Errorf("%w: closed after %q", ErrTruncated, c.buf)
		}
		if err := c.fill(deadline); err != nil && err != io.EOF {
			return nil, c.readError(err)
		}
	}
}

func (c *RawClient) readError(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("testutil: no complete response within %v (received %q): %w", c.timeout(), c.buf, err)
	}
	return fmt.Errorf("testutil: reading response (received %q): %w", c.buf, err)
}

// ReadUntilClose reads until the server closes the connection and returns
// every byte not yet claimed by a response. It fails with an error wrapping
// os.ErrDeadlineExceeded if the server keeps the connection open past the
// client's timeout.
func (c *RawClient) ReadUntilClose() ([]byte, error) {
	deadline := time.Now().Add(c.timeout())
	for !c.closed {
		if err := c.fill(deadline); err != nil && err != io.EOF {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return c.buf, fmt.Errorf("testutil: server did not close within %v (received %q): %w", c.timeout(), c.buf, err)
			}
			return c.buf, err
		}
	}
	return c.buf, nil
}

// ReadAll reads until the server closes the connection and parses every
// response received (as responses to body-carrying requests). The bytes after
// the last whole response are returned in the last response's Remaining and
// as rest. An error from parsing is returned with the responses parsed before
// it (and the failing partial one, when there is one).
func (c *RawClient) ReadAll() (resps []*Response, rest []byte, err error) {
	if _, err := c.ReadUntilClose(); err != nil {
		return nil, c.buf, err
	}
	for len(c.buf) > 0 {
		resp, n, err := ParseResponse(c.buf, true, ParseOptions{})
		if resp != nil {
			c.buf = c.buf[n:]
			resp.Closed, resp.Reset = true, c.reset
			resp.Remaining = append([]byte(nil), c.buf...)
			resps = append(resps, resp)
		}
		if err != nil {
			return resps, c.buf, err
		}
	}
	return resps, c.buf, nil
}

// WaitClosed waits up to wait for the server to close the connection and
// reports whether it did, with any bytes that arrived meanwhile (appended to
// the buffer as well). A server that keeps a keepalive connection open makes
// this take the whole wait: use it where closing is the expected outcome, or
// with a short wait.
func (c *RawClient) WaitClosed(wait time.Duration) (closed bool, extra []byte, err error) {
	before := len(c.buf)
	deadline := time.Now().Add(wait)
	for !c.closed {
		if err := c.fill(deadline); err != nil && err != io.EOF {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return false, c.buf[before:], nil
			}
			return false, c.buf[before:], err
		}
	}
	return true, c.buf[before:], nil
}

// WasReset reports whether the server reset the connection (seen so far).
func (c *RawClient) WasReset() bool { return c.reset }

// RoundTrip dials addr, writes req, reads one response (without a body
// when req is a HEAD request) and closes the connection, failing the test
// on any error.
func RoundTrip(t testing.TB, addr, req string) *Response {
	t.Helper()
	c := Dial(t, addr)
	defer c.Close()
	if err := c.WriteString(req); err != nil {
		t.Fatalf("testutil: write to %s: %v", addr, err)
	}
	read := c.ReadResponse
	if strings.HasPrefix(req, "HEAD ") {
		read = c.ReadHeadResponse
	}
	resp, err := read()
	if err != nil {
		t.Fatalf("testutil: response from %s: %v", addr, err)
	}
	return resp
}
