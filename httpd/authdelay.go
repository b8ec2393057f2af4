package httpd

import (
	"syscall"
	"time"

	"github.com/sluicehq/sluice/errlog"
)

// finalizeUnauthorized ends a request the access phase answered 401 or
// 407 (ngx_http_core_auth_delay): with auth_delay set, after that delay,
// logged at info as "delaying unauthorized request", so that a wrong
// password is not told apart from a right one by the time of the answer.
// A client that closes the connection or shuts down its side meanwhile
// ends the request with 499, as nginx's ngx_http_test_reading does.
func (r *Request) finalizeUnauthorized(code int) {
	d := r.Loc.core.AuthDelay.Get()
	if d > 0 {
		r.Log().Logf(errlog.Info, r, nil, "delaying unauthorized request")
		if rc := r.SleepWatching(d); rc != Declined {
			r.accessCode = 0
			r.Finalize(rc)
			return
		}
	}
	r.accessCode = 0
	r.Finalize(Status(code))
}

// SleepWatching delays the request d on its own goroutine (other
// connections do not notice) and returns Declined; a client that closes
// the connection or shuts down its side meanwhile ends it with 499,
// logged "client prematurely closed connection" at info with the
// socket's pending error, as nginx's ngx_http_test_reading does with
// EPOLLRDHUP; a fast shutdown ends it at once (Error). For auth_delay and
// limit_req's delay.
//
// A subrequest does not watch: the connection has one hangup watch,
// which its main request may be using (an exchange with an upstream
// whose response the subrequest is included in); it waits for the
// delay, or for a fast shutdown.
func (r *Request) SleepWatching(d time.Duration) Status {
	hup := make(chan struct{}, 1)
	watching := !r.IsSubrequest() && r.WatchHangup(func() {
		select {
		case hup <- struct{}{}:
		default:
		}
	})
	if watching {
		defer r.UnwatchHangup()
		if r.HungUp() {
			return r.clientHungUp()
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return Declined
	case <-hup:
		return r.clientHungUp()
	case <-r.Context().Done():
		return Error
	}
}

// clientHungUp logs the client's leaving and returns 499.
func (r *Request) clientHungUp() Status {
	var err error
	if rc := r.RawConn(); rc != nil {
		var soerr int
		rc.Control(func(fd uintptr) {
			soerr, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR)
		})
		if soerr != 0 {
			err = syscall.Errno(soerr)
		}
	}
	r.Log().Logf(errlog.Info, r, err, "client prematurely closed connection")
	return StatusClientClosedRequest
}
