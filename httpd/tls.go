package httpd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/internal/tlsconf"
)

// Server-side TLS ("listen ... ssl"), the framework's half of nginx's
// ngx_http_ssl_module: the ssl module builds each server's tls.Config from
// its directives (SetTLS); the framework runs the handshake after the
// PROXY protocol header and before the first request, chooses the virtual
// server by SNI as ngx_http_ssl_servername does, answers plain HTTP sent
// to the port with 497, and serves the connection's requests through the
// TLS connection. Until the handshake starts the connection is a plain
// one (its first bytes are read raw, and it parks while it waits for
// them). After it, the TLS layer owns the socket's bytes: c.raw is nil,
// an idle connection lingers and is parked by the socket beneath once a
// TLS read proved that nothing complete is buffered (tlsidle.go), and
// files are copied through the TLS writer rather than sent with sendfile.

// ServerTLS is a server's TLS settings, as the ssl module made them.
type ServerTLS struct {
	// Config holds the server's certificates, protocols, ciphers and
	// session settings; nil when the server has no certificates of its
	// own (a connection it is chosen for by SNI keeps the default
	// server's, as in nginx).
	Config *tls.Config
	// Reject is ssl_reject_handshake on: a handshake that reaches the
	// server is refused with an unrecognized_name alert.
	Reject bool
	// BufferSize is ssl_buffer_size: the most response bytes gathered
	// into one write (one TLS record or a few) on the connection.
	BufferSize int
	// VerifyClient is ssl_verify_client (VerifyOff ... VerifyOptionalNoCA).
	// Config then requests a certificate without verifying it in the
	// handshake: VerifyPeer checks the chain afterwards, and a request is
	// answered 495 or 496 as ngx_http_process_request does.
	VerifyClient int
	// VerifyPeer verifies the client's certificates when the handshake
	// is done, and with ssl_ocsp checks their status before the first
	// request is read, as nginx holds the connection for it; its error is
	// a *tlsconf.VerifyError or an *OCSPError. ctx ends with the
	// connection or when client_header_timeout (counted from the
	// connection's start) passes, which closes the connection as a
	// handshake that timed out; log numbers the connection's lines.
	VerifyPeer func(ctx context.Context, log errlog.Context, certs []*x509.Certificate) error
}

// OCSPError is a client certificate whose status ssl_ocsp found bad, or
// could not learn: Text is nginx's ("certificate revoked", "certificate
// status unknown", "certificate status request failed").
type OCSPError struct{ Text string }

func (e *OCSPError) Error() string { return e.Text }

// The modes of ssl_verify_client.
const (
	VerifyOff = iota
	VerifyOn
	VerifyOptional
	VerifyOptionalNoCA
)

// SetTLS gives the server its TLS settings (the ssl module, when merging).
func (s *Server) SetTLS(t *ServerTLS) { s.tls = t }

// TLS returns the server's TLS settings, nil when it has none.
func (s *Server) TLS() *ServerTLS { return s.tls }

// EnableSSL lets "listen ... ssl" be used: the ssl module calls it before
// the http block is read. Without it the parameter is nginx's error for a
// build without ngx_http_ssl_module.
func (cf *Config) EnableSSL() { cf.sslEnabled = true }

// TLSInfo is what a TLS connection's handshake told: the negotiated state
// and what the client offered ($ssl_* variables).
type TLSInfo struct {
	// State is the connection state after the handshake.
	State tls.ConnectionState
	// ServerName is the SNI name as the client sent it.
	ServerName string
	// Ciphers and Curves are the client's offers, in its order.
	Ciphers []uint16
	Curves  []tls.CurveID
	// Verify is the client certificate's verification when the
	// handshake's server asked for one: nil for success (or no
	// certificate), else a *tlsconf.VerifyError.
	Verify error
}

// TLS returns the connection's TLS information, nil on a plain
// connection.
// tlsc returns the connection's TLS layer, nil before a handshake
// succeeded or on a plain address.
func (c *conn) tlsc() *tls.Conn {
	if c.tls == nil {
		return nil
	}
	return c.tls.conn
}

// rawSocket returns the raw access to the socket under the connection.
func (c *conn) rawSocket() syscall.RawConn {
	if c.tls != nil {
		return c.tls.raw
	}
	return c.raw
}

// socket returns the socket under the connection.
func (c *conn) socket() net.Conn {
	if c.tls != nil {
		return c.tls.tcp
	}
	return c.nc
}

func (r *Request) TLS() *TLSInfo {
	if r.conn.tls == nil {
		return nil
	}
	return r.conn.tls.info
}

// sslNotEnabled is nginx's error for "ssl" without the module.
const sslNotEnabled = "the \"ssl\" parameter requires ngx_http_ssl_module"

// checkSSL checks the servers of every "listen ... ssl" address as
// ngx_http_ssl_init does: the default server needs certificates, unless
// it rejects handshakes, and then every server of the address must have
// certificates or reject too.
func (cf *Config) checkSSL(a *addrConf) error {
	missing := func(s *Server) error {
		return &conf.Error{NoPos: true, Msg: "no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive in " + s.file + ":" + strconv.Itoa(s.line)}
	}
	d := a.def.tls
	if d != nil && d.Config != nil {
		return nil
	}
	if d == nil || !d.Reject {
		return missing(a.def)
	}
	for _, s := range a.servers {
		if t := s.tls; t == nil || (t.Config == nil && !t.Reject) {
			return missing(s)
		}
	}
	return nil
}

// serverConfig is the address's tls.Config: it has no certificates of its
// own and picks the server's for each handshake (sni).
func (a *addrConf) serverConfig() *tls.Config {
	return &tls.Config{GetConfigForClient: a.sni}
}

// rejectConfig has no certificates: Go's handshake then fails with an
// unrecognized_name alert, the one nginx sends for ssl_reject_handshake.
var rejectConfig = &tls.Config{}

// sni chooses the virtual server by the name the client sent
// (ngx_http_ssl_servername) and returns that server's tls.Config, or the
// default server's when the name matches none or the server has no
// certificates of its own.
func (a *addrConf) sni(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	pc, ok := hello.Conn.(*preConn)
	if !ok {
		return nil, errors.New("not a sluice connection")
	}
	c := pc.c
	c.tls.hello = helloInfo{serverName: hello.ServerName, ciphers: hello.CipherSuites, curves: hello.SupportedCurves}
	srv := a.def
	if hello.ServerName != "" {
		if host, ok := validateHost(hello.ServerName); ok && host != "" {
			if s, re := a.names.findSNI(host); s != nil {
				srv = s
				c.tls.sniServer, c.tls.sniHost, c.tls.sniRegex = s, string([]byte(host)), re
			}
		}
	}
	t := srv.tls
	if t == nil || t.Config == nil {
		t = a.def.tls
	}
	if st := srv.tls; st != nil && st.Reject {
		c.tls.rejected = true
		return rejectConfig, nil
	}
	if t == nil || t.Config == nil {
		// a default server that rejects, and the name chose none
		c.tls.rejected = true
		return rejectConfig, nil
	}
	c.tls.settings = t
	if srv.tls != nil && srv.tls.BufferSize > 0 {
		c.tls.buffer = srv.tls.BufferSize
	} else {
		c.tls.buffer = t.BufferSize
	}
	if a.http2 || srv.http2Enabled() {
		return a.alpnConfig(t.Config), nil
	}
	return t.Config, nil
}

// helloInfo is what handshake's sni saw of the ClientHello.
// connTLS is the TLS state of a connection on an ssl address.
type connTLS struct {
	// tcp is the socket; conn the TLS connection over it once the
	// handshake succeeded
	tcp  net.Conn
	raw  syscall.RawConn
	conn *tls.Conn
	// info is set once the handshake succeeded
	info *TLSInfo
	// hello, sniServer, sniHost, sniRegex and rejected are set by the
	// handshake's server choice (addrConf.sni): the server the SNI name
	// chose (nil when none), the validated name, the regex that matched it
	sniServer *Server
	sniHost   string
	sniRegex  *Regex
	rejected  bool
	hello     helloInfo
	// buffer is ssl_buffer_size of the server chosen for the handshake,
	// settings the settings the handshake used
	buffer   int
	settings *ServerTLS
	// idleEnd is when the wait for the next request that parked the
	// connection ends (zero: never), kept for the wait after a wake-up
	// that brought no request (see idleWaitTLS)
	idleEnd time.Time
}

type helloInfo struct {
	serverName string
	ciphers    []uint16
	curves     []tls.CurveID
}

// preConn is the connection under the TLS layer: the bytes the first read
// already took (c.in) come first, then the socket's.
type preConn struct {
	net.Conn
	pre []byte
	c   *conn
}

func (p *preConn) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		if len(p.pre) == 0 {
			// an empty tail still holds the copy: the connection keeps
			// its preConn for good
			p.pre = nil
		}
		return n, nil
	}
	return p.Conn.Read(b)
}

// handshake starts TLS on a connection of a "listen ... ssl" address
// whose first bytes are in c.in (ngx_http_ssl_handshake): a first byte of
// a TLS record (0x16) or of an SSLv2 hello (high bit) starts the
// handshake, bounded by client_header_timeout; anything else is plain
// HTTP, read as such and answered 497 (see readAndProcess). It returns
// false when the connection is to close.
func (c *conn) handshake() bool {
	if b := c.in[c.pos]; b&0x80 == 0 && b != 0x16 {
		return true
	}
	pc := &preConn{Conn: c.socket(), pre: append([]byte(nil), c.in[c.pos:c.last]...), c: c}
	c.pos, c.last = 0, 0
	// from here the socket's bytes belong to TLS: no raw reads
	c.raw = nil
	tc := tls.Server(pc, c.addr.tlsConfig)
	c.socket().SetDeadline(c.firstDeadline())
	err := tc.Handshake()
	c.socket().SetDeadline(time.Time{})
	if err != nil {
		c.handshakeFailed(err)
		return false
	}
	info := &TLSInfo{State: tc.ConnectionState(), ServerName: c.tls.hello.serverName, Ciphers: c.tls.hello.ciphers, Curves: c.tls.hello.curves}
	c.tls.hello = helloInfo{}
	if t := c.tls.settings; t != nil && t.VerifyClient != VerifyOff && t.VerifyPeer != nil && len(info.State.PeerCertificates) > 0 {
		// the handshake's timer (client_header_timeout from the
		// connection's start) bounds an OCSP check too, as nginx keeps
		// it running while ngx_ssl_ocsp_validate waits
		end := c.firstDeadline()
		ctx, cancel := context.WithDeadline(c.context(), end)
		info.Verify = t.VerifyPeer(ctx, c, info.State.PeerCertificates)
		timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded) || !time.Now().Before(end)
		cancel()
		if timedOut {
			c.handshakeFailed(os.ErrDeadlineExceeded)
			return false
		}
	}
	c.tls.settings = nil
	if c.tls.buffer <= 0 {
		c.tls.buffer = 16384
	}
	c.mu.Lock()
	c.nc = tc
	c.tls.conn = tc
	c.tls.info = info
	c.mu.Unlock()
	return true
}

// handshakeFailed logs a failed handshake as nginx's ngx_ssl_handshake
// does: a timeout as "client timed out", a peer that closed as "peer
// closed connection in SSL handshake", an error of the client's at the
// info level with OpenSSL's wording where one maps.
func (c *conn) handshakeFailed(err error) {
	c.failed = true
	log := c.cf.Cycle.Log
	var ne net.Error
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		c.timedOut = true
		log.Logf(errlog.Info, c, errTimedOut, "client timed out")
	case c.tls.rejected:
		log.Logf(errlog.Info, c, nil, "handshake rejected")
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		log.Logf(errlog.Info, c, nil, "peer closed connection in SSL handshake")
	default:
		if se := sysErrno(err); se != nil {
			log.Logf(errlog.Info, c, se, "SSL_do_handshake() failed")
			return
		}
		text, lv := opensslError(err)
		log.Logf(lv, c, nil, "SSL_do_handshake() failed (SSL: %s)", text)
	}
}

// sslIO names the read and write calls in log lines: nginx's SSL_read()
// and SSL_write() on a TLS connection.
func (c *conn) readCall() string {
	if c.tlsc() != nil {
		return "SSL_read()"
	}
	return "recv()"
}

// writeTLS writes bufs through the TLS connection gathered into writes of
// up to ssl_buffer_size, as nginx's ngx_ssl_send_chain fills its buffer:
// one record for a head and a small body instead of one for each.
func (c *conn) writeTLS(bufs [][]byte) (int64, error) {
	size := c.tls.buffer
	b := getTLSBuf(size)
	defer putTLSBuf(b)
	var n int64
	fill := (*b)[:0]
	flush := func() error {
		k, err := c.nc.Write(fill)
		n += int64(k)
		fill = fill[:0]
		return err
	}
	for _, p := range bufs {
		for len(p) > 0 {
			if len(fill) == 0 && len(p) >= size {
				k, err := c.nc.Write(p)
				n += int64(k)
				if err != nil {
					return n, err
				}
				p = nil
				break
			}
			k := copy(fill[len(fill):size], p)
			fill = fill[:len(fill)+k]
			p = p[k:]
			if len(fill) == size {
				if err := flush(); err != nil {
					return n, err
				}
			}
		}
	}
	if len(fill) > 0 {
		if err := flush(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// closeTLS closes a TLS connection: with a close_notify alert after a
// normal end, without one after an error or a timeout (nginx's
// no_send_shutdown).
func (c *conn) closeTLS() {
	if c.failed || c.timedOut {
		c.socket().Close()
		return
	}
	c.tlsc().SetWriteDeadline(time.Now().Add(time.Second))
	c.tlsc().Close()
}

// tlsWriter hides everything but Write, so that io.CopyBuffer uses its
// buffer rather than a ReaderFrom of the connection.
type tlsWriter struct{ w io.Writer }

func (w tlsWriter) Write(b []byte) (int, error) { return w.w.Write(b) }

// checkClientCert is ngx_http_process_request's check of the client
// certificate, with the settings of the request's server: a failed
// verification is 495, a missing certificate with "on" 496 (both sent as
// 400 with their own pages); OK otherwise.
func (r *Request) checkClientCert() Status {
	c := r.conn
	if r.misdirected {
		r.logf(errlog.Info, nil, "client attempted to request the server name different from the one that was negotiated")
		return 421
	}
	t := r.Srv.tls
	if t == nil || t.VerifyClient == VerifyOff {
		return OK
	}
	info := c.tls.info
	var ve *tlsconf.VerifyError
	if errors.As(info.Verify, &ve) && !(t.VerifyClient == VerifyOptionalNoCA && ve.Optional()) {
		r.logf(errlog.Info, nil, "client SSL certificate verify error: %s", ve)
		return 495
	}
	if t.VerifyClient == VerifyOn && len(info.State.PeerCertificates) == 0 {
		r.logf(errlog.Info, nil, "client sent no required SSL certificate")
		return 496
	}
	var oe *OCSPError
	if errors.As(info.Verify, &oe) {
		r.logf(errlog.Info, nil, "client SSL certificate verify error: %s", oe.Text)
		return 495
	}
	return OK
}

// tlsRecvNow is recvNow on a TLS connection: what crypto/tls holds
// already (decrypted bytes, or a whole record it read before). A read
// whose deadline has passed never reaches the socket, so bytes still in
// the socket wait for the next blocking read.
func tlsRecvNow(tc *tls.Conn, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	tc.SetReadDeadline(time.Unix(1, 0))
	n, err := tc.Read(b)
	tc.SetReadDeadline(time.Time{})
	switch {
	case n > 0:
		return n, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 0, nil
	case err == nil:
		return 0, nil
	}
	return 0, err
}
