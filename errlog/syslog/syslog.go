// Package syslog sends log lines to a syslog server as nginx does
// (src/core/ngx_syslog.c): the "syslog:" destinations of error_log and
// access_log.
//
// A destination is written "syslog:" and comma-separated parameters:
// server=ADDRESS (an IPv4 address or host name with an optional port, an
// IPv6 address in brackets, or unix:PATH; UDP port 514 by default),
// facility= (local7 by default), severity= (info by default; access_log
// only: an error log message is sent with its own level), tag= (nginx by
// default; at most 32 letters, digits and underscores) and nohostname.
//
// Each message is one datagram in the BSD syslog format nginx writes:
//
//	<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MESSAGE
//
// with PRI = facility × 8 + severity, the local time with the day padded
// by a space, and the host name in lower case. An error_log message is the
// whole error log line (time, level, pid, text) without its line feed; an
// access_log message is the formatted line.
//
// The socket (a datagram socket connected to the server) is made when the
// first message is sent, sends never block (a message the socket cannot
// take at once is dropped, as nginx drops it), and a send error closes it:
// the next message makes a new one. Failures are logged to the cycle's main
// error log with nginx's wording and " while logging to syslog, server:
// ADDRESS" (nginx 1.23.4 and later; 1.22 logs the same lines without it);
// a destination never receives its own failures. Close, when the
// configuration retires, closes the socket; later messages are dropped.
//
// The default tag stays "nginx", as nginx's: tools that receive nginx's
// messages filter on it, and tag= names anything else.
package syslog

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/ngxurl"
)

// Prefix starts a syslog destination in error_log and access_log.
const Prefix = "syslog:"

const (
	defaultPort     = 514
	defaultFacility = 23 // local7
	defaultSeverity = 6  // info
	defaultTag      = "nginx"
	maxTag          = 32 // RFC 3164

	// maxHostname is NGX_MAXHOSTNAMELEN (terminating NUL included).
	maxHostname = 256
	// MaxMessage is NGX_SYSLOG_MAX_STR: the longest datagram an error log
	// line makes, header included.
	MaxMessage = errlog.MaxLine + len("<255>Jan 01 00:00:00 ") + (maxHostname - 1) + 1 + maxTag + 2
)

var facilities = [...]string{
	"kern", "user", "mail", "daemon", "auth", "intern", "lpr", "news", "uucp",
	"clock", "authpriv", "ftp", "ntp", "audit", "alert", "cron", "local0",
	"local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

// severities are named as nginx.conf names levels ("error", "warn"), not
// as syslog does ("err", "warning").
var severities = [...]string{"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"}

// ErrClosed is returned by Send once the peer is closed.
var ErrClosed = errors.New("syslog peer closed")

// Peer is one syslog destination (ngx_syslog_peer_t). Its parameters do
// not change once parsed; it is safe for concurrent use.
type Peer struct {
	// Facility and Severity are the numbers of the PRI part; Severity is
	// what access_log sends with (error_log sends each message's level).
	Facility, Severity int
	// Tag is the TAG part ("nginx" unless tag= says otherwise).
	Tag string
	// NoHostname leaves the host name out of the header.
	NoHostname bool
	// Server is the address messages go to; Server.Name is how logs name
	// it ("127.0.0.1:514", "[::1]:514", "unix:/dev/log").
	Server ngxurl.Addr

	hostname string
	family   int
	sa       syscall.Sockaddr
	log      *errlog.Log

	// mu guards the descriptor: senders hold it shared during send(2),
	// so that no descriptor is closed (and its number reused) under them.
	mu     sync.RWMutex
	fd     int // -1: not connected
	gen    uint64
	closed bool
}

// Parse reads a syslog destination, the directive's argument with its
// "syslog:" prefix, as ngx_syslog_process_conf. Its error is nginx's
// message (the caller adds " in FILE:LINE"). Host names are resolved now,
// with the system resolver; the first address is used. log receives the
// peer's own failures (nginx's cycle->new_log); it may be completed later.
func Parse(arg string, log *errlog.Log) (*Peer, error) {
	return parse(arg, log, nil)
}

func parse(arg string, log *errlog.Log, lookup func(string) ([]netip.Addr, error)) (*Peer, error) {
	p := &Peer{Facility: -1, Severity: -1, fd: -1, log: log}
	tagSet, serverSet := false, false
	rest := strings.TrimPrefix(arg, Prefix)
	for {
		part, next, more := strings.Cut(rest, ",")
		switch {
		case strings.HasPrefix(part, "server="):
			if serverSet {
				return nil, errors.New(`duplicate syslog "server"`)
			}
			text := part[len("server="):]
			u, err := ngxurl.Parse(text, ngxurl.Options{DefaultPort: defaultPort, Lookup: lookup})
			if err != nil {
				return nil, errors.New(err.Error() + ` in syslog server "` + text + `"`)
			}
			if err := p.setServer(u.Addrs[0]); err != nil {
				return nil, err
			}
			serverSet = true
		case strings.HasPrefix(part, "facility="):
			if p.Facility >= 0 {
				return nil, errors.New(`duplicate syslog "facility"`)
			}
			name := part[len("facility="):]
			p.Facility = index(facilities[:], name)
			if p.Facility < 0 {
				return nil, errors.New(`unknown syslog facility "` + name + `"`)
			}
		case strings.HasPrefix(part, "severity="):
			if p.Severity >= 0 {
				return nil, errors.New(`duplicate syslog "severity"`)
			}
			name := part[len("severity="):]
			p.Severity = index(severities[:], name)
			if p.Severity < 0 {
				return nil, errors.New(`unknown syslog severity "` + name + `"`)
			}
		case strings.HasPrefix(part, "tag="):
			if tagSet {
				return nil, errors.New(`duplicate syslog "tag"`)
			}
			tag := part[len("tag="):]
			if len(tag) > maxTag {
				return nil, errors.New("syslog tag length exceeds 32")
			}
			for i := 0; i < len(tag); i++ {
				if !tagByte(tag[i]) {
					return nil, errors.New(`syslog "tag" only allows alphanumeric characters and underscore`)
				}
			}
			p.Tag, tagSet = tag, true
		case part == "nohostname":
			p.NoHostname = true
		default:
			return nil, errors.New(`unknown syslog parameter "` + part + `"`)
		}
		if !more {
			break
		}
		rest = next
	}
	if !serverSet {
		return nil, errors.New("no syslog server specified")
	}
	if p.Facility < 0 {
		p.Facility = defaultFacility
	}
	if p.Severity < 0 {
		p.Severity = defaultSeverity
	}
	if !tagSet {
		p.Tag = defaultTag
	}
	p.hostname = hostname()
	return p, nil
}

func index(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// tagByte is the check of ngx_syslog_parse_args: letters (in either case),
// digits and '_'.
func tagByte(c byte) bool {
	if c >= 'A' && c <= 'Z' {
		c += 'a' - 'A'
	}
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '_'
}

func (p *Peer) setServer(a ngxurl.Addr) error {
	p.Server = a
	if a.Network == "unix" {
		p.family, p.sa = syscall.AF_UNIX, &syscall.SockaddrUnix{Name: a.Address}
		return nil
	}
	ap, err := netip.ParseAddrPort(a.Address)
	if err != nil {
		return errors.New(`invalid syslog server "` + a.Address + `"`)
	}
	if ap.Addr().Is4() {
		p.family, p.sa = syscall.AF_INET, &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
		return nil
	}
	p.family, p.sa = syscall.AF_INET6, &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	return nil
}

// hostname is nginx's cycle->hostname: gethostname() in lower case.
func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "localhost"
	}
	if len(h) > maxHostname-1 {
		h = h[:maxHostname-1]
	}
	return ascii.ToLower(h)
}

// AppendHeader appends the PRI and HEADER parts, "<PRI>Mmm dd hh:mm:ss
// HOSTNAME TAG: " (ngx_syslog_add_header), for a message of severity sev
// at time now.
func (p *Peer) AppendHeader(b []byte, now time.Time, sev int) []byte {
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(p.Facility*8+sev), 10)
	b = append(b, '>')
	b = appendTime(b, now)
	b = append(b, ' ')
	if !p.NoHostname {
		b = append(b, p.hostname...)
		b = append(b, ' ')
	}
	b = append(b, p.Tag...)
	return append(b, ": "...)
}

// HeaderLen is the length of the header AppendHeader writes with a PRI of
// three digits.
func (p *Peer) HeaderLen() int {
	n := len("<255>Jan 01 00:00:00 ") + len(p.Tag) + 2
	if !p.NoHostname {
		n += len(p.hostname) + 1
	}
	return n
}

// stamp is a second formatted as the header's TIMESTAMP (nginx's
// ngx_cached_syslog_time).
type stamp struct {
	sec  int64
	text [len("Jan 02 15:04:05")]byte
}

var stampCache atomic.Pointer[stamp]

func appendTime(b []byte, now time.Time) []byte {
	sec := now.Unix()
	s := stampCache.Load()
	if s == nil || s.sec != sec {
		s = &stamp{sec: sec}
		now.AppendFormat(s.text[:0], "Jan _2 15:04:05")
		stampCache.Store(s)
	}
	return append(b, s.text[:]...)
}

// WriteLog implements errlog.Writer (ngx_syslog_writer): the error log line
// goes out with the severity of its level, without its line feed, cut
// where the line has a NUL byte (nginx copies it with "%s") and to
// MaxMessage bytes with the header.
func (p *Peer) WriteLog(now time.Time, lv errlog.Level, line []byte, chain *errlog.Chain) {
	sev := max(int(lv)-1, 0)
	var buf [MaxMessage]byte
	b := p.AppendHeader(buf[:0], now, sev)
	msg := bytes.TrimSuffix(line, []byte{'\n'})
	if i := bytes.IndexByte(msg, 0); i >= 0 {
		msg = msg[:i]
	}
	if room := MaxMessage - len(b); len(msg) > room {
		msg = msg[:room]
	}
	b = append(b, msg...)
	p.send(b, chain)
}

// Send sends one message (ngx_syslog_send), connecting first when the peer
// has no socket. It reports the bytes sent; an error means the message was
// not sent (EAGAIN when the socket could not take it at once, ErrClosed
// after Close). Failures other than EAGAIN and ErrClosed are logged, and a
// failed send closes the socket.
func (p *Peer) Send(b []byte) (int, error) { return p.send(b, nil) }

func (p *Peer) send(b []byte, chain *errlog.Chain) (int, error) {
	p.mu.RLock()
	// (again when another sender's failure closed the new socket meanwhile)
	for p.fd < 0 {
		p.mu.RUnlock()
		if err := p.connect(chain); err != nil {
			return 0, err
		}
		p.mu.RLock()
	}
	fd, gen := p.fd, p.gen
	var (
		n   int
		err error
	)
	for {
		n, err = syscall.Write(fd, b)
		if err != syscall.EINTR {
			break
		}
	}
	p.mu.RUnlock()
	if err == nil {
		return n, nil
	}
	if err == syscall.EAGAIN {
		return 0, err
	}
	self := &errlog.Chain{W: p, Next: chain}
	p.log.LogfChain(self, sendErrorLevel(err), p, err, "send() failed")
	p.mu.Lock()
	var closeErr error
	if p.gen == gen && p.fd >= 0 {
		closeErr = syscall.Close(p.fd)
		p.fd = -1
	}
	p.mu.Unlock()
	if closeErr != nil {
		p.log.LogfChain(self, errlog.Alert, p, closeErr, "close() socket failed")
	}
	return 0, err
}

// sendErrorLevel is ngx_connection_error's level for a send error: error
// for the errors a peer causes, alert for the others.
func sendErrorLevel(err error) errlog.Level {
	switch err {
	case syscall.ECONNRESET, syscall.EPIPE, syscall.ENOTCONN, syscall.ETIMEDOUT, syscall.ECONNREFUSED,
		syscall.ENETDOWN, syscall.ENETUNREACH, syscall.EHOSTDOWN, syscall.EHOSTUNREACH:
		return errlog.Error
	}
	return errlog.Alert
}

// connect makes the socket (ngx_syslog_init_peer): a non-blocking datagram
// socket connected to the server.
func (p *Peer) connect(chain *errlog.Chain) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	if p.fd >= 0 {
		p.mu.Unlock()
		return nil
	}
	fd, err := syscall.Socket(p.family, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		p.mu.Unlock()
		p.log.LogfChain(&errlog.Chain{W: p, Next: chain}, errlog.Alert, p, err, "socket() failed")
		return err
	}
	for {
		err = syscall.Connect(fd, p.sa)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		closeErr := syscall.Close(fd)
		p.mu.Unlock()
		self := &errlog.Chain{W: p, Next: chain}
		p.log.LogfChain(self, errlog.Alert, p, err, "connect() failed")
		if closeErr != nil {
			p.log.LogfChain(self, errlog.Alert, p, closeErr, "close() socket failed")
		}
		return err
	}
	p.fd = fd
	p.gen++
	p.mu.Unlock()
	return nil
}

// Close closes the socket (ngx_syslog_cleanup, when the configuration
// retires); messages sent afterwards are dropped.
func (p *Peer) Close() {
	p.mu.Lock()
	p.closed = true
	var err error
	if p.fd >= 0 {
		err = syscall.Close(p.fd)
		p.fd = -1
	}
	p.mu.Unlock()
	if err != nil {
		p.log.LogfChain(&errlog.Chain{W: p}, errlog.Alert, p, err, "close() socket failed")
	}
}

// Connected reports whether the peer has a socket (for tests).
func (p *Peer) Connected() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.fd >= 0
}

// LogConn implements errlog.Context: the peer's failures belong to no
// connection.
func (p *Peer) LogConn() uint64 { return 0 }

// AppendLogContext implements errlog.Context (ngx_syslog_log_error).
func (p *Peer) AppendLogContext(b []byte) []byte {
	b = append(b, " while logging to syslog, server: "...)
	return append(b, p.Server.Name...)
}
