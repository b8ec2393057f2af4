package httpd

import "github.com/sluicehq/sluice/internal/ascii"

// Basic authorization credentials (ngx_http_auth_basic_user), shared by
// $remote_user and the auth_basic module.

// basicAuth is the request's decoded Basic credentials, once parsed
// (nginx's r->headers_in.user and passwd).
type basicAuth struct {
	parsed bool
	ok     bool
	user   string
	passwd string
}

// BasicUser returns the user name and password of the request's
// "Authorization: Basic" header (ngx_http_auth_basic_user): "Basic " in
// any case, spaces, then base64 decoded as nginx's ngx_decode_base64 does
// (it stops at the first "=", and does not check the padding), split at
// the first ":". ok is false when the header is absent, not Basic, empty,
// not base64, or has no ":" or an empty user name. The result is parsed
// once per request.
func (r *Request) BasicUser() (user, passwd string, ok bool) {
	if !r.basic.parsed {
		r.basic.parsed = true
		r.basic.user, r.basic.passwd, r.basic.ok = ParseBasic(r.In.Get(r.In.Authorization))
	}
	return r.basic.user, r.basic.passwd, r.basic.ok
}

// ParseBasic decodes an Authorization header value as BasicUser does.
func ParseBasic(v string) (user, passwd string, ok bool) {
	const prefix = "Basic "
	if len(v) < len(prefix) || !ascii.EqualFold(v[:len(prefix)], prefix) {
		return "", "", false
	}
	v = v[len(prefix):]
	for len(v) > 0 && v[0] == ' ' {
		v = v[1:]
	}
	if v == "" {
		return "", "", false
	}
	dec, ok := DecodeBase64(v)
	if !ok {
		return "", "", false
	}
	i := 0
	for i < len(dec) && dec[i] != ':' {
		i++
	}
	if i == 0 || i == len(dec) {
		return "", "", false
	}
	s := string(dec)
	return s[:i], s[i+1:], true
}

// base64Basis and base64URLBasis map the standard and the URL alphabets
// to their values, 77 elsewhere (nginx's basis64 tables).
var (
	base64Basis    = basis64("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
	base64URLBasis = basis64("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
)

func basis64(alphabet string) (b [256]byte) {
	for i := range b {
		b[i] = 77
	}
	for i := range len(alphabet) {
		b[alphabet[i]] = byte(i)
	}
	return b
}

// DecodeBase64 decodes standard base64 as nginx's ngx_decode_base64: the
// input ends at its first "=" (what follows is ignored), a character
// outside the alphabet before it fails, as does a length of 4n+1; the
// unused bits of the last character are not checked.
func DecodeBase64(s string) ([]byte, bool) { return decodeBase64(s, &base64Basis) }

// DecodeBase64URL is DecodeBase64 with the URL alphabet ("-" and "_"),
// nginx's ngx_decode_base64url.
func DecodeBase64URL(s string) ([]byte, bool) { return decodeBase64(s, &base64URLBasis) }

// decodeBase64 is ngx_decode_base64_internal: both decoders with their
// alphabet's table.
func decodeBase64(s string, b *[256]byte) ([]byte, bool) {
	n := 0
	for n < len(s) && s[n] != '=' {
		if b[s[n]] == 77 {
			return nil, false
		}
		n++
	}
	if n%4 == 1 {
		return nil, false
	}
	d := make([]byte, 0, n/4*3+2)
	for ; n > 3; n -= 4 {
		d = append(d, b[s[0]]<<2|b[s[1]]>>4, b[s[1]]<<4|b[s[2]]>>2, b[s[2]]<<6|b[s[3]])
		s = s[4:]
	}
	if n > 1 {
		d = append(d, b[s[0]]<<2|b[s[1]]>>4)
	}
	if n > 2 {
		d = append(d, b[s[1]]<<4|b[s[2]]>>2)
	}
	return d, true
}
