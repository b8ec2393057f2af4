package gzip

import (
	"time"

	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// gzip_proxied bits (nginx's NGX_HTTP_GZIP_PROXIED_*).
const (
	proxiedOff uint = 1 << (iota + 1)
	proxiedExpired
	proxiedNoCache
	proxiedNoStore
	proxiedPrivate
	proxiedNoLM
	proxiedNoETag
	proxiedAuth
	proxiedAny
)

// OK reports whether the response to r may be sent gzipped
// (ngx_http_gzip_ok): r is the main request, the client accepts gzip, it
// is not an old MSIE with "gzip_disable msie6", its HTTP version is at
// least gzip_http_version, a request that came through a proxy (with a
// Via header) is allowed by gzip_proxied given the response's headers (as
// they are when it is asked), and no gzip_disable expression matches its
// User-Agent. It reads the gzip directives of r's location, and records
// the answer in r.GzipTested and r.GzipOK for Tested.
func OK(r *httpd.Request) bool {
	r.GzipTested = true
	r.GzipOK = gzipOK(r)
	return r.GzipOK
}

// Tested is OK asked once per request, as nginx's filters ask it (with
// r->gzip_tested): the answer of whichever module asked first — gzip_static
// before the response has headers, or a filter after — holds for the
// others, until an internal redirect.
func Tested(r *httpd.Request) bool {
	if !r.GzipTested {
		return OK(r)
	}
	return r.GzipOK
}

// VaryOn reports whether gzip_vary is on in r's location: the gzip,
// gzip_static and gunzip modules then ask for "Vary: Accept-Encoding" on
// the responses whose encoding depends on the request (nginx's
// clcf->gzip_vary, with r->gzip_vary set by the module).
func VaryOn(r *httpd.Request) bool {
	return httpd.LocConf[LocConf](r, &self).Vary.Get()
}

func gzipOK(r *httpd.Request) bool {
	if r != r.Main || r.In.AcceptEncoding < 0 {
		return false
	}
	ae := r.In.Get(r.In.AcceptEncoding)
	if len(ae) < len("gzip") {
		return false
	}
	// the common "gzip, deflate" first, as nginx
	if !(len(ae) >= 5 && ae[:5] == "gzip,") && !acceptsGzip(ae) {
		return false
	}
	lc := httpd.LocConf[LocConf](r, &self)
	if r.In.MSIE6 && lc.disableMSIE6.Get() {
		return false
	}
	if r.HTTPVersion < lc.HTTPVersion.Get() {
		return false
	}
	if r.In.Via >= 0 && !proxiedOK(r, lc.Proxied.Get()) {
		return false
	}
	if ua := r.In.UserAgent; ua >= 0 {
		for _, re := range lc.disable.Get() {
			if re.MatchString(r.In.Get(ua)) {
				return false
			}
		}
	}
	return true
}

// proxiedOK applies gzip_proxied to a request with a Via header.
func proxiedOK(r *httpd.Request, p uint) bool {
	out := &r.Out
	switch {
	case p&proxiedOff != 0:
		return false
	case p&proxiedAny != 0:
		return true
	case r.In.Authorization >= 0 && p&proxiedAuth != 0:
		return true
	}
	if live(out, out.Expires) {
		if p&proxiedExpired == 0 {
			return false
		}
		expires := http1.ParseHTTPTime(out.Get(out.Expires))
		if expires == -1 {
			return false
		}
		date := time.Now().Unix()
		if live(out, out.Date) {
			if date = http1.ParseHTTPTime(out.Get(out.Date)); date == -1 {
				return false
			}
		}
		return expires < date
	}
	if live(out, out.CacheControl) {
		for _, want := range [...]struct {
			bit   uint
			token string
		}{{proxiedNoCache, "no-cache"}, {proxiedNoStore, "no-store"}, {proxiedPrivate, "private"}} {
			if p&want.bit != 0 && cacheControlHas(out, want.token) {
				return true
			}
		}
		return false
	}
	if p&proxiedNoLM != 0 && live(out, out.LastModified) {
		return false
	}
	if p&proxiedNoETag != 0 && live(out, out.ETag) {
		return false
	}
	return true
}

// live reports whether header i of the response is present.
func live(out *httpd.HeadersOut, i int) bool {
	return i >= 0 && i < len(out.List) && !out.List[i].Deleted
}

// cacheControlHas reports whether a Cache-Control line of the response
// lists token as a directive without a value
// (ngx_http_parse_multi_header_lines with no value wanted).
func cacheControlHas(out *httpd.HeadersOut, token string) bool {
	for i := range out.List {
		h := &out.List[i]
		if h.Deleted || !ascii.EqualFold(h.Key, "Cache-Control") {
			continue
		}
		if listHas(h.Value, token) {
			return true
		}
	}
	return false
}

// listHas finds token as an element of a comma-separated list: at the
// start or after a comma and blanks, compared ignoring case, followed by
// blanks and then a comma or the end.
func listHas(v, token string) bool {
	if len(token) > len(v) {
		return false
	}
	for s := 0; s < len(v); {
		if len(v)-s >= len(token) && ascii.EqualFold(v[s:s+len(token)], token) {
			e := s + len(token)
			for e < len(v) && v[e] == ' ' {
				e++
			}
			if e == len(v) || v[e] == ',' {
				return true
			}
		}
		for s < len(v) {
			c := v[s]
			s++
			if c == ',' {
				break
			}
		}
		for s < len(v) && v[s] == ' ' {
			s++
		}
	}
	return false
}

// acceptsGzip reads an Accept-Encoding value as nginx does
// (ngx_http_gzip_accept_encoding): "gzip" (any case) at the start or after
// a comma or a space, then blanks and a comma or the end, or a ";q="
// quality that is not zero. nginx's reading has quirks sluice keeps: only
// the first such "gzip" counts, and "gzip;" or "gzip; x" without a
// quality are accepted as they are.
func acceptsGzip(ae string) bool {
	p, start := -1, 0
	for {
		i := indexFold(ae[start:], "gzip")
		if i < 0 {
			return false
		}
		p = start + i
		if p == start || ae[p-1] == ',' || ae[p-1] == ' ' {
			break
		}
		start = p + 4
	}
	p += 4
	for p < len(ae) {
		c := ae[p]
		p++
		switch c {
		case ',':
			return true
		case ';':
			return quality(ae, p)
		case ' ':
		default:
			return false
		}
	}
	return true
}

// quality reads what follows "gzip;": blanks, then "q=" and a quality
// that must not be zero.
func quality(ae string, p int) bool {
	for p < len(ae) {
		c := ae[p]
		p++
		switch c {
		case 'q', 'Q':
			if p+2 > len(ae) || ae[p] != '=' {
				return false
			}
			return qvalue(ae[p+1:]) != 0
		case ' ':
		default:
			return false
		}
	}
	return true
}

// qvalue is nginx's ngx_http_gzip_quantity: "0" or "1", optionally a dot
// and at most three digits, ended by a comma, a space or the end; 0 for
// anything else. As in nginx the digits after the dot are summed, not
// scaled: any non-zero fraction of "0." counts, "1." allows only zeros.
func qvalue(s string) int {
	c := s[0]
	if c != '0' && c != '1' {
		return 0
	}
	q := int(c-'0') * 100
	if len(s) == 1 {
		return q
	}
	c = s[1]
	if c == ',' || c == ' ' {
		return q
	}
	if c != '.' {
		return 0
	}
	n := 0
	for _, c := range []byte(s[2:]) {
		if c == ',' || c == ' ' {
			break
		}
		if c < '0' || c > '9' {
			return 0
		}
		q += int(c - '0')
		n++
	}
	if q > 100 || n > 3 {
		return 0
	}
	return q
}

// indexFold is the index of the lower-case word w in s ignoring ASCII
// case, or -1.
func indexFold(s, w string) int {
	for i := 0; i+len(w) <= len(s); i++ {
		if ascii.EqualFold(s[i:i+len(w)], w) {
			return i
		}
	}
	return -1
}
