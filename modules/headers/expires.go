package headers

import (
	"errors"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/bytesconv"
)

// expiresKind is what "expires" computes from (nginx's ngx_http_expires_t).
type expiresKind uint8

const (
	expiresOff expiresKind = iota
	expiresEpoch
	expiresMax
	expiresAccess
	expiresModified
	expiresDaily
	expiresUnset
)

// httpTimeLayout is the HTTP date format ("Thu, 01 Jan 1970 00:00:01 GMT").
const httpTimeLayout = "Mon, 02 Jan 2006 15:04:05 GMT"

// The fixed values of "expires epoch" and "expires max".
const (
	epochExpires = "Thu, 01 Jan 1970 00:00:01 GMT"
	maxExpires   = "Thu, 31 Dec 2037 23:55:55 GMT"
	maxAgeMax    = "max-age=315360000"
)

// parseExpires reads an expires value for kind (expiresAccess or
// expiresModified) as ngx_http_parse_expires: "epoch", "max" and "off"
// (not after "modified"), "@time" for a time of day, or a time, optionally
// signed. It returns the kind and the time in seconds, or nginx's message.
func parseExpires(v string, kind expiresKind) (expiresKind, int64, error) {
	if kind != expiresModified {
		switch v {
		case "epoch":
			return expiresEpoch, 0, nil
		case "max":
			return expiresMax, 0, nil
		case "off":
			return expiresOff, 0, nil
		}
	}
	minus := false
	switch {
	case len(v) > 0 && v[0] == '@':
		if kind == expiresModified {
			return kind, 0, errors.New("daily time cannot be used with \"modified\" parameter")
		}
		kind = expiresDaily
		v = v[1:]
	case len(v) > 0 && v[0] == '+':
		v = v[1:]
	case len(v) > 0 && v[0] == '-':
		v = v[1:]
		minus = true
	}
	t, ok := conf.ParseTime(v, true)
	if !ok {
		return kind, 0, conf.ErrInvalidValue
	}
	if kind == expiresDaily && t > 24*60*60 {
		return kind, 0, errors.New("daily time value must be less than 24 hours")
	}
	if minus {
		t = -t
	}
	return kind, t, nil
}

// setExpires is the "expires" directive (ngx_http_headers_expires).
func setExpires(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.expires != expiresUnset {
		return conf.ErrDuplicate
	}
	kind, v := expiresAccess, c.Arg(0)
	if len(c.Args) == 2 {
		if c.Arg(0) != "modified" {
			return conf.ErrInvalidValue
		}
		kind, v = expiresModified, c.Arg(1)
	}
	lc.expires = kind
	x, err := compileValue(c, v)
	if err != nil {
		return err
	}
	if _, lit := x.literal(); !lit {
		lc.expiresValue = x
		return nil
	}
	k, t, err := parseExpires(v, kind)
	if err != nil {
		return err
	}
	lc.expires, lc.expiresTime = k, t
	return nil
}

// applyExpires sets Expires and Cache-Control (ngx_http_set_expires).
func applyExpires(r *httpd.Request, lc *LocConf) {
	kind, t := lc.expires, lc.expiresTime
	if lc.expiresValue != nil {
		k, tt, err := parseExpires(lc.expiresValue.eval(r), kind)
		if err != nil || k == expiresOff {
			return
		}
		kind, t = k, tt
	}
	out := &r.Out
	if out.Expires < 0 {
		out.Expires = out.Add("Expires", "")
	}
	cc := out.CacheControl
	if cc < 0 {
		cc = out.Add("Cache-Control", "")
		out.CacheControl = cc
	} else {
		// only the first Cache-Control line stays, with the new value
		for i := range out.List {
			if i != cc && !out.List[i].Deleted && ascii.EqualFold(out.List[i].Key, "cache-control") {
				out.List[i].Deleted = true
			}
		}
		out.List[cc].Deleted = false
	}
	e := &out.List[out.Expires]
	e.Deleted = false
	ccv := &out.List[cc].Value
	switch {
	case kind == expiresEpoch:
		e.Value, *ccv = epochExpires, "no-cache"
		return
	case kind == expiresMax:
		e.Value, *ccv = maxExpires, maxAgeMax
		return
	case t == 0 && kind != expiresDaily:
		e.Value, *ccv = httpd.HTTPDate(), "max-age=0"
		return
	}
	now := time.Now().Unix()
	var maxAge int64
	switch {
	case kind == expiresDaily:
		t = nextTime(time.Now(), t)
		maxAge = t - now
	case kind == expiresAccess || out.LastModifiedTime == -1:
		maxAge = t
		t += now
	default:
		t += out.LastModifiedTime
		maxAge = t - now
	}
	b := r.Scratch()
	start := len(*b)
	*b = time.Unix(t, 0).UTC().AppendFormat(*b, httpTimeLayout)
	e.Value = bytesconv.String((*b)[start:])
	if lc.expiresTime < 0 || maxAge < 0 {
		*ccv = "no-cache"
		return
	}
	start = len(*b)
	*b = append(*b, "max-age="...)
	*b = strconv.AppendInt(*b, maxAge, 10)
	*ccv = bytesconv.String((*b)[start:])
}

// nextTime is the next moment, after now, at which the local time of day
// is sec seconds past midnight (ngx_next_time).
func nextTime(now time.Time, sec int64) int64 {
	y, m, d := now.Date()
	next := time.Date(y, m, d, int(sec/3600), int(sec%3600/60), int(sec%60), 0, now.Location())
	if next.Unix()-now.Unix() > 0 {
		return next.Unix()
	}
	return time.Date(y, m, d+1, int(sec/3600), int(sec%3600/60), int(sec%60), 0, now.Location()).Unix()
}
