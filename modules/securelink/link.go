package securelink

import (
	"crypto/md5"
	"crypto/subtle"
	"time"

	"github.com/sluicehq/sluice/httpd"
)

// ctx keeps $secure_link_expires: the text after the comma once it parsed
// as a positive number (nginx sets it before checking the checksum).
type ctx struct {
	expires string
}

// variable is $secure_link (ngx_http_secure_link_variable).
func variable(r *httpd.Request, _ string, _ int) (string, bool) {
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil {
		return "", false
	}
	if lc.secretSet {
		return OldLink(r.UnparsedURI, lc.secret)
	}
	if lc.variable == nil || lc.md5 == nil {
		return "", false
	}
	link := lc.variable.Eval(r)
	hash, expires, expText, ok := ParseLink(link)
	if expText != "" {
		httpd.SetCtx(r, &self, &ctx{expires: expText})
	}
	if !ok {
		return "", false
	}
	sum := md5.Sum([]byte(lc.md5.Eval(r)))
	if subtle.ConstantTimeCompare(hash, sum[:]) != 1 {
		return "", false
	}
	if expires != 0 && expires < time.Now().Unix() {
		return "0", true
	}
	return "1", true
}

// expiresVariable is $secure_link_expires.
func expiresVariable(r *httpd.Request, _ string, _ int) (string, bool) {
	c := httpd.Ctx[ctx](r, &self)
	if c == nil {
		return "", false
	}
	return c.expires, true
}

// ParseLink reads a secure_link value "checksum[,expires]": the checksum
// is at most 24 characters of base64url (ngx_decode_base64url: it ends at
// the first '='), decoding to 16 bytes; expires, after the first comma, is
// decimal Unix time above 0 (ngx_atotm). expText is the text after the
// comma once expires parsed, set even when the checksum is bad, as nginx
// sets $secure_link_expires; ok reports a usable link.
func ParseLink(link string) (hash []byte, expires int64, expText string, ok bool) {
	val := link
	for i := 0; i < len(link); i++ {
		if link[i] == ',' {
			val = link[:i]
			e, good := atotm(link[i+1:])
			if !good || e <= 0 {
				return nil, 0, "", false
			}
			expires, expText = e, link[i+1:]
			break
		}
	}
	if len(val) > 24 {
		return nil, expires, expText, false
	}
	h, good := httpd.DecodeBase64URL(val)
	if !good || len(h) != 16 {
		return nil, expires, expText, false
	}
	return h, expires, expText, true
}

// maxTime is NGX_MAX_TIME_T_VALUE on 64-bit systems.
const maxTime = 1<<63 - 1

// atotm is ngx_atotm: decimal digits only, not empty, no overflow.
func atotm(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	const cutoff, cutlim = maxTime / 10, maxTime % 10
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if v >= cutoff && (v > cutoff || d > cutlim) {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// OldLink is secure_link_secret's $secure_link
// (ngx_http_secure_link_old_variable): in the request target as received,
// "/prefix/<32 hex digits>/link", the digits must be the MD5 of link
// (arguments included) followed by the secret; the value is link.
func OldLink(uri, secret string) (string, bool) {
	if len(uri) < 1 {
		return "", false
	}
	p := 1
	for p < len(uri) && uri[p] != '/' {
		p++
	}
	if p >= len(uri) {
		return "", false
	}
	start := p + 1
	p = start
	for p < len(uri) && uri[p] != '/' {
		p++
	}
	if p >= len(uri) {
		return "", false
	}
	end := p
	link := uri[p+1:]
	if end-start != 32 || link == "" {
		return "", false
	}
	h := md5.New()
	h.Write([]byte(link))
	h.Write([]byte(secret))
	var sum [16]byte
	h.Sum(sum[:0])
	var diff byte
	for i := range 16 {
		hi, ok1 := unhex(uri[start+2*i])
		lo, ok2 := unhex(uri[start+2*i+1])
		if !ok1 || !ok2 {
			return "", false
		}
		diff |= (hi<<4 | lo) ^ sum[i]
	}
	if diff != 0 {
		return "", false
	}
	return link, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
