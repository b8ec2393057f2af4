package upstream

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/buf"
)

var errTimedOut = syscall.ETIMEDOUT

// attempt tries one peer: pick, connect, send the request, read and parse
// the response head. It returns 0 on a complete head, else the failure
// class for next.
func (u *Upstream) attempt() uint32 {
	r := u.R
	u.setAction(actionConnecting)
	if s := u.state; s != nil && s.ResponseTime < 0 {
		// the failed attempt before this one ends now
		// (ngx_http_upstream_connect)
		s.ResponseTime = time.Since(s.start)
	}
	peer, err := u.picker.Pick()
	if err != nil {
		r.Log().Logf(errlog.Error, r, nil, "no live upstreams")
		u.setPeer(nil)
		u.state = u.ctx.newState(nil)
		u.state.Peer = u.Target.Name()
		u.state.Status = 502
		return FtNoLive
	}
	u.setPeer(peer)
	u.state = u.ctx.newState(peer)

	if ft := u.connect(); ft != 0 {
		return ft
	}
	if u.watch.connected(); u.isInterrupted() {
		// the client left before the request went out (nginx's first
		// write event check): nothing is sent
		return FtError
	}
	u.state.ConnectTime = time.Since(u.state.start)
	if u.Buffer == nil {
		u.Buffer = buf.Get(int(u.Conf.BufferSize.Get()) + u.Conf.HeadExtra)
	}
	if u.writer != nil {
		if err := u.writer.Connected(u); err != nil {
			u.finalizeLater = 500
			return ftInternal
		}
	}
	if ft := u.send(); ft != 0 {
		return ft
	}
	return u.readHeader()
}

// connect gets a connection to u.Peer: an idle one from the keepalive
// pool, or a new one within connect_timeout
// (ngx_event_connect_peer).
func (u *Upstream) connect() uint32 {
	// a request that cannot be retried should a kept-alive connection
	// turn out closed must have it peeked at first
	must := u.R.MethodBit&(httpd.MethodPOST|httpd.MethodLOCK|httpd.MethodPATCH) != 0 ||
		u.Conf.NextUpstream.Get()&FtError == 0 || u.RequestBodyNoBuffering
	if c := u.Target.Keepalive().Get(u.Peer, must, u.TLS); c != nil {
		// a kept-alive TLS connection is reused as it is, without a new
		// handshake (nginx's c->ssl is kept with the connection)
		u.setConn(c)
		return 0
	}
	var start time.Time
	if u.TLS {
		start = time.Now() // the handshake shares connect_timeout
	}
	nc, local, err := u.dial()
	if err != nil {
		return u.dialFailed(err, local)
	}
	if u.TLS {
		return u.handshake(nc, start)
	}
	// Go's TCP connections have TCP_NODELAY set already, as nginx sets
	// it on upstream connections
	u.setConn(&Conn{Conn: nc, Start: time.Now()})
	return 0
}

// dial makes a new connection to u.Peer within connect_timeout, from
// proxy_bind's address (returned as evaluated) and with
// proxy_socket_keepalive. The dialer lives in the Upstream, out of the
// proxying goroutine's stack.
func (u *Upstream) dial() (net.Conn, string, error) {
	r := u.R
	d := &u.dialer
	*d = net.Dialer{}
	d.Timeout = u.Conf.ConnectTimeout.Get()
	var local string
	if x := u.Conf.Bind.Get(); x != nil && u.Peer.Network != "unix" {
		if addr := x.Eval(r); addr != "" {
			local = addr
			// an address nginx cannot parse is logged and the connection
			// made without one (ngx_http_upstream_set_local)
			if la, ok := parseAddrPort(addr); ok {
				d.LocalAddr = la
			} else {
				r.Log().Logf(errlog.Error, r, nil, "invalid local address \"%s\"", addr)
			}
		}
	}
	if u.Conf.SocketKeepalive.Get() {
		d.KeepAlive = 0
	} else {
		d.KeepAlive = -1
	}
	if dl, ok := u.Target.(Dialer); ok {
		nc, err := dl.Dial(u.Peer.Network, u.Peer.Address, d.Timeout)
		return nc, local, err
	}
	switch {
	case d.LocalAddr == nil:
		d.Control = u.earlyHook(u.Peer.Address)
	case u.Conf.BindTransparent:
		d.Control = func(network, _ string, c syscall.RawConn) error {
			return setTransparent(network, c)
		}
	}
	nc, err := d.Dial(u.Peer.Network, u.Peer.Address)
	return nc, local, err
}

// dialFailed logs a failed dial as nginx does and returns its failure
// class: a proxy_bind that could not be applied ends the request with 500,
// a timeout or a refusal goes to the next peer.
func (u *Upstream) dialFailed(err error, local string) uint32 {
	r := u.R
	var terr *transparentError
	if errors.As(err, &terr) {
		// ngx_event_connect_set_transparent: the request ends with 500
		r.Log().Logf(errlog.Alert, r, terr.errno, "setsockopt(%s) failed", terr.option)
		u.finalizeLater = 500
		return ftInternal
	}
	var serr *os.SyscallError
	if errors.As(err, &serr) && serr.Syscall == "bind" {
		// ngx_event_connect_peer: a failed bind ends the request with 500
		r.Log().Logf(errlog.Crit, r, serr.Err, "bind(%s) failed", local)
		u.finalizeLater = 500
		return ftInternal
	}
	if isTimeout(err) {
		return FtTimeout
	}
	r.Log().Logf(errlog.Error, r, syscallErr(err), "connect() failed")
	return FtError
}

// transparentError is a failure to make a socket transparent
// (proxy_bind ... transparent).
type transparentError struct {
	option string
	errno  syscall.Errno
}

func (e *transparentError) Error() string {
	return "setsockopt(" + e.option + ") failed: " + e.errno.Error()
}

// setTransparent lets the socket connect from a non-local address
// (IP_TRANSPARENT, IPV6_TRANSPARENT), as proxy_bind's "transparent"
// asks; it needs the CAP_NET_ADMIN capability.
func setTransparent(network string, c syscall.RawConn) error {
	level, opt, name := syscall.IPPROTO_IP, syscall.IP_TRANSPARENT, "IP_TRANSPARENT"
	if strings.HasSuffix(network, "6") {
		level, opt, name = syscall.IPPROTO_IPV6, ipv6Transparent, "IPV6_TRANSPARENT"
	}
	var serr error
	if err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), level, opt, 1) }); err != nil {
		return err
	}
	if errno, ok := serr.(syscall.Errno); ok {
		return &transparentError{option: name, errno: errno}
	}
	return serr
}

// ipv6Transparent is Linux's IPV6_TRANSPARENT, which package syscall
// lacks.
const ipv6Transparent = 75

// earlyHook returns the pooled Upstream's earlyConnect hook, aimed at
// address (parsed here, where the stack is shallow; a name or a unix path
// leaves it nothing to do).
func (u *Upstream) earlyHook(address string) func(network, address string, c syscall.RawConn) error {
	e := u.pipe.keep.early
	if e == nil {
		e = newEarlyConnect()
		u.pipe.keep.early = e
	}
	e.ap, _ = netip.ParseAddrPort(address)
	return e.hook
}

// earlyConnect is the dialer's Control hook that starts the connection
// to ap itself, before Go's dialer does. A loopback (or otherwise quick)
// peer has completed the handshake by the time the dialer connects in
// turn, which then finds the socket connected (EISCONN) and returns at
// once, where it would wait for the netpoller to report the socket
// writable: on a busy server that wait lasts until every goroutine ready
// to run has had its turn, and made each request that needed a new
// connection take about twice as long as the others. A connection still
// being made is waited for as before; an immediate failure is the dial's
// error. Not used with proxy_bind (the dialer binds after Control). A
// pooled Upstream keeps one, its functions bound once, so that a dial
// allocates nothing for it.
type earlyConnect struct {
	ap   netip.AddrPort
	sa4  syscall.SockaddrInet4
	sa6  syscall.SockaddrInet6
	sa   syscall.Sockaddr
	err  error
	hook func(network, address string, c syscall.RawConn) error
	fdFn func(fd uintptr)
}

func newEarlyConnect() *earlyConnect {
	e := &earlyConnect{}
	e.hook = e.control
	e.fdFn = e.connect
	return e
}

// control is the hook: network is the dialer's ("tcp4", "tcp6").
func (e *earlyConnect) control(network, _ string, c syscall.RawConn) error {
	ap := e.ap
	switch {
	case !ap.IsValid():
		return nil
	case network == "tcp4" && ap.Addr().Is4():
		e.sa4 = syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
		e.sa = &e.sa4
	case network == "tcp6" && ap.Addr().Is6() && ap.Addr().Zone() == "":
		e.sa6 = syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
		e.sa = &e.sa6
	default:
		return nil
	}
	e.err = nil
	if err := c.Control(e.fdFn); err != nil {
		return nil
	}
	cerr := e.err
	e.err = nil
	switch cerr {
	case nil, syscall.EINPROGRESS, syscall.EALREADY, syscall.EINTR:
		return nil
	}
	return os.NewSyscallError("connect", cerr)
}

func (e *earlyConnect) connect(fd uintptr) {
	e.err = syscall.Connect(int(fd), e.sa)
}

// parseAddrPort parses a local address as nginx's ngx_parse_addr_port:
// "ip", "ip:port", "[ipv6]" or "[ipv6]:port", the port 1 to 65535.
func parseAddrPort(s string) (*net.TCPAddr, bool) {
	if ip := net.ParseIP(s); ip != nil {
		return &net.TCPAddr{IP: ip}, true
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
			if ip := net.ParseIP(s[1 : len(s)-1]); ip != nil && ip.To4() == nil {
				return &net.TCPAddr{IP: ip}, true
			}
		}
		return nil, false
	}
	ip := net.ParseIP(host)
	n, err := strconv.Atoi(port)
	if ip == nil || err != nil || n < 1 || n > 65535 || port[0] == '+' {
		return nil, false
	}
	return &net.TCPAddr{IP: ip, Port: n}, true
}

// send writes the request within send_timeout between writes
// (ngx_http_upstream_send_request).
func (u *Upstream) send() uint32 {
	r := u.R
	u.setAction(actionSending)
	c := u.conn
	timeout := u.Conf.SendTimeout.Get()
	pieces := u.Request.Pieces
	if _, bs := u.Proto.(BodySender); !bs || !u.RequestBodyNoBuffering {
		// the read timeout starts when the request is sent, and bounds
		// the wait for the response that begins with the write
		c.SetReadTimeout(u.Conf.ReadTimeout.Get())
		// the write cannot block: what follows is the wait for the
		// response (for the client watch, the request is being sent
		// until the upstream answers, see publishAction)
		r.SetAction(actionReadHeader)
		n, done, ok, err := c.sendWait(pieces)
		if done {
			u.sent, u.sentAll = true, true
			u.waited, u.waitErr = true, err
			return 0
		}
		r.SetAction(actionSending)
		if ok && (n > 0 || err != nil) {
			// the socket took part of it: the rest goes the ordinary way
			u.sent = n > 0
			if err == nil {
				err = c.writeBuffers(restOf(net.Buffers(u.iov[:0]), pieces, n), timeout)
			}
			if err != nil {
				if isTimeout(err) {
					return FtTimeout
				}
				logIOError(r, c, err, "writev() failed", "SSL_write() failed")
				return FtError
			}
			u.sent, u.sentAll = true, true
			return 0
		}
	}
	for i := 0; i < len(pieces); {
		p := &pieces[i]
		var err error
		if p.File != nil {
			err = c.sendFile(p.File, p.Off, p.N, timeout)
			i++
		} else {
			// consecutive memory pieces go out in one writev
			j := i + 1
			for j < len(pieces) && pieces[j].File == nil {
				j++
			}
			if j-i == 1 {
				err = c.write(p.Data, timeout)
			} else {
				err = c.writev(net.Buffers(u.iov[:0]), pieces[i:j], timeout)
			}
			i = j
		}
		if err != nil {
			u.sent = u.sent || c.sent > 0
			if isTimeout(err) {
				return FtTimeout
			}
			if c.Cached && c.sent == 0 {
				// a kept-alive connection the peer closed: nginx retries
				logIOError(r, c, err, "writev() failed", "SSL_write() failed")
				return FtError
			}
			logIOError(r, c, err, "writev() failed", "SSL_write() failed")
			return FtError
		}
		u.sent = true
	}
	if sb, ok := u.Proto.(BodySender); ok && u.RequestBodyNoBuffering {
		// the body follows as it arrives, while the response is read
		// (bodypump.go); the response's read timeout starts once it is
		// all out
		u.startPump(sb)
		return 0
	}
	u.sentAll = true
	return 0
}

// BodySender is implemented by protocols that stream the request body
// after the head (request_buffering off), writing it with u.WriteBody. A
// request that streams sets RequestBodyNoBuffering: SendBody is called for
// it only. SendBody runs on a goroutine of its own while the response is
// read and processed (bodypump.go): what it shares with the protocol's
// response side needs a lock, and the upstream is written only through
// WriteBody. It returns nil once the whole body is out, an error from
// WriteBody or the BodyStream when either failed, and anything once
// WaitSendable reports the exchange's end.
type BodySender interface {
	SendBody(u *Upstream) error
}

// WriteBody sends the byte slices to the upstream, one after the other
// with nothing else written between them, within send_timeout (for a
// BodySender's SendBody).
func (u *Upstream) WriteBody(bs ...[]byte) error {
	u.wmu.Lock()
	defer u.wmu.Unlock()
	if err := u.conn.writeBuffers(net.Buffers(bs), u.Conf.SendTimeout.Get()); err != nil {
		return &upstreamWriteError{err}
	}
	return nil
}

// headEnd is where the head's reading stops in Buffer: End, or
// buffer_size.
func (u *Upstream) headEnd() int {
	if u.End > 0 {
		return min(max(u.End, u.Last), len(u.Buffer))
	}
	return len(u.Buffer) - u.Conf.HeadExtra
}

// readHeader reads the response head into Buffer and lets the protocol
// parse it (ngx_http_upstream_process_header).
func (u *Upstream) readHeader() uint32 {
	r := u.R
	// after sendWait the action and the deadline are set, and the
	// response has arrived
	waited := u.waited
	u.waited = false
	if !waited {
		r.SetAction(actionReadHeader)
	} else if isTimeout(u.waitErr) {
		return FtTimeout
	}
	c := u.conn
	timeout := u.Conf.ReadTimeout.Get()
	u.Pos, u.Last, u.End = 0, 0, 0
	for {
		if !waited {
			// while a pump sends the body, the read timeout only wakes
			// the loop to check on it (below)
			c.SetReadTimeout(timeout)
		}
		waited = false
		room := u.Buffer[u.Last:u.headEnd()]
		n, err := c.Read(room)
		if n > 0 {
			u.headReadFull = n == len(room)
			u.Last += n
			u.state.BytesReceived += int64(n)
			if !u.received {
				u.publishAction(actionReadHeader)
			}
			u.received = true
			res := u.Proto.ProcessHeader(u)
			if u.writer != nil && (res == NeedMore || res == HeaderDone) {
				if ft := u.writeOutgoing(); ft != 0 {
					return ft
				}
			}
			switch res {
			case NeedMore:
				if u.Last >= u.headEnd() {
					r.Log().Logf(errlog.Error, r, nil, "upstream sent too big header")
					return FtInvalidHeader
				}
				continue
			case HeaderDone:
				u.state.HeaderTime = time.Since(u.state.start)
				return 0
			case Invalid:
				return FtInvalidHeader
			default:
				u.finalizeLater = 500
				return ftInternal
			}
		}
		if u.pump != nil {
			if u.pumpError() != nil {
				// the streamed body failed and interrupted the read: next
				// says how the exchange ends
				return FtError
			}
			if isTimeout(err) && !c.stopped.Load() {
				// read_timeout counts from the end of the body
				if u.pumpBusy() {
					continue
				}
				if end := u.pumpFinished().Add(timeout); time.Until(end) > 0 {
					c.SetReadDeadline(end)
					waited = true
					continue
				}
			}
		}
		switch {
		case isTimeout(err):
			return FtTimeout
		case err == nil || errors.Is(err, io.EOF):
			r.Log().Logf(errlog.Error, r, nil, "upstream prematurely closed connection")
			return FtError
		default:
			logIOError(r, c, err, "recv() failed", "SSL_read() failed")
			return FtError
		}
	}
}

// writeOutgoing sends what a Writer protocol queued (control frames,
// request body bytes its peer now allows) within send_timeout.
func (u *Upstream) writeOutgoing() uint32 {
	if err := u.sendOutgoing(); err != nil {
		if isTimeout(err) {
			return FtTimeout
		}
		logIOError(u.R, u.conn, err, "writev() failed", "SSL_write() failed")
		return FtError
	}
	return 0
}

// sendOutgoing writes the Writer's pieces.
func (u *Upstream) sendOutgoing() error {
	c := u.conn
	timeout := u.Conf.SendTimeout.Get()
	pieces, err := u.writer.Outgoing(u)
	if err != nil {
		return err
	}
	if len(pieces) == 0 {
		return nil
	}
	u.wmu.Lock()
	defer u.wmu.Unlock()
	for _, p := range pieces {
		var err error
		if p.File != nil {
			err = c.sendFile(p.File, p.Off, p.N, timeout)
		} else {
			err = c.write(p.Data, timeout)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ftInternal is an attempt failure that must not be retried (a protocol
// error on our side).
const ftInternal uint32 = 0x20000000

func isTimeout(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// syscallErr digs the errno out of a net error for nginx-style
// "(111: Connection refused)".
func syscallErr(err error) error {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return err
}

// write sends b within timeout per write call, counting bytes sent.
func (c *Conn) write(b []byte, timeout time.Duration) error {
	for len(b) > 0 {
		c.SetWriteTimeout(timeout)
		n, err := c.Conn.Write(b)
		c.sent += int64(n)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// writev sends the pieces' data with writev (net.Buffers) within timeout
// per call, counting bytes sent; iov is scratch room for the vector.
func (c *Conn) writev(iov net.Buffers, pieces []httpd.Piece, timeout time.Duration) error {
	return c.writeBuffers(restOf(iov, pieces, 0), timeout)
}

// restOf appends to iov the pieces' data after their first skip bytes.
func restOf(iov net.Buffers, pieces []httpd.Piece, skip int) net.Buffers {
	for i := range pieces {
		d := pieces[i].Data
		if skip >= len(d) {
			skip -= len(d)
			continue
		}
		iov = append(iov, d[skip:])
		skip = 0
	}
	return iov
}

// writeBuffers writes iov within timeout per call, counting bytes sent.
func (c *Conn) writeBuffers(iov net.Buffers, timeout time.Duration) error {
	for len(iov) > 0 {
		c.SetWriteTimeout(timeout)
		n, err := iov.WriteTo(c.Conn)
		c.sent += n
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *Conn) sendFile(f *os.File, off, n int64, timeout time.Duration) error {
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return err
	}
	c.SetWriteTimeout(timeout)
	w, err := io.Copy(c.Conn, io.LimitReader(f, n))
	c.sent += w
	if err == nil && w != n {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// setConn installs the attempt's connection; an exchange already
// interrupted by a client abort gets it interrupted at once.
func (u *Upstream) setConn(c *Conn) {
	u.mu.Lock()
	u.conn = c
	if u.interrupted {
		c.stop()
	}
	u.mu.Unlock()
}
