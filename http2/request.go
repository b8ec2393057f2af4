package http2

import (
	"errors"
	"strconv"
	"strings"

	"golang.org/x/net/http2/hpack"
)

// Field is one decoded header field.
type Field struct{ Name, Value string }

// HeadError is a request HEADERS block nginx answers with 400 (or 494,
// Status): Text is its info-level error_log line. The block was still
// decoded whole, so the connection goes on.
type HeadError struct {
	Status int
	Text   string
	// Line is what the request line became before the error, for the
	// access log ("" when the pseudo-headers were not complete).
	Line string
}

func (e *HeadError) Error() string { return e.Text }

// Head is a request built from a HEADERS block: Text is the equivalent
// HTTP/1.1 request head ("METHOD path HTTP/1.1", then one line per regular
// field, the cookies joined into one line, :authority as Host when no host
// field came), which httpd parses with its HTTP/1 parser so that every
// rule of nginx's header processing applies alike; HasLength tells whether
// a content-length field came.
type Head struct {
	Text      []byte
	Method    string
	Path      string
	HasLength bool
	// Uncounted is how many lines of Text are not fields the client sent
	// as such (the Host made from :authority, the joined cookie line):
	// nginx does not count them against max_headers.
	Uncounted int
}

// HeadRules are the server's settings the checks depend on.
type HeadRules struct {
	// UnderscoresInHeaders and IgnoreInvalidHeaders are the core
	// directives of the same names.
	UnderscoresInHeaders bool
	IgnoreInvalidHeaders bool
	// Ignored is called for a field skipped as invalid (with
	// ignore_invalid_headers on), to log it.
	Ignored func(name string)
}

// BuildHead checks the decoded fields of a request as nginx does and
// builds its head into dst (reused). The pseudo-headers must come first,
// once each; :method, :scheme and :path are required.
func BuildHead(dst []byte, fields []Field, rules HeadRules) (Head, error) {
	var method, scheme, path, authority string
	var haveMethod, haveScheme, havePath, haveAuthority, regular bool
	line := func() string {
		if !haveMethod || !haveScheme || !havePath {
			return ""
		}
		return method + " " + path + " HTTP/2.0"
	}
	bad := func(text string) (Head, error) {
		return Head{}, &HeadError{Status: 400, Text: text, Line: line()}
	}
	for _, f := range fields {
		if f.Name == "" {
			return bad("client sent zero header name length")
		}
		invalid, err := checkName(f.Name, rules.UnderscoresInHeaders)
		if err != "" {
			return bad(err)
		}
		for i := 0; i < len(f.Value); i++ {
			if c := f.Value[i]; c == 0 || c == '\n' || c == '\r' {
				return bad("client sent header \"" + f.Name + "\" with invalid value: \"" + f.Value + "\"")
			}
		}
		if f.Name[0] != ':' {
			regular = true
			if invalid && rules.IgnoreInvalidHeaders {
				// checked once the pseudo-headers are complete
				continue
			}
			continue
		}
		if regular {
			return bad("client sent out of order pseudo-headers")
		}
		v := f.Value
		switch f.Name[1:] {
		case "method":
			if haveMethod {
				return bad("client sent duplicate :method header")
			}
			if v == "" {
				return bad("client sent empty :method header")
			}
			if !knownMethod(v) {
				for i := 0; i < len(v); i++ {
					if c := v[i]; (c < 'A' || c > 'Z') && c != '_' && c != '-' {
						return bad("client sent invalid method: \"" + v + "\"")
					}
				}
			}
			method, haveMethod = v, true
		case "scheme":
			if haveScheme {
				return bad("client sent duplicate :scheme header")
			}
			if v == "" {
				return bad("client sent empty :scheme header")
			}
			for i := 0; i < len(v); i++ {
				c := v[i]
				if l := c | 0x20; l >= 'a' && l <= 'z' {
					continue
				}
				if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') && i > 0 {
					continue
				}
				return bad("client sent invalid :scheme header: \"" + v + "\"")
			}
			scheme, haveScheme = v, true
		case "path":
			if havePath {
				return bad("client sent duplicate :path header")
			}
			if v == "" {
				return bad("client sent empty :path header")
			}
			if !validPath(v) {
				return bad("client sent invalid :path header: \"" + v + "\"")
			}
			path, havePath = v, true
		case "authority":
			if haveAuthority {
				return bad("client sent duplicate \":authority\" header")
			}
			authority, haveAuthority = v, true
		default:
			return bad("client sent unknown pseudo-header \"" + f.Name + "\"")
		}
	}
	switch {
	case !haveMethod:
		return bad("client sent no :method header")
	case !haveScheme:
		return bad("client sent no :scheme header")
	case !havePath:
		return bad("client sent no :path header")
	}
	_ = scheme
	if method == "CONNECT" {
		return Head{}, &HeadError{Status: 405, Text: "client sent CONNECT method", Line: line()}
	}
	if haveAuthority {
		for _, f := range fields {
			if f.Name == "host" && f.Value != authority {
				return bad("client sent \":authority\" and \"Host\" headers with different values")
			}
		}
	}
	b := append(dst[:0], method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\n"...)
	h := Head{Method: method, Path: path}
	haveHost := false
	cookies := -1
	for _, f := range fields {
		if f.Name[0] == ':' {
			continue
		}
		if invalid, _ := checkName(f.Name, rules.UnderscoresInHeaders); invalid && rules.IgnoreInvalidHeaders {
			if rules.Ignored != nil {
				rules.Ignored(f.Name)
			}
			continue
		}
		switch f.Name {
		case "cookie":
			if cookies < 0 {
				cookies = 0
			} else {
				cookies++
			}
			continue
		case "host":
			haveHost = true
		case "content-length":
			h.HasLength = true
		}
		b = appendLine(b, f.Name, f.Value)
	}
	if haveAuthority && !haveHost {
		b = appendLine(b, "host", authority)
		h.Uncounted++
	}
	if cookies >= 0 {
		h.Uncounted++
		b = append(b, "cookie: "...)
		first := true
		for _, f := range fields {
			if f.Name == "cookie" {
				if !first {
					b = append(b, "; "...)
				}
				b = append(b, f.Value...)
				first = false
			}
		}
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	h.Text = b
	return h, nil
}

func appendLine(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...)
}

// checkName checks a field name as ngx_http_v2_validate_header does: it
// returns an error text for a name nginx refuses (upper case, control
// characters, a colon past the first byte) and invalid for one that
// ignore_invalid_headers skips.
func checkName(name string, underscores bool) (invalid bool, err string) {
	i := 0
	if name[0] == ':' {
		i = 1
	}
	for ; i < len(name); i++ {
		c := name[i]
		if (c >= 'a' && c <= 'z') || c == '-' || (c >= '0' && c <= '9') || (c == '_' && underscores) {
			continue
		}
		if c <= 0x20 || c == 0x7f || c == ':' || (c >= 'A' && c <= 'Z') {
			return false, "client sent invalid header name: \"" + name + "\""
		}
		invalid = true
	}
	return invalid, ""
}

var methods = [...]string{"GET", "POST", "HEAD", "OPTIONS", "PROPFIND", "PUT", "MKCOL", "DELETE",
	"COPY", "MOVE", "PROPPATCH", "LOCK", "UNLOCK", "PATCH", "TRACE", "CONNECT"}

func knownMethod(m string) bool {
	for _, k := range methods {
		if k == m {
			return true
		}
	}
	return false
}

// validPath accepts what an HTTP/1 request line can carry as its target:
// no spaces, control characters or DEL, and no '#'-free check beyond what
// nginx's ngx_http_parse_uri refuses.
func validPath(p string) bool {
	if p[0] != '/' && p != "*" {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// StatusText is the :status value of a status code.
func StatusText(code int) string {
	if code >= 100 && code < 1000 {
		return strconv.Itoa(code)
	}
	return "000"
}

// HPACKError maps an error of the HPACK decoder to nginx's log text and
// connection error (ngx_http_v2_state_header_block and its helpers): a
// block that ends inside a field is a FRAME_SIZE_ERROR, a string longer
// than a header buffer ENHANCE_YOUR_CALM, anything else a
// COMPRESSION_ERROR.
func HPACKError(err error) (string, ErrCode) {
	if errors.Is(err, hpack.ErrStringLength) {
		return "client sent too large header field", EnhanceYourCalm
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "truncated"), strings.Contains(msg, "need more"):
		return "client sent header block with incorrect length", FrameSizeError
	case strings.Contains(msg, "varint integer overflow"):
		return "client sent header field with too long length value", CompressionError
	case strings.Contains(msg, "invalid indexed representation index"):
		return "client sent invalid hpack table index", CompressionError
	}
	return "client sent invalid encoded header field", CompressionError
}
