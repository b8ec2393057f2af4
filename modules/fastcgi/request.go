package fastcgi

import (
	"errors"
	"io"
	"sync"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/modules/internal/cgi"
	"github.com/sluicehq/sluice/upstream"
)

// stdinChunk is the most body bytes one FCGI_STDIN record carries, as
// nginx cuts the body (32 KiB).
const stdinChunk = 32 * 1024

// handler is the content handler fastcgi_pass installs
// (ngx_http_fastcgi_handler).
func handler(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil || lc.pass == nil {
		return 500
	}
	where, st := lc.pass.Resolve(r)
	if st != 0 {
		return st
	}
	p := protoPool.Get().(*proto)
	p.reset(lc)
	r.ReleaseAtEnd(p)
	s, st := upstream.ReadBody(r, &lc.U, !lc.U.RequestBuffering.Get() && lc.U.PassRequestBody.Get())
	if st != httpd.OK {
		return st
	}
	p.stream = s
	return upstream.Run(r, &lc.U, where.Target, p)
}

// protoPool keeps protocol values between requests.
var protoPool = sync.Pool{New: func() any { return new(proto) }}

// Release returns the protocol value to the pool (httpd calls it when the
// request ends).
func (p *proto) Release() {
	req := p.req[:0]
	*p = proto{req: req}
	protoPool.Put(p)
}

// proto is one request's FastCGI exchange: the upstream.Protocol and its
// optional hooks.
type proto struct {
	lc *LocConf
	// stream is the request body being passed on unbuffered.
	stream *httpd.BodyStream
	// req is the room the request's records are built in.
	req []byte

	// response state (response.go)
	dec     decoder
	head    cgi.Head
	w       int  // end of the de-framed FCGI_STDOUT bytes in the buffer
	started bool // the head parse has begun
	// raw is how much of the buffer nginx's head would fill by now: the
	// bytes read, framing included, since the start or since a long
	// FCGI_STDERR before any FCGI_STDOUT let nginx start over (its
	// large_stderr); stdout is set once an FCGI_STDOUT record began.
	raw    int
	stdout bool
	rest   int64
	done   bool
	// stdoutEnded: an empty FCGI_STDOUT ended the buffered body; the
	// rest of the bytes at hand are still decoded (nginx's input filter
	// goes on through its buffer)
	stdoutEnded bool
	frame       [headerLen]byte
}

// reset prepares p for a request of the location.
func (p *proto) reset(lc *LocConf) {
	req := p.req[:0]
	*p = proto{lc: lc, req: req}
}

var errTooBig = errors.New("fastcgi request record is too big")

// CreateRequest builds FCGI_BEGIN_REQUEST, the FCGI_PARAMS stream and,
// unless the body is streamed, the FCGI_STDIN stream
// (ngx_http_fastcgi_create_request).
func (p *proto) CreateRequest(u *upstream.Upstream) error {
	r, lc := u.R, p.lc
	b := appendBeginRequest(p.req[:0], lc.keepConn.Get())
	at := len(b)
	b = appendHeader(b, typeParams, 0, 0)
	set := lc.Params.Set
	if u.Cacheable() {
		set = lc.Params.CacheSet
	}
	set.Each(r, func(k, v string) {
		b = appendLength(b, len(k))
		b = appendLength(b, len(v))
		b = append(b, k...)
		b = append(b, v...)
	})
	if lc.U.PassRequestHeaders.Get() {
		list := r.In.List
		set.EachHeader(list, func(i int) {
			b = appendLength(b, cgi.HTTPNameLen(list[i].Key))
			b = appendLength(b, cgi.JoinedLen(list, i))
			b = cgi.AppendHTTPName(b, list[i].Key)
			b = cgi.AppendJoined(b, list, i)
		})
	}
	n := len(b) - at - headerLen
	if n > maxContent {
		r.Log().Logf(errlog.Alert, r, nil, "fastcgi request record is too big: %d", n)
		p.req = b
		return errTooBig
	}
	appendHeader(b[at:at], typeParams, n, padding(n))
	b = append(b, zeros[:padding(n)]...)
	b = appendHeader(b, typeParams, 0, 0)

	switch {
	case p.stream != nil:
		u.RequestBodyNoBuffering = true
		if pre := p.stream.TakePreread(); len(pre) > 0 {
			b = appendStdin(b, pre)
		}
		u.Request.Append(b)
	case lc.U.PassRequestBody.Get() && r.Body != nil && r.Body.File != nil:
		u.Request.Append(b)
		f := r.Body.File
		appendBodyRecords(u, r.Body.Size, func(off, n int64) { u.Request.AppendFile(f, off, n) })
	case lc.U.PassRequestBody.Get() && r.Body != nil && len(r.Body.Data) > stdinChunk:
		// a large body in memory is sent from where it is, between
		// record headers, rather than copied
		u.Request.Append(b)
		data := r.Body.Data
		appendBodyRecords(u, int64(len(data)), func(off, n int64) { u.Request.Append(data[off : off+n]) })
	default:
		if lc.U.PassRequestBody.Get() && r.Body != nil {
			b = appendStdin(b, r.Body.Data)
		}
		b = appendHeader(b, typeStdin, 0, 0)
		u.Request.Append(b)
	}
	p.req = b
	u.Schema = "fastcgi://"
	return nil
}

// appendStdin appends data as FCGI_STDIN records of up to 32 KiB.
func appendStdin(b, data []byte) []byte {
	for len(data) > 0 {
		n := min(len(data), stdinChunk)
		b = appendHeader(b, typeStdin, n, padding(n))
		b = append(b, data[:n]...)
		b = append(b, zeros[:padding(n)]...)
		data = data[n:]
	}
	return b
}

// appendBodyRecords frames a body of size bytes as FCGI_STDIN records of
// up to 32 KiB and the empty record that ends the stream: the record
// headers and paddings are pieces of one small allocation, each record's
// content is what add appends (file regions, or slices of the body).
func appendBodyRecords(u *upstream.Upstream, size int64, add func(off, n int64)) {
	chunks := int((size + stdinChunk - 1) / stdinChunk)
	frames := make([]byte, 0, (chunks+1)*headerLen)
	for off := int64(0); off < size; off += stdinChunk {
		n := int(min(size-off, stdinChunk))
		i := len(frames)
		frames = appendHeader(frames, typeStdin, n, padding(n))
		u.Request.Append(frames[i:len(frames):len(frames)])
		add(off, int64(n))
		if pad := padding(n); pad > 0 {
			u.Request.Append(zeros[:pad])
		}
	}
	i := len(frames)
	frames = appendHeader(frames, typeStdin, 0, 0)
	u.Request.Append(frames[i:])
}

// SendBody streams the client's body to the upstream as it arrives
// (fastcgi_request_buffering off), each piece in FCGI_STDIN records, the
// empty record last (ngx_http_fastcgi_body_output_filter).
func (p *proto) SendBody(u *upstream.Upstream) error {
	s := p.stream
	if s == nil {
		return nil
	}
	var acc, frame []byte
	for {
		b, err := s.Read()
		if err == io.EOF {
			return u.WriteBody(appendHeader(frame[:0], typeStdin, 0, 0))
		}
		if err != nil {
			return err
		}
		// what arrived with it goes in the same write
		var last bool
		acc, last, err = s.AppendReady(append(acc[:0], b...))
		if err != nil {
			return err
		}
		frame = appendStdin(frame[:0], acc)
		if last {
			frame = appendHeader(frame, typeStdin, 0, 0)
		}
		if err := u.WriteBody(frame); err != nil {
			return err
		}
		if last {
			return nil
		}
	}
}

// Finalize ends a body stream the exchange no longer reads
// (finalize_request).
func (p *proto) Finalize(u *upstream.Upstream, status int) {
	if p.stream != nil {
		p.stream.Stop()
	}
}
