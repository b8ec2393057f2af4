package httpd

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/sluicehq/sluice/errlog"
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

// opensslAlerts are OpenSSL's names of the alerts a client may send,
// keyed by Go's text ("tls: " taken off), with the alert number
// (OpenSSL's reason is 1000 + the number).
var opensslAlerts = map[string]struct {
	n    int
	name string
}{
	"unexpected message":             {10, "sslv3 alert unexpected message"},
	"bad record MAC":                 {20, "sslv3 alert bad record mac"},
	"decryption failed":              {21, "tlsv1 alert decryption failed"},
	"record overflow":                {22, "tlsv1 alert record overflow"},
	"handshake failure":              {40, "sslv3 alert handshake failure"},
	"bad certificate":                {42, "sslv3 alert bad certificate"},
	"unsupported certificate":        {43, "sslv3 alert unsupported certificate"},
	"revoked certificate":            {44, "sslv3 alert certificate revoked"},
	"expired certificate":            {45, "sslv3 alert certificate expired"},
	"unknown certificate":            {46, "sslv3 alert certificate unknown"},
	"illegal parameter":              {47, "sslv3 alert illegal parameter"},
	"unknown certificate authority":  {48, "tlsv1 alert unknown ca"},
	"access denied":                  {49, "tlsv1 alert access denied"},
	"error decoding message":         {50, "tlsv1 alert decode error"},
	"error decrypting message":       {51, "tlsv1 alert decrypt error"},
	"protocol version not supported": {70, "tlsv1 alert protocol version"},
	"insufficient security level":    {71, "tlsv1 alert insufficient security"},
	"internal error":                 {80, "tlsv1 alert internal error"},
	"inappropriate fallback":         {86, "tlsv1 alert inappropriate fallback"},
	"user canceled":                  {90, "tlsv1 alert user cancelled"},
	"no renegotiation":               {100, "tlsv1 alert no renegotiation"},
	"unsupported extension":          {110, "tlsv1 unsupported extension"},
	"unrecognized name":              {112, "tlsv1 unrecognized name"},
	"no application protocol":        {120, "tlsv1 alert no application protocol"},
}

// opensslError renders a failed handshake's error as OpenSSL's error
// queue would show it, and the level nginx logs it at: info for what a
// client causes (every reason here), crit for the rest.
func opensslError(err error) (string, errlog.Level) {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "remote error" {
		t := strings.TrimPrefix(oe.Err.Error(), "tls: ")
		if a, ok := opensslAlerts[t]; ok {
			return "error:0A" + hex6(1000+a.n) + ":SSL routines::" + a.name, errlog.Info
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
