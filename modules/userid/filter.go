package userid

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// ctx is a main request's identifiers (ngx_http_userid_ctx_t): computed
// once, by the first of the filter, $uid_got and $uid_set.
type ctx struct {
	got, set UID
	// cookie is the received cookie's value.
	cookie string
	reset  bool
}

// getUID returns the request's context, reading the cookie the first
// time (ngx_http_userid_get_uid).
func getUID(r *httpd.Request, lc *LocConf) *ctx {
	if c := httpd.Ctx[ctx](r, &self); c != nil {
		return c
	}
	c := &ctx{}
	httpd.SetCtx(r, &self, c)
	v, line, ok := r.CookieLine(lc.name.Get())
	if !ok {
		return c
	}
	c.cookie = v
	var res ParseResult
	c.got, res = ParseCookie(v)
	switch res {
	case TooShort:
		r.Log().Logf(errlog.Error, r, nil, "client sent too short userid cookie \"%s\"", line)
	case Invalid:
		r.Log().Logf(errlog.Error, r, nil, "client sent invalid userid cookie \"%s\"", line)
	}
	return c
}

// The identifier generators' state, per process as nginx's per worker.
var (
	seqMu sync.Mutex
	// seqV1 and seqV2 are nginx's sequencers; v2 never falls below its
	// start again after wrapping.
	seqV1 uint32 = 1
	seqV2 uint32 = seqV2Start
	// startValue is the most significant 16 bits of the start time's
	// microseconds over 20, and the process id.
	startValue = func() uint32 {
		return uint32(time.Now().Nanosecond()/1000/20)<<16 | uint32(os.Getpid())
	}()
)

const seqV2Start = 0x03030302

// createUID decides the identifier to set, if any
// (ngx_http_userid_create_uid): none when a valid cookie came (with the
// right mark) and $uid_reset is empty or "0"; the received one when only
// the mark is missing; else a new one.
func createUID(r *httpd.Request, c *ctx, lc *LocConf) httpd.Status {
	if c.set.Present() {
		return httpd.OK
	}
	if c.got.Present() {
		reset, ok := r.Var(lc.resetIndex)
		if !ok {
			return httpd.Error
		}
		if reset == "" || reset == "0" {
			mark := lc.mark.Get()
			if mark == 0 || len(c.cookie) > 23 && c.cookie[22] == mark && c.cookie[23] == '=' {
				return httpd.OK
			}
			c.set = c.got
			return httpd.OK
		}
		c.reset = true
		if reset == "log" {
			r.Log().Logf(errlog.Notice, r, nil, "userid cookie \"%s=%s\" was reset", lc.name.Get(), hexWords(&c.got))
		}
	}
	le, be := binary.LittleEndian, binary.BigEndian
	now := uint32(time.Now().Unix())
	if lc.mode.Get() == modeV1 {
		// v1 words are stored in the host's order (nginx's, little-endian)
		if lc.service.IsSet() {
			le.PutUint32(c.set[0:], uint32(lc.service.Get()))
		}
		le.PutUint32(c.set[4:], now)
		le.PutUint32(c.set[8:], startValue)
		seqMu.Lock()
		le.PutUint32(c.set[12:], seqV1)
		seqV1 += 0x100
		seqMu.Unlock()
		return httpd.OK
	}
	if lc.service.IsSet() {
		be.PutUint32(c.set[0:], uint32(lc.service.Get()))
	} else {
		serverAddress(r, c.set[0:4])
	}
	be.PutUint32(c.set[4:], now)
	be.PutUint32(c.set[8:], startValue)
	seqMu.Lock()
	be.PutUint32(c.set[12:], seqV2)
	seqV2 += 0x100
	if seqV2 < seqV2Start {
		seqV2 = seqV2Start
	}
	seqMu.Unlock()
	return httpd.OK
}

// serverAddress writes the local address's last four bytes (the IPv4
// address itself), or zeros on a unix socket.
func serverAddress(r *httpd.Request, b []byte) {
	v, _ := r.VarByName("server_addr")
	a, err := netip.ParseAddr(v)
	if err != nil {
		return // unix:
	}
	s := a.AsSlice()
	copy(b, s[len(s)-4:])
}

// hexWords formats the words as nginx's "%08XD" four times.
func hexWords(u *UID) string {
	return fmt.Sprintf("%08X%08X%08X%08X", u.Word(0), u.Word(1), u.Word(2), u.Word(3))
}

// headerFilter adds the cookie (ngx_http_userid_filter).
func headerFilter(r *httpd.Request) httpd.Status {
	if r != r.Main {
		return httpd.OK
	}
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil || lc.mode.Get() < modeV1 {
		return httpd.OK
	}
	c := getUID(r, lc)
	if rc := createUID(r, c, lc); rc != httpd.OK {
		return rc
	}
	if !c.set.Present() {
		return httpd.OK
	}
	r.Out.Add("Set-Cookie", setCookie(c, lc, time.Now().Unix()))
	if p := lc.p3p.Get(); p != "" {
		r.Out.Add("P3P", p)
	}
	return httpd.OK
}

// setCookie builds the Set-Cookie value (ngx_http_userid_set_uid): a new
// identifier is encoded; a received one only missing its mark is sent
// back as received, with the mark.
func setCookie(c *ctx, lc *LocConf, now int64) string {
	name, mark := lc.name.Get(), lc.mark.Get()
	b := make([]byte, 0, len(name)+1+encodedLen+len(maxExpiresAttr)+2+len(lc.domain.Get())+len(lc.path.Get())+48)
	b = append(b, name...)
	b = append(b, '=')
	if !c.got.Present() || c.reset {
		b = appendEncoded(b, &c.set, mark)
	} else {
		b = append(b, c.cookie[:cookieLen]...)
		b = append(b, mark, '=')
	}
	switch e := lc.expires.Get(); {
	case e == maxExpires:
		b = append(b, maxExpiresAttr...)
	case e != 0:
		b = append(b, "; expires="...)
		b = appendCookieTime(b, now+e)
	}
	b = append(b, lc.domain.Get()...)
	b = append(b, lc.path.Get()...)
	flags := lc.flags.Get()
	for _, f := range flagAttrs {
		if flags&f.bit != 0 {
			b = append(b, f.attr...)
		}
	}
	return string(b)
}
