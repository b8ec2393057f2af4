package referer

import (
	"strings"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/bytesconv"
)

// variable is $invalid_referer (ngx_http_referer_variable): "" when the
// Referer is valid, "1" when not.
func variable(r *httpd.Request, _ string, _ int) (string, bool) {
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil {
		return "", true
	}
	ref, present := "", r.In.Referer >= 0
	if present {
		ref = r.In.List[r.In.Referer].Value
	}
	if Valid(lc, ref, present, r) {
		return "", true
	}
	return "1", true
}

// Valid reports whether a Referer (present or not) is valid for lc. r, when
// not nil, runs the regular expressions (they set no captures).
func Valid(lc *LocConf, ref string, present bool, r *httpd.Request) bool {
	if (lc.built == nil || lc.built.Empty()) && lc.regex == nil && lc.serverNameRegex == nil {
		return true
	}
	if !present {
		return lc.noReferer.Get()
	}
	switch {
	case len(ref) >= len("http://i.ru") && ascii.EqualFold(ref[:7], "http://"):
		ref = ref[7:]
	case len(ref) >= len("http://i.ru") && ascii.EqualFold(ref[:8], "https://"):
		ref = ref[8:]
	default:
		return lc.blocked.Get()
	}
	var buf [256]byte
	i, p := 0, 0
	for ; p < len(ref); p++ {
		ch := ref[p]
		if ch == '/' || ch == ':' {
			break
		}
		if i == len(buf) {
			return false
		}
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
		i++
	}
	host := buf[:i]
	if lc.built != nil {
		if uri, ok := lc.built.Find(bytesconv.String(host)); ok {
			if uri == noURI {
				return true
			}
			for p < len(ref) && ref[p] != '/' {
				p++
			}
			return strings.HasPrefix(ref[p:], *uri)
		}
	}
	if len(lc.serverNameRegex) > 0 {
		h := string(host)
		for _, re := range lc.serverNameRegex {
			if re.MatchString(h) {
				return true
			}
		}
	}
	for _, re := range lc.regex {
		if re.MatchString(ref) {
			return true
		}
	}
	return false
}
