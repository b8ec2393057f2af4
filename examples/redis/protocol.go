package redis

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/upstream"
)

// ProcessHeader reads the first line of the reply: "$N" announces a bulk
// string of N bytes (200), "$-1" is the nil reply (404), "-..." an error
// reply. The framework calls it each time bytes arrive, so it answers
// NeedMore until the line is complete; it consumes the line by advancing
// u.Pos, and what follows it is body.
func (p *protocol) ProcessHeader(u *upstream.Upstream) upstream.HeaderResult {
	buf := u.Buffer[u.Pos:u.Last]
	lf := bytes.IndexByte(buf, '\n')
	if lf < 0 {
		return upstream.NeedMore // a full buffer is "upstream sent too big header"
	}
	if lf == 0 || buf[lf-1] != '\r' {
		u.Logf(errlog.Error, nil, "redis sent invalid reply: \"%s\"", buf[:lf])
		return upstream.Invalid
	}
	line := buf[:lf-1]
	switch {
	case len(line) == 0:
		u.Logf(errlog.Error, nil, "redis sent an empty line")
		return upstream.Invalid
	case string(line) == "$-1":
		u.HeadersIn.StatusN = 404
		u.HeadersIn.ContentLengthN = 0
		u.Keepalive = true // nothing follows: the connection can be reused
	case line[0] == '$':
		n, err := strconv.ParseInt(string(line[1:]), 10, 64)
		if err != nil || n < 0 || n > 1<<62 {
			u.Logf(errlog.Error, nil, "redis sent invalid bulk length: \"%s\"", line)
			return upstream.Invalid
		}
		u.HeadersIn.StatusN = 200
		u.HeadersIn.ContentLengthN = n
	case line[0] == '-':
		u.Logf(errlog.Error, nil, "redis sent error: \"%s\"", line[1:])
		return upstream.Invalid
	default:
		u.Logf(errlog.Error, nil, "redis sent unexpected reply: \"%s\"", line)
		return upstream.Invalid
	}
	u.Pos += lf + 1
	return upstream.HeaderDone
}

// InitBody announces what remains to read: the string and its CRLF.
func (p *protocol) InitBody(u *upstream.Upstream) error {
	if u.HeadersIn.StatusN == 404 {
		u.Length = 0
		return nil
	}
	u.Length = u.HeadersIn.ContentLengthN + 2
	return nil
}

// errBadEnd ends a reply whose string is not followed by CRLF.
var errBadEnd = errors.New("redis: bulk string not followed by CRLF")

// FilterBody passes the string's bytes on and checks the CRLF after it,
// which may arrive split across reads. A bad ending cuts the response.
func (p *protocol) FilterBody(u *upstream.Upstream, raw []byte) error {
	if u.Length == 0 {
		u.Keepalive = false // bytes nobody asked for: do not reuse
		return nil
	}
	for len(raw) > 0 && u.Length > 0 {
		if data := u.Length - 2; data > 0 { // string bytes still expected
			n := min(int64(len(raw)), data)
			u.Out = append(u.Out, raw[:n]) // slices of raw are fine
			raw, u.Length = raw[n:], u.Length-n
			continue
		}
		if raw[0] != "\r\n"[2-u.Length] {
			u.Logf(errlog.Error, nil, "redis sent invalid end of bulk string")
			return errBadEnd
		}
		raw, u.Length = raw[1:], u.Length-1
	}
	if u.Length == 0 {
		u.Keepalive = len(raw) == 0
	}
	return nil
}
