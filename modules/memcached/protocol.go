package memcached

import (
	"bytes"
	"sync"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/internal/bytesconv"
	"github.com/sluicehq/sluice/upstream"
)

// trailer ends every value memcached sends: the CRLF after the data block
// and the END line.
const trailer = "\r\nEND\r\n"

// protocol is one request's exchange with memcached (nginx's
// ngx_http_memcached_ctx_t together with the module's callbacks). It does no
// I/O: the framework feeds it bytes.
type protocol struct {
	// key is the escaped key as sent in "get KEY\r\n" (the VALUE line must
	// repeat it).
	key []byte
	// gzipFlag is memcached_gzip_flag: the flag bits that mark a value as
	// gzip-compressed (0: never).
	gzipFlag uint64
	// gzip is set when the value's flags matched gzipFlag.
	gzip bool
	// rest is how many bytes of the trailer are still expected.
	rest int64

	// req and out are reused backing arrays: the request bytes, and the
	// pieces FilterBody hands on (a pooled protocol costs no allocation).
	req []byte
	out [2][]byte
}

var (
	_ upstream.Protocol   = (*protocol)(nil)
	_ upstream.BodyFilter = (*protocol)(nil)
	_ upstream.Reiniter   = (*protocol)(nil)
	_ upstream.Finalizer  = (*protocol)(nil)
)

var protocols = sync.Pool{New: func() any { return new(protocol) }}

// newProtocol returns a protocol for the raw key, escaped as nginx's
// NGX_ESCAPE_MEMCACHED does (controls, space and '%' become %XX). Give it
// back with free once the exchange is over.
func newProtocol(rawKey string, gzipFlag uint64) *protocol {
	p := protocols.Get().(*protocol)
	p.key = http1.Escape(p.key[:0], bytesconv.Bytes(rawKey), http1.EscapeMemcached)
	p.gzipFlag, p.gzip, p.rest = gzipFlag, false, 0
	return p
}

// free returns p to the pool; nothing may use it afterwards (the request
// bytes it built included).
func (p *protocol) free() {
	if cap(p.key) > 1<<10 {
		p.key, p.req = nil, nil // do not keep a huge key's buffers
	}
	p.out = [2][]byte{}
	protocols.Put(p)
}

// CreateRequest builds "get KEY\r\n" (create_request).
func (p *protocol) CreateRequest(u *upstream.Upstream) error {
	b := append(p.req[:0], "get "...)
	b = append(b, p.key...)
	b = append(b, "\r\n"...)
	p.req = b
	u.Request.Append(b)
	u.Schema = "memcached://"
	if debug(u) {
		u.Logf(errlog.Debug, nil, "http memcached request: \"%s\"", p.key)
	}
	return nil
}

// Reinit prepares a retry on the next server (reinit_request): the
// request bytes stay as they are; the Content-Encoding a previous answer
// may have set is dropped with the rest of the response head.
func (p *protocol) Reinit(u *upstream.Upstream) error {
	p.gzip = false
	p.rest = 0
	if u.R != nil {
		u.R.Out.ContentEncoding = -1
	}
	return nil
}

// ProcessHeader parses the first response line (process_header): "VALUE
// <key> <flags> <bytes>" for a hit, "END" for a miss. Anything else is an
// invalid response (next upstream, else 502).
func (p *protocol) ProcessHeader(u *upstream.Upstream) upstream.HeaderResult {
	buf := u.Buffer[u.Pos:u.Last]
	lf := bytes.IndexByte(buf, '\n')
	if lf < 0 {
		return upstream.NeedMore
	}
	line := buf[:lf]
	if len(line) == 0 || line[len(line)-1] != '\r' {
		return p.invalid(u, line)
	}
	line = line[:len(line)-1]
	if debug(u) {
		u.Logf(errlog.Debug, nil, "memcached: \"%s\"", line)
	}

	if rest, ok := bytes.CutPrefix(line, []byte("VALUE ")); ok {
		return p.value(u, line, rest, lf)
	}
	if string(line) == "END" {
		u.Logf(errlog.Info, nil, "key: \"%s\" was not found by memcached", p.key)
		u.HeadersIn.StatusN = 404
		u.HeadersIn.ContentLengthN = 0
		u.Pos += lf + 1
		// nothing follows: the exchange is complete, the connection
		// reusable even when the 404 is intercepted or retried
		u.Length = 0
		u.Keepalive = true
		return upstream.HeaderDone
	}
	return p.invalid(u, line)
}

// value parses the rest of a VALUE line: the key, the flags, the length.
// lf is the offset of the line feed from u.Pos.
func (p *protocol) value(u *upstream.Upstream, line, rest []byte, lf int) upstream.HeaderResult {
	if !bytes.HasPrefix(rest, p.key) {
		u.Logf(errlog.Error, nil, "memcached sent invalid key in response \"%s\" for key \"%s\"", line, p.key)
		return upstream.Invalid
	}
	rest = rest[len(p.key):]
	if len(rest) == 0 || rest[0] != ' ' {
		return p.invalid(u, line)
	}
	rest = rest[1:]
	sp := bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return p.invalid(u, line)
	}
	flagsField, lengthField := rest[:sp], rest[sp+1:]
	gzip := false
	if p.gzipFlag != 0 {
		flags, ok := decimal(flagsField)
		if !ok {
			u.Logf(errlog.Error, nil, "memcached sent invalid flags in response \"%s\" for key \"%s\"", line, p.key)
			return upstream.Invalid
		}
		gzip = flags&p.gzipFlag != 0
	}
	if gzip {
		// set before the length is read, as nginx pushes the header: an
		// invalid length then leaves it on the 502 error page
		p.gzip = true
		if u.R != nil {
			u.R.Out.ContentEncoding = u.R.Out.Add("Content-Encoding", "gzip")
		}
	}
	n, ok := decimal(lengthField)
	if !ok || n > uint64(maxLength) {
		u.Logf(errlog.Error, nil, "memcached sent invalid length in response \"%s\" for key \"%s\"", line, p.key)
		return upstream.Invalid
	}
	u.HeadersIn.StatusN = 200
	u.HeadersIn.ContentLengthN = int64(n)
	u.Pos += lf + 1
	return upstream.HeaderDone
}

// maxLength bounds the length field so that length plus trailer fits an
// int64 (nginx's ngx_atoof refuses what overflows off_t).
const maxLength = 1<<63 - 1 - int64(len(trailer))

// invalid logs the line nginx's way and rejects the head.
func (p *protocol) invalid(u *upstream.Upstream, line []byte) upstream.HeaderResult {
	u.Logf(errlog.Error, nil, "memcached sent invalid response: \"%s\"", line)
	return upstream.Invalid
}

// decimal parses a non-empty run of ASCII digits without overflow.
func decimal(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// InitBody sets how many bytes remain: the value and its trailer for a
// hit, nothing for a miss (input_filter_init).
func (p *protocol) InitBody(u *upstream.Upstream) error {
	u.Out = p.out[:0]
	if u.HeadersIn.StatusN == 404 {
		u.Length = 0
		return nil
	}
	u.Length = u.HeadersIn.ContentLengthN + int64(len(trailer))
	p.rest = int64(len(trailer))
	return nil
}

// FilterBody passes the value's bytes on and checks the trailer, which may
// arrive split across reads (input_filter). A trailer that is not
// "\r\nEND\r\n", or bytes beyond it, end the body where the value ends and
// are logged as "memcached sent invalid trailer"; the connection is then
// not kept alive. It never fails: what was announced was sent.
func (p *protocol) FilterBody(u *upstream.Upstream, raw []byte) error {
	if u.Length == 0 {
		// nothing more is expected (a miss, or after an invalid trailer)
		if len(raw) > 0 {
			p.badTrailer(u)
		}
		return nil
	}
	if u.Length == p.rest {
		// only (part of) the trailer is left
		done := int64(len(trailer)) - p.rest
		if int64(len(raw)) > u.Length || string(raw) != trailer[done:done+int64(len(raw))] {
			p.badTrailer(u)
			return nil
		}
		u.Length -= int64(len(raw))
		p.rest -= int64(len(raw))
		if u.Length == 0 {
			u.Keepalive = true
		}
		return nil
	}
	data := u.Length - p.rest // value bytes still expected
	if int64(len(raw)) <= data {
		if len(raw) > 0 {
			u.Out = append(u.Out, raw)
		}
		u.Length -= int64(len(raw))
		return nil
	}
	if data > 0 {
		u.Out = append(u.Out, raw[:data])
	}
	tail := raw[data:]
	if int64(len(tail)) > p.rest || string(tail) != trailer[:len(tail)] {
		p.badTrailer(u)
		return nil
	}
	p.rest -= int64(len(tail))
	u.Length = p.rest
	if u.Length == 0 {
		u.Keepalive = true
	}
	return nil
}

// badTrailer ends the body after the value, without keepalive.
func (p *protocol) badTrailer(u *upstream.Upstream) {
	u.Logf(errlog.Error, nil, "memcached sent invalid trailer")
	u.Length = 0
	p.rest = 0
	u.Keepalive = false
}

// Finalize logs the end of the exchange at debug level
// (finalize_request).
func (p *protocol) Finalize(u *upstream.Upstream, status int) {
	if debug(u) {
		u.Logf(errlog.Debug, nil, "finalize http memcached request")
	}
}

// debug reports whether debug lines are logged, so that their arguments
// are not boxed on every request for nothing.
func debug(u *upstream.Upstream) bool {
	return u.R != nil && u.R.Log().Enabled(errlog.Debug)
}
