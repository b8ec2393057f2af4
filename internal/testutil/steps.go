package testutil

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/internal/ascii"
)

func isClosedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

// headEnd returns the length of a request head at the start of buf (through
// the blank line), or -1 if the blank line has not arrived.
func headEnd(buf []byte) int {
	crlf := bytes.Index(buf, []byte("\r\n\r\n"))
	lf := bytes.Index(buf, []byte("\n\n"))
	switch {
	case crlf >= 0 && (lf < 0 || crlf+2 <= lf):
		return crlf + 4
	case lf >= 0:
		return lf + 2
	}
	return -1
}

// readHead reads a request head. A peer that closes before sending any byte
// ends the script quietly (ErrStop); one that closes mid-head is an error.
func (c *BackendConn) readHead() (string, error) {
	for {
		if n := headEnd(c.buf); n >= 0 {
			head := string(c.buf[:n])
			c.buf = c.buf[n:]
			return head, nil
		}
		if err := c.fill(); err != nil {
			if err == errPeerClosed && len(c.buf) == 0 {
				return "", ErrStop
			}
			return "", fmt.Errorf("reading request head (got %q): %w", c.buf, err)
		}
	}
}

// ReadHead reads a request head (through CRLFCRLF) and records it as a
// Request. If the peer closes before sending anything the script ends
// quietly, which is what a keepalive Loop wants.
func ReadHead() Step {
	return func(c *BackendConn) error {
		head, err := c.readHead()
		if err != nil {
			return err
		}
		c.last = Request{Conn: c.Index, Head: head}
		c.backend.recordRequest(c.last)
		return nil
	}
}

// ReadRequest reads a request head and its body (by Content-Length or
// chunked) and records both.
func ReadRequest() Step {
	return func(c *BackendConn) error {
		head, err := c.readHead()
		if err != nil {
			return err
		}
		req := Request{Conn: c.Index, Head: head}
		switch {
		case strings.Contains(ascii.ToLower(req.Header("Transfer-Encoding")), "chunked"):
			for {
				body, n, err := decodeChunked(c.buf, c.eof)
				if err == nil {
					req.Body, req.RawBody = body.data, append([]byte(nil), c.buf[:n]...)
					c.buf = c.buf[n:]
					break
				}
				if err != ErrIncomplete {
					return fmt.Errorf("reading chunked request body: %w", err)
				}
				if err := c.fill(); err != nil && err != errPeerClosed {
					return fmt.Errorf("reading chunked request body: %w", err)
				}
			}
		case req.Header("Content-Length") != "":
			n, err := strconv.Atoi(req.Header("Content-Length"))
			if err != nil || n < 0 {
				return fmt.Errorf("request Content-Length %q", req.Header("Content-Length"))
			}
			body, err := c.readN(n)
			if err != nil {
				return fmt.Errorf("reading request body: %w", err)
			}
			req.Body, req.RawBody = body, body
		}
		c.last = req
		c.backend.recordRequest(req)
		return nil
	}
}

func (c *BackendConn) readN(n int) ([]byte, error) {
	for len(c.buf) < n {
		if err := c.fill(); err != nil {
			return c.buf, fmt.Errorf("got %d of %d bytes: %w", len(c.buf), n, err)
		}
	}
	b := append([]byte(nil), c.buf[:n]...)
	c.buf = c.buf[n:]
	return b, nil
}

// ReadN reads exactly n bytes and discards them.
func ReadN(n int) Step {
	return func(c *BackendConn) error {
		_, err := c.readN(n)
		return err
	}
}

// Expect reads exactly len(want) bytes and fails the script (an error the
// backend records) when they are not want.
func Expect(want string) Step {
	return func(c *BackendConn) error {
		got, err := c.readN(len(want))
		if err != nil {
			return err
		}
		if string(got) != want {
			return fmt.Errorf("read %q, want %q", got, want)
		}
		return nil
	}
}

// Write sends s in one write.
func Write(s string) Step {
	return func(c *BackendConn) error { return c.write([]byte(s)) }
}

// Pieces sends the pieces choose picks for the connection (by the request
// a step before read, say), one write each, and pauses for pause at each
// "<pause>" (the wait ends early when the backend closes).
func Pieces(choose func(c *BackendConn) ([]string, error), pause time.Duration) Step {
	return func(c *BackendConn) error {
		pieces, err := choose(c)
		if err != nil {
			return err
		}
		for _, p := range pieces {
			if p == "<pause>" {
				err = c.wait(pause)
			} else {
				err = c.write([]byte(p))
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// AddPiece appends s to the pieces Pieces writes: after a "<pause>" as a
// piece of its own when pause says so (asked only when a piece comes
// before), else to the last piece unless that is a pause.
func AddPiece(pieces []string, s string, pause func() bool) []string {
	switch n := len(pieces); {
	case n > 0 && pause():
		return append(pieces, "<pause>", s)
	case n > 0 && pieces[n-1] != "<pause>":
		pieces[n-1] += s
		return pieces
	}
	return append(pieces, s)
}

// WriteSlowly sends s one byte at a time, waiting delay after each byte
// (the wait ends early when the backend closes).
func WriteSlowly(s string, delay time.Duration) Step {
	return func(c *BackendConn) error {
		for i := 0; i < len(s); i++ {
			if err := c.write([]byte{s[i]}); err != nil {
				return err
			}
			if err := c.wait(delay); err != nil {
				return err
			}
		}
		return nil
	}
}

// wait pauses for d unless the backend closes first.
func (c *BackendConn) wait(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-c.backend.done:
		return ErrStop
	}
}

// Sleep pauses for d (or until the backend closes) without reading or
// writing: the connection stays open and silent.
func Sleep(d time.Duration) Step {
	return func(c *BackendConn) error { return c.wait(d) }
}

// Stall keeps the connection open and silent until the backend closes: the
// peer's read (or its timeout) is what ends the exchange.
func Stall() Step {
	return func(c *BackendConn) error {
		<-c.backend.done
		return ErrStop
	}
}

// Hold pauses until ch is closed (or the backend closes), so a test can
// release the backend at the moment it chooses instead of after a delay.
func Hold(ch <-chan struct{}) Step {
	return func(c *BackendConn) error {
		select {
		case <-ch:
			return nil
		case <-c.backend.done:
			return ErrStop
		}
	}
}

// Close closes the connection normally (FIN) and ends the script.
func Close() Step {
	return func(c *BackendConn) error {
		c.Close()
		return ErrStop
	}
}

// CloseWrite half-closes the connection (FIN) and goes on with the script.
func CloseWrite() Step {
	return func(c *BackendConn) error {
		return c.Conn.(*net.TCPConn).CloseWrite()
	}
}

// Reset aborts the connection with a TCP RST (linger 0, then close) and ends
// the script.
func Reset() Step {
	return func(c *BackendConn) error {
		if tc, ok := c.Conn.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		c.Close()
		return ErrStop
	}
}

// Drain reads and discards everything until the peer closes the connection.
func Drain() Step {
	return func(c *BackendConn) error {
		for {
			c.buf = c.buf[:0]
			if err := c.fill(); err != nil {
				if err == errPeerClosed {
					return nil
				}
				return err
			}
		}
	}
}

// Loop runs steps over and over until one of them ends the script (ErrStop,
// e.g. ReadHead seeing the peer close between requests) or fails.
func Loop(steps ...Step) Step {
	return func(c *BackendConn) error {
		for {
			if err := c.Run(steps); err != nil {
				return err
			}
		}
	}
}

// Func runs f as a step, for anything the other steps do not cover.
func Func(f func(c *BackendConn) error) Step { return f }

// HTTPResponse builds an HTTP/1.1 response with the given status, headers
// ("Name: value" strings) and a Content-Length body.
func HTTPResponse(status int, body string, headers ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, reasonPhrase(status))
	for _, h := range headers {
		b.WriteString(h)
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
	b.WriteString(body)
	return b.String()
}

func reasonPhrase(status int) string {
	switch status {
	case 200:
		return "OK"
	case 204:
		return "No Content"
	case 301:
		return "Moved Permanently"
	case 302:
		return "Found"
	case 304:
		return "Not Modified"
	case 400:
		return "Bad Request"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 429:
		return "Too Many Requests"
	case 500:
		return "Internal Server Error"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Gateway Timeout"
	}
	return "Status"
}

// ReadToClose reads until the peer closes the connection and passes what
// it read, with what earlier steps read ahead and left, to f: for checking
// that nothing more was sent (a request body that must not be).
func ReadToClose(f func(rest []byte)) Step {
	return func(c *BackendConn) error {
		for {
			if err := c.fill(); err != nil {
				if err == errPeerClosed {
					f(append([]byte(nil), c.buf...))
					c.buf = c.buf[:0]
					return nil
				}
				return err
			}
		}
	}
}
