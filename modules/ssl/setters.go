package ssl

import (
	"fmt"
	"strings"
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/internal/tlsconf"
)

// Session cache kinds of ssl_session_cache.
const (
	cacheNone = iota // "none": the default
	cacheOff
	cacheBuiltin
)

// sessionCache is what ssl_session_cache said: checked as nginx checks it
// and kept for -T; Go's crypto/tls has no session ID cache to configure.
type sessionCache struct {
	kind    int
	builtin int // builtin:N, -1 for builtin's default
	shared  string
	size    int64
}

// parseSessionCache parses the arguments of ssl_session_cache as
// ngx_http_ssl_session_cache does; the error is nginx's message.
func parseSessionCache(args []string) (sessionCache, error) {
	var sc sessionCache
	for _, a := range args {
		switch {
		case a == "off":
			sc.kind = cacheOff
			continue
		case a == "none":
			sc.kind = cacheNone
			continue
		case a == "builtin":
			sc.kind, sc.builtin = cacheBuiltin, -1
			continue
		case len(a) > len("builtin:") && strings.HasPrefix(a, "builtin:"):
			n, ok := conf.Atoi(a[len("builtin:"):])
			if !ok {
				return sc, fmt.Errorf("invalid session cache \"%s\"", a)
			}
			sc.kind, sc.builtin = cacheBuiltin, int(n)
			continue
		case len(a) > len("shared:") && strings.HasPrefix(a, "shared:"):
			rest := a[len("shared:"):]
			i := strings.IndexByte(rest, ':')
			if i <= 0 {
				return sc, fmt.Errorf("invalid session cache \"%s\"", a)
			}
			n, ok := conf.ParseSize(rest[i+1:])
			if !ok {
				return sc, fmt.Errorf("invalid session cache \"%s\"", a)
			}
			if n < 8*4096 {
				return sc, fmt.Errorf("session cache \"%s\" is too small", a)
			}
			sc.shared, sc.size = rest[:i], n
			if sc.kind == cacheNone {
				sc.kind = cacheOff // nginx: no builtin cache beside the shared one
			}
			continue
		}
		return sc, fmt.Errorf("invalid session cache \"%s\"", a)
	}
	return sc, nil
}

func setSessionCache(c *conf.Cmd) error {
	sc := c.Conf.(*SrvConf)
	v, err := parseSessionCache(c.Args)
	if err != nil {
		return c.Errorf("%s", err)
	}
	sc.sessionCache.Set(v)
	return nil
}

// setOCSPCache is ssl_ocsp_cache: off or shared:name:size, checked as
// ngx_http_ssl_ocsp_cache does.
func setOCSPCache(c *conf.Cmd) error {
	sc := c.Conf.(*SrvConf)
	if sc.ocspCacheZone.IsSet() {
		return conf.ErrDuplicate
	}
	a := c.Arg(0)
	if a == "off" {
		sc.ocspCacheZone.Set(cacheZone{})
		return nil
	}
	if len(a) <= len("shared:") || !strings.HasPrefix(a, "shared:") {
		return c.Errorf("invalid OCSP cache \"%s\"", a)
	}
	rest := a[len("shared:"):]
	i := strings.IndexByte(rest, ':')
	if i <= 0 {
		return c.Errorf("invalid OCSP cache \"%s\"", a)
	}
	n, ok := conf.ParseSize(rest[i+1:])
	if !ok {
		return c.Errorf("invalid OCSP cache \"%s\"", a)
	}
	if n < 8*4096 {
		return c.Errorf("OCSP cache \"%s\" is too small", a)
	}
	sc.ocspCacheZone.Set(cacheZone{name: rest[:i], size: n})
	return nil
}

// cacheZone is ssl_ocsp_cache's zone; no name is "off".
type cacheZone struct {
	name string
	size int64
}

// setCertificateCache is ssl_certificate_cache (nginx 1.27.4), checked as
// ngx_http_ssl_certificate_cache does.
func setCertificateCache(c *conf.Cmd) error {
	sc := c.Conf.(*SrvConf)
	if sc.certCache.IsSet() {
		return conf.ErrDuplicate
	}
	off, max := false, int64(0)
	valid, inactive := 60*time.Second, 10*time.Second
	for _, a := range c.Args {
		var ok bool
		var sec int64
		switch {
		case strings.HasPrefix(a, "max="):
			max, ok = conf.Atoi(a[4:])
			ok = ok && max > 0
		case strings.HasPrefix(a, "inactive="):
			sec, ok = conf.ParseTime(a[9:], true)
			inactive = time.Duration(sec) * time.Second
		case strings.HasPrefix(a, "valid="):
			sec, ok = conf.ParseTime(a[6:], true)
			valid = time.Duration(sec) * time.Second
		case a == "off":
			off, ok = true, true
		}
		if !ok {
			return c.Errorf("invalid parameter \"%s\"", a)
		}
	}
	if off {
		sc.certCache.Set(nil)
		return nil
	}
	if max == 0 {
		return c.Errorf("\"ssl_certificate_cache\" must have the \"max\" parameter")
	}
	// one cache for the servers that inherit the directive
	sc.certCache.Set(newCertCache(int(max), valid, inactive))
	return nil
}

// setPasswordFile is ssl_password_file: the file is read when the
// directive is, as nginx reads it.
func setPasswordFile(c *conf.Cmd) error {
	sc := c.Conf.(*SrvConf)
	if sc.passwords.IsSet() {
		return conf.ErrDuplicate
	}
	pw, err := tlsconf.ReadPasswords(c.Loader.FullName(c.Arg(0), true))
	if err != nil {
		return c.Errorf("%s", err)
	}
	sc.passwords.Set(pw)
	return nil
}
