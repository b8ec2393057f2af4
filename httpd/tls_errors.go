package httpd

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/internal/tlsconf"
)

// opensslReasons maps Go's crypto/tls handshake errors to the OpenSSL
// reason nginx logs for the same client mistake (OpenSSL 3's
// "error:0A0000NN:SSL routines::reason"). Every one is a reason
// ngx_ssl_connection_error logs at the info level.
var opensslReasons = []struct {
	goText string // a substring of Go's error text
	code   int
	reason string
}{
	{"first record does not look like a TLS handshake", 0x10B, "wrong version number"},
	// a certificate named with variables could not be loaded (the ssl
	// module's GetCertificate; nginx's certificate callback failed)
	{ErrCertCallback.Error(), 0x179, "cert cb error"},
	{"unsupported SSLv2 handshake received", 0x102, "unsupported protocol"},
	{"client offered only unsupported versions", 0x102, "unsupported protocol"},
	{"no cipher suite supported by both client and server", 0xC1, "no shared cipher"},
	{"client requested unsupported application protocols", 0xEB, "no application protocol"},
	{"no ECDHE curve supported by both client and server", 0x65, "no suitable key share"},
	{"no supported elliptic curves offered", 0x65, "no suitable key share"},
	{"oversized record received", 0xC6, "packet length too long"},
	{"bad record MAC", 0x119, "decryption failed or bad record mac"},
	{"unexpected message", 0xF4, "unexpected message"},
	{"received unexpected handshake message", 0xF4, "unexpected message"},
	{"handshake message of length", 0x98, "excessive message size"},
	{"client didn't provide a certificate", 0xC7, "peer did not return a certificate"},
}

// opensslError renders a failed handshake's error as OpenSSL's error
// queue would show it, and the level nginx logs it at: info for what a
// client causes (every reason here), crit for the rest.
func opensslError(err error) (string, errlog.Level) {
	if n, t, ok := tlsconf.RemoteAlert(err); ok {
		if reason, ok := tlsconf.AlertReason(n); ok {
			return "error:0A" + hex6(1000+n) + ":SSL routines::" + reason, errlog.Info
		}
		return "error:0A000000:SSL routines::" + t, errlog.Info
	}
	text := err.Error()
	for _, r := range opensslReasons {
		if strings.Contains(text, r.goText) {
			return "error:0A" + hex6(r.code) + ":SSL routines::" + r.reason, errlog.Info
		}
	}
	// Go's own words: a malformed hello, an alert Go sent; a client's
	// doing as far as Go's errors tell
	return strings.TrimPrefix(strings.TrimPrefix(text, "local error: "), "tls: "), errlog.Info
}

// hex6 is n as six upper-case hex digits.
func hex6(n int) string {
	s := strings.ToUpper(strconv.FormatInt(int64(n), 16))
	return strings.Repeat("0", 6-len(s)) + s
}

// sysErrno returns the system error under a failed handshake, nil when
// the TLS layer failed.
func sysErrno(err error) error {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return nil
}

// tlsBufs are the buffers writeTLS gathers output in, by size.
var tlsBufs sync.Map // int -> *sync.Pool

func getTLSBuf(size int) *[]byte {
	p, ok := tlsBufs.Load(size)
	if !ok {
		p, _ = tlsBufs.LoadOrStore(size, &sync.Pool{New: func() any { b := make([]byte, size); return &b }})
	}
	return p.(*sync.Pool).Get().(*[]byte)
}

func putTLSBuf(b *[]byte) {
	if p, ok := tlsBufs.Load(cap(*b)); ok {
		p.(*sync.Pool).Put(b)
	}
}
