package ocspc

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/internal/ngxurl"
)

// maxResponse is nginx's response buffer: what does not fit is not read
// (the response is then parsed as it is, and fails).
const maxResponse = 16384

// Fetch is one exchange with a responder: nginx's ngx_ssl_ocsp_request
// to the handler's call.
type Fetch struct {
	// Responder is where to ask.
	Responder *Responder
	// Resolve resolves the responder's name with the "resolver"
	// directive's servers; nil when none is configured.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// ResolverTimeout bounds the resolution (resolver_timeout).
	ResolverTimeout time.Duration
	// Timeout bounds the connection and the exchange, each address's;
	// zero leaves them to ctx's deadline (a minute when it has none).
	Timeout time.Duration
	// Log receives the failures, Conn numbers them ("*N"; 0: none), and
	// Name is the certificate's file named in their context.
	Log  *errlog.Log
	Conn uint64
	Name string

	// peer is the address tried last, named in the log lines
	peer string
}

// logContext is nginx's ngx_ssl_ocsp_log_error.
type logContext struct{ f *Fetch }

func (c logContext) LogConn() uint64 { return c.f.Conn }

func (c logContext) AppendLogContext(b []byte) []byte {
	b = append(b, " while requesting certificate status, responder: "...)
	b = append(b, c.f.Responder.Host...)
	if c.f.peer != "" {
		b = append(b, ", peer: "...)
		b = append(b, c.f.peer...)
	}
	if c.f.Name != "" {
		b = append(b, ", certificate: \""...)
		b = append(b, c.f.Name...)
		b = append(b, '"')
	}
	return b
}

// Logf logs a line about the exchange with its context (the responder,
// the peer tried last, the certificate).
func (f *Fetch) Logf(lv errlog.Level, err error, format string, args ...any) {
	f.Log.Logf(lv, logContext{f}, err, format, args...)
}

// Do sends the DER request and returns the responder's status code and
// body. ok is false when no address answered with a complete head, or
// ctx ended; every failure is logged as nginx logs it.
func (f *Fetch) Do(ctx context.Context, der []byte) (code int, body []byte, ok bool) {
	f.peer = ""
	addrs, ok := f.addrs(ctx)
	if !ok {
		return 0, nil, false
	}
	req := httpRequest(f.Responder, der)
	for _, a := range addrs {
		if ctx.Err() != nil {
			return 0, nil, false
		}
		f.peer = a.Name
		if code, body, ok := f.exchange(ctx, a, req); ok {
			return code, body, true
		}
	}
	return 0, nil, false
}

// addrs are the responder's addresses (ngx_ssl_ocsp_request and its
// resolve handler).
func (f *Fetch) addrs(ctx context.Context) ([]ngxurl.Addr, bool) {
	r := f.Responder
	if _, err := netip.ParseAddr(r.Host); err == nil && len(r.Addrs) > 0 {
		return r.Addrs, true
	}
	if f.Resolve == nil {
		if len(r.Addrs) == 0 {
			f.Logf(errlog.Error, nil, "no resolver defined to resolve %s", r.Host)
			return nil, false
		}
		f.Logf(errlog.Warn, nil, "no resolver defined to resolve %s", r.Host)
		return r.Addrs, true
	}
	rctx := ctx
	if f.ResolverTimeout > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, f.ResolverTimeout)
		defer cancel()
	}
	ips, err := f.Resolve(rctx, r.Host)
	if ctx.Err() != nil {
		return nil, false
	}
	if err != nil {
		f.Logf(errlog.Error, nil, "%s could not be resolved (%s)", r.Host, err)
		return nil, false
	}
	out := make([]ngxurl.Addr, 0, len(ips))
	for _, ip := range ips {
		out = append(out, ngxurl.TCPAddr(ip, r.Port))
	}
	return out, len(out) > 0
}

var errTimedOut = syscall.ETIMEDOUT

// exchange talks to one address (ngx_ssl_ocsp_connect and the write and
// read handlers); ok is false to try the next address.
func (f *Fetch) exchange(ctx context.Context, a ngxurl.Addr, req []byte) (code int, body []byte, ok bool) {
	// a deadline of ctx's is not the responder's timeout: reaching it
	// ends the exchange quietly, as ctx's end does
	end, ctxEnd := ctx.Deadline()
	quiet := func() bool { return ctx.Err() != nil || ctxEnd && !time.Now().Before(end) }
	if f.Timeout > 0 || !ctxEnd {
		ctxEnd = false
		timeout := f.Timeout
		if timeout <= 0 {
			timeout = 60 * time.Second
		}
		end = time.Now().Add(timeout)
	}
	d := net.Dialer{Deadline: end}
	c, err := d.DialContext(ctx, a.Network, a.Address)
	if err != nil {
		if !quiet() {
			f.connectFailed(err, a)
		}
		return 0, nil, false
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c.SetDeadline(end)
	if _, err := c.Write(req); err != nil {
		if !quiet() {
			f.ioFailed(err, "send() failed")
		}
		return 0, nil, false
	}
	buf := make([]byte, maxResponse)
	n, head := 0, -1
	for n < len(buf) {
		k, err := c.Read(buf[n:])
		n += k
		if k > 0 && head < 0 {
			code, head, err = parseHeadLog(f, buf[:n])
			if err != nil {
				return 0, nil, false
			}
		}
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if quiet() {
			return 0, nil, false
		}
		if isTimeout(err) {
			f.Logf(errlog.Error, errTimedOut, "OCSP responder timed out")
			return 0, nil, false
		}
		// a failed read ends the response as its end would
		f.Logf(errlog.Error, err, "recv() failed")
		break
	}
	if head < 0 {
		f.Logf(errlog.Error, nil, "OCSP responder prematurely closed connection")
		return 0, nil, false
	}
	return code, buf[head:n], true
}

// connectFailed logs a failed connection as nginx meets it: its
// non-blocking connect is in progress, and the error comes from the read
// that follows (a refused or reset connection, an unreachable host), the
// response then ending before its head; an error of connect() itself is
// connect()'s; a connection that is not made in time is the responder's
// timeout.
func (f *Fetch) connectFailed(err error, a ngxurl.Addr) {
	if isTimeout(err) {
		f.Logf(errlog.Error, errTimedOut, "OCSP responder timed out")
		return
	}
	var en syscall.Errno
	if errors.As(err, &en) && (en == syscall.ECONNREFUSED || en == syscall.ECONNRESET || en == syscall.EHOSTUNREACH) {
		f.Logf(errlog.Error, en, "recv() failed")
		f.Logf(errlog.Error, nil, "OCSP responder prematurely closed connection")
		return
	}
	f.Logf(errlog.Error, err, "connect() to %s failed", a.Name)
}

// parseHeadLog parses the head so far; a refused one is logged. head is
// -1 while it is incomplete.
func parseHeadLog(f *Fetch, b []byte) (code, head int, err error) {
	code, head, err = ParseHead(b)
	switch {
	case err == nil:
		return code, head, nil
	case errors.Is(err, errNeedMore):
		return 0, -1, nil
	}
	f.Logf(errlog.Error, nil, "%s", err)
	return 0, -1, err
}

// ioFailed logs a failed send as nginx does (a timeout as the
// responder's).
func (f *Fetch) ioFailed(err error, call string) {
	if isTimeout(err) {
		f.Logf(errlog.Error, errTimedOut, "OCSP responder timed out")
		return
	}
	f.Logf(errlog.Error, err, "%s", call)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// Result is what a check learned: the status, until when it holds
// (NoExpiry without nextUpdate), and the response's DER.
type Result struct {
	Status int
	Valid  time.Time
	DER    []byte
}

// NoExpiry is the validity of a response without nextUpdate.
var NoExpiry = time.Unix(1<<62, 0)

// Query asks for a certificate's status and verifies the answer
// (ngx_ssl_ocsp_request, then ngx_ssl_ocsp_verify in the handler). ok is
// false when the request failed: not answered, not 200 (not logged, as in
// nginx), or an answer that does not verify.
func Query(ctx context.Context, f *Fetch, c *Check) (Result, bool) {
	der, err := NewRequest(c.Cert, c.Issuer)
	if err != nil {
		f.Logf(errlog.Crit, nil, "OCSP_cert_to_id() failed")
		return Result{}, false
	}
	code, body, ok := f.Do(ctx, der)
	if !ok || code != 200 {
		return Result{}, false
	}
	resp, err := ParseResponse(body)
	if err == nil {
		c.Now = time.Now()
		var r Result
		r.Status, r.Valid, err = resp.Verify(c)
		if err == nil {
			if r.Valid.IsZero() {
				r.Valid = NoExpiry
			}
			r.DER = body
			return r, true
		}
	}
	f.Logf(errlog.Error, nil, "%s", err)
	return Result{}, false
}
