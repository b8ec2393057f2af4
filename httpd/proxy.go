package httpd

// Additive hooks for the proxy module (modules/proxy): streaming a request
// body to an upstream without buffering it, the request's "valid
// location" state, and run-time name resolution with the configured
// resolver. Nothing here changes existing behaviour.

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"time"
)

// ValidLocation reports whether the URI still matches the location it was
// routed to (nginx's r->valid_location): false once a rewrite changed it
// inside the location ("rewrite ... break"). Modules that replace the
// location's prefix of the URI (proxy_pass with a URI part) only do so
// while it is true.
func (r *Request) ValidLocation() bool { return r.validLocation }

// BodyStream reads a request body piece by piece, for modules that pass
// the body on as it arrives instead of buffering it first (nginx's
// request_body_no_buffering, proxy_request_buffering off).
type BodyStream struct {
	r    *Request
	src  *bodySource
	tmp  []byte
	pre  []byte // read before the stream started
	done bool
	// Size is the number of decoded body bytes read so far.
	Size int64
}

// StreamBody starts reading the request body without buffering it,
// answering "Expect: 100-continue" first. As nginx does, it first takes
// what the client already sent (up to client_body_buffer_size) without
// waiting: when that is the whole body, the body is stored in r.Body as
// ReadBody would have stored it and the stream is nil (the module then
// proceeds as with a buffered body). A nil stream also means the request
// has no body, or it was read or discarded already. A status other than OK
// means the request must end with it. Whatever the module does not read
// from the stream is drained after the response, as a discarded body is.
func (r *Request) StreamBody(bufSize int) (*BodyStream, Status) {
	if r.Body != nil || r.DiscardBody || r.bodyDiscarded || r.discard != nil ||
		(r.In.ContentLengthN <= 0 && !r.In.Chunked) {
		return nil, OK
	}
	if st := r.testExpect(); st != OK {
		return nil, st
	}
	if bufSize <= 0 {
		bufSize = 16384
	}
	src := r.newBodySource()
	s := &BodyStream{r: r, src: src, tmp: make([]byte, bufSize)}

	// what is here already, without waiting
	c := r.conn
	limit := r.Loc.core.ClientBodyBufferSize.Get()
	var pre []byte
	complete := false
	src.deadline, src.quiet = time.Now(), true
	for int64(len(pre)) < limit {
		b, err := src.read(s.tmp)
		if err == io.EOF {
			complete = true
			break
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			c.timedOut, c.failed = false, false
			break
		}
		if err != nil {
			c.nc.SetReadDeadline(time.Time{})
			r.Keepalive = false
			return nil, bodyError(err)
		}
		pre = append(pre, b...)
	}
	src.deadline, src.quiet = time.Time{}, false
	c.nc.SetReadDeadline(time.Time{})
	if complete {
		r.Body = &RequestBody{Data: pre, Size: int64(len(pre)), Complete: true}
		r.bodyDiscarded = true
		if r.In.Chunked {
			r.In.ContentLengthN = r.Body.Size
		}
		if r.Loc.core.ClientBodyInFileOnly.Get() != BodyFileOff {
			if st := r.bodyToFile(); st != OK {
				return nil, st
			}
		}
		return nil, OK
	}
	// the connection's end-of-request handling drains the rest from the
	// same source (finishDiscard)
	r.discard = src
	s.pre = pre
	s.Size = int64(len(pre))
	return s, OK
}

// Read returns the next decoded body bytes (valid until the next call),
// or io.EOF once the body is complete. Any other error means the client
// failed (timeout, reset, invalid chunked body, body too large); the
// connection is then not kept alive.
func (s *BodyStream) Read() ([]byte, error) {
	if s.done {
		return nil, io.EOF
	}
	if len(s.pre) > 0 {
		b := s.pre
		s.pre = nil
		return b, nil
	}
	r := s.r
	r.readingBody = true
	b, err := s.src.read(s.tmp)
	r.readingBody = false
	if err == io.EOF {
		s.done = true
		r.bodyDiscarded = true
		return nil, io.EOF
	}
	if err != nil {
		s.done = true
		r.Keepalive = false
		r.DiscardBody = true
		return nil, err
	}
	s.Size += int64(len(b))
	return b, nil
}

// Complete reports whether the whole body was read.
func (s *BodyStream) Complete() bool { return s.done && s.r.bodyDiscarded }

// Stop ends the module's reading: the rest of the body, if any, is
// discarded after the response as nginx discards an unread body.
func (s *BodyStream) Stop() {
	if s.done {
		return
	}
	s.done = true
	s.r.DiscardBody = true
}

// BodyError maps a BodyStream read error to the status nginx finalizes a
// request with when reading its body fails (413, 400, 408...).
func BodyError(err error) Status { return bodyError(err) }

// LookupIP resolves name with the resolver's DNS servers, asking for the
// address families the resolver allows (ipv4=, ipv6=).
func (res *Resolver) LookupIP(ctx context.Context, name string) ([]net.IP, error) {
	network := "ip"
	switch {
	case !res.IPv6:
		network = "ip4"
	case !res.IPv4:
		network = "ip6"
	}
	if res.resolver == nil {
		res.init()
	}
	return res.resolver.LookupIP(ctx, network, name)
}
