package testutil

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// Steps for backends that speak SCGI, uwsgi and FastCGI, the request
// formats of nginx's scgi, uwsgi and fastcgi modules. A recorded Request's
// Head is the protocol's name on the first line ("SCGI", "UWSGI 0 0" with
// the two modifiers, or "FASTCGI" and the FCGI_KEEP_CONN flag), then one
// "NAME: value" line per parameter in the order received, so
// Request.Header finds a parameter by name; Body is the body read after
// the parameters (CONTENT_LENGTH bytes; FastCGI's FCGI_STDIN content).

// ReadSCGI reads an SCGI request (a netstring of NUL-separated names and
// values, then CONTENT_LENGTH bytes of body) and records it.
func ReadSCGI() Step {
	return func(c *BackendConn) error {
		var (
			colon int
			n     int
		)
		for {
			colon = bytes.IndexByte(c.buf, ':')
			if colon >= 0 {
				break
			}
			if len(c.buf) > 20 {
				return fmt.Errorf("scgi: no netstring length in %q", c.buf)
			}
			if err := c.fill(); err != nil {
				return fmt.Errorf("scgi: reading netstring length: %w", err)
			}
		}
		n, err := strconv.Atoi(string(c.buf[:colon]))
		if err != nil || n < 0 {
			return fmt.Errorf("scgi: netstring length %q", c.buf[:colon])
		}
		c.buf = c.buf[colon+1:]
		ns, err := c.readN(n + 1)
		if err != nil {
			return fmt.Errorf("scgi: reading netstring: %w", err)
		}
		if ns[n] != ',' {
			return fmt.Errorf("scgi: netstring ends with %q, not ','", ns[n])
		}
		params, err := ParseSCGIParams(ns[:n])
		if err != nil {
			return err
		}
		return c.readCGIBody("SCGI", params)
	}
}

// ParseSCGIParams splits the netstring's content into names and values.
func ParseSCGIParams(b []byte) ([][2]string, error) {
	var out [][2]string
	for len(b) > 0 {
		k := bytes.IndexByte(b, 0)
		if k < 0 {
			return out, fmt.Errorf("scgi: name without NUL: %q", b)
		}
		v := bytes.IndexByte(b[k+1:], 0)
		if v < 0 {
			return out, fmt.Errorf("scgi: value without NUL after %q", b[:k])
		}
		out = append(out, [2]string{string(b[:k]), string(b[k+1 : k+1+v])})
		b = b[k+1+v+1:]
	}
	return out, nil
}

// ReadUWSGI reads a uwsgi request (the 4-byte header: modifier1, the
// 16-bit little-endian size, modifier2; then the 16-bit length-prefixed
// names and values; then CONTENT_LENGTH bytes of body) and records it.
func ReadUWSGI() Step {
	return func(c *BackendConn) error {
		h, err := c.readN(4)
		if err != nil {
			return fmt.Errorf("uwsgi: reading header: %w", err)
		}
		size := int(binary.LittleEndian.Uint16(h[1:3]))
		vars, err := c.readN(size)
		if err != nil {
			return fmt.Errorf("uwsgi: reading vars: %w", err)
		}
		params, err := ParseUWSGIParams(vars)
		if err != nil {
			return err
		}
		return c.readCGIBody(fmt.Sprintf("UWSGI %d %d", h[0], h[3]), params)
	}
}

// ParseUWSGIParams splits a uwsgi packet's vars into names and values.
func ParseUWSGIParams(b []byte) ([][2]string, error) {
	var out [][2]string
	for len(b) > 0 {
		if len(b) < 2 {
			return out, fmt.Errorf("uwsgi: truncated name length")
		}
		kl := int(binary.LittleEndian.Uint16(b))
		if len(b) < 2+kl+2 {
			return out, fmt.Errorf("uwsgi: truncated name")
		}
		k := string(b[2 : 2+kl])
		b = b[2+kl:]
		vl := int(binary.LittleEndian.Uint16(b))
		if len(b) < 2+vl {
			return out, fmt.Errorf("uwsgi: truncated value of %q", k)
		}
		out = append(out, [2]string{k, string(b[2 : 2+vl])})
		b = b[2+vl:]
	}
	return out, nil
}

// ReadFastCGI reads a FastCGI request (FCGI_BEGIN_REQUEST, the
// FCGI_PARAMS records up to an empty one, the FCGI_STDIN records up to an
// empty one; request id 1, as nginx sends) and records it.
func ReadFastCGI() Step {
	return func(c *BackendConn) error {
		var params, stdin []byte
		first := "FASTCGI"
		for {
			h, err := c.readN(8)
			if err != nil {
				return fmt.Errorf("fastcgi: reading record header: %w", err)
			}
			if h[0] != 1 || h[2] != 0 || h[3] != 1 {
				return fmt.Errorf("fastcgi: record header % x", h)
			}
			n := int(binary.BigEndian.Uint16(h[4:6]))
			content, err := c.readN(n + int(h[6]))
			if err != nil {
				return fmt.Errorf("fastcgi: reading record of type %d: %w", h[1], err)
			}
			content = content[:n]
			switch h[1] {
			case 1: // FCGI_BEGIN_REQUEST
				if n >= 3 && content[2]&1 != 0 {
					first = "FASTCGI keep_conn"
				}
			case 4: // FCGI_PARAMS
				params = append(params, content...)
			case 5: // FCGI_STDIN
				if n == 0 {
					pairs, err := ParseFastCGIParams(params)
					if err != nil {
						return err
					}
					req := cgiRequest(c.Index, first, pairs)
					req.Body, req.RawBody = stdin, stdin
					c.last = req
					c.backend.recordRequest(req)
					return nil
				}
				stdin = append(stdin, content...)
			default:
				return fmt.Errorf("fastcgi: record type %d in a request", h[1])
			}
		}
	}
}

// ParseFastCGIParams splits FCGI_PARAMS content into names and values
// (lengths of one byte, or four with the high bit set).
func ParseFastCGIParams(b []byte) ([][2]string, error) {
	length := func() (int, bool) {
		switch {
		case len(b) >= 1 && b[0]&0x80 == 0:
			n := int(b[0])
			b = b[1:]
			return n, true
		case len(b) >= 4:
			n := int(binary.BigEndian.Uint32(b) & 0x7fffffff)
			b = b[4:]
			return n, true
		}
		return 0, false
	}
	var out [][2]string
	for len(b) > 0 {
		k, ok1 := length()
		v, ok2 := length()
		if !ok1 || !ok2 || len(b) < k+v {
			return out, fmt.Errorf("fastcgi: truncated parameter after %d", len(out))
		}
		out = append(out, [2]string{string(b[:k]), string(b[k : k+v])})
		b = b[k+v:]
	}
	return out, nil
}

// cgiRequest is the Request recorded for a CGI-like request: first, then
// the params as header lines.
func cgiRequest(conn int, first string, params [][2]string) Request {
	var head strings.Builder
	head.WriteString(first + "\r\n")
	for _, p := range params {
		head.WriteString(p[0] + ": " + p[1] + "\r\n")
	}
	head.WriteString("\r\n")
	return Request{Conn: conn, Head: head.String()}
}

func (c *BackendConn) readCGIBody(first string, params [][2]string) error {
	length := 0
	for _, p := range params {
		if p[0] == "CONTENT_LENGTH" && p[1] != "" {
			n, err := strconv.Atoi(p[1])
			if err != nil || n < 0 {
				return fmt.Errorf("CONTENT_LENGTH %q", p[1])
			}
			length = n
		}
	}
	req := cgiRequest(c.Index, first, params)
	if length > 0 {
		body, err := c.readN(length)
		if err != nil {
			return fmt.Errorf("reading body: %w", err)
		}
		req.Body, req.RawBody = body, body
	}
	c.last = req
	c.backend.recordRequest(req)
	return nil
}
