package http1

// EscapeMode selects which bytes Escape encodes; the modes and their byte
// sets are those of nginx's ngx_escape_uri.
type EscapeMode uint8

const (
	// EscapeURI encodes what may not appear in a URI path: controls,
	// space, DEL, bytes >= 0x80 and " # % < > ? \ ^ ` { | }.
	EscapeURI EscapeMode = iota
	// EscapeArgs encodes what EscapeURI does plus & + ; (a query value).
	EscapeArgs
	// EscapeURIComponent keeps only letters, digits and - . _ ~.
	EscapeURIComponent
	// EscapeHTMLAttr encodes what EscapeURI does plus ' but keeps '?'
	// (nginx's NGX_ESCAPE_HTML, for URIs placed in HTML attributes).
	EscapeHTMLAttr
	// EscapeRefresh encodes controls, space, DEL, bytes >= 0x80 and
	// " ' < > \ ^ ` { | ~ (nginx's table keeps '}' and encodes '~').
	EscapeRefresh
	// EscapeMemcached encodes controls, space and '%' only (memcached
	// keys).
	EscapeMemcached
	// EscapeMailAuth is the same set as EscapeMemcached.
	EscapeMailAuth
	// EscapeMailXtext encodes controls, space, DEL, bytes >= 0x80, '+' and
	// '=' with a '+' prefix instead of '%' (RFC 3461 xtext).
	EscapeMailXtext
)

// escapeSet builds a table marking the bytes a mode encodes: the listed
// printable bytes, the controls, and when highAndDel is set, DEL and every
// byte >= 0x80.
func escapeSet(printable string, highAndDel bool) (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	for i := 0; i < len(printable); i++ {
		t[printable[i]] = true
	}
	if highAndDel {
		for c := 0x7f; c < 256; c++ {
			t[c] = true
		}
	}
	return t
}

var escapeSets = [...][256]bool{
	EscapeURI:          escapeSet(` "#%<>?\^`+"`{|}", true),
	EscapeArgs:         escapeSet(` "#%&+;<>?\^`+"`{|}", true),
	EscapeURIComponent: escapeSet(` !"#$%&'()*+,/:;<=>?@[\]^`+"`{|}", true),
	EscapeHTMLAttr:     escapeSet(` "#%'<>\^`+"`{|}", true),
	EscapeRefresh:      escapeSet(` "'<>\^`+"`{|~", true),
	EscapeMemcached:    escapeSet(` %`, false),
	EscapeMailAuth:     escapeSet(` %`, false),
	EscapeMailXtext:    escapeSet(` +=`, true),
}

const upperHex = "0123456789ABCDEF"

// EscapeCount returns how many bytes of src Escape would encode in mode;
// the escaped form is len(src) + 2*EscapeCount(src, mode) bytes long.
func EscapeCount(src []byte, mode EscapeMode) int {
	set := &escapeSets[mode]
	n := 0
	for _, c := range src {
		if set[c] {
			n++
		}
	}
	return n
}

// Escape appends src to dst with the bytes selected by mode encoded as
// %XX (uppercase hex; +XX for EscapeMailXtext) and returns the extended
// buffer, like nginx's ngx_escape_uri.
func Escape(dst, src []byte, mode EscapeMode) []byte {
	set := &escapeSets[mode]
	prefix := byte('%')
	if mode == EscapeMailXtext {
		prefix = '+'
	}
	for _, c := range src {
		if set[c] {
			dst = append(dst, prefix, upperHex[c>>4], upperHex[c&0xf])
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// EscapeHTML appends src to dst with < > & " replaced by their HTML
// entities, like nginx's ngx_escape_html, and returns the extended buffer.
func EscapeHTML(dst, src []byte) []byte {
	for _, c := range src {
		switch c {
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		case '&':
			dst = append(dst, "&amp;"...)
		case '"':
			dst = append(dst, "&quot;"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// EscapeHTMLLen returns the length of EscapeHTML's output for src.
func EscapeHTMLLen(src []byte) int {
	n := len(src)
	for _, c := range src {
		switch c {
		case '<', '>':
			n += 3
		case '&':
			n += 4
		case '"':
			n += 5
		}
	}
	return n
}

// UnescapeMode selects how Unescape treats '?' and some decoded bytes; the
// modes are those of nginx's ngx_unescape_uri.
type UnescapeMode uint8

const (
	// UnescapePlain decodes every valid %XX (nginx's type 0).
	UnescapePlain UnescapeMode = 0
	// UnescapeURI stops after a literal '?' or a decoded "%3F"
	// (NGX_UNESCAPE_URI).
	UnescapeURI UnescapeMode = 1
	// UnescapeRedirect stops like UnescapeURI and leaves encoded every
	// escape that decodes to a byte <= '%' or >= DEL
	// (NGX_UNESCAPE_REDIRECT).
	UnescapeRedirect UnescapeMode = 2
)

// Unescape appends src to dst with %XX escapes decoded according to mode
// and returns the extended buffer and the number of bytes of src consumed
// (less than len(src) only when a URI or redirect mode stopped after a
// '?', which is copied). Output is never longer than input, so dst with
// spare capacity len(src) avoids allocation; dst may be src[:0] to decode
// in place.
//
// Like nginx: a '%' followed by a non-hex byte is dropped and that byte is
// kept; a '%' and hex digit followed by a non-hex byte are both dropped
// and the byte is consumed too; an escape cut off by the end of src is
// dropped.
func Unescape(dst, src []byte, mode UnescapeMode) ([]byte, int) {
	const (
		usual = iota
		quoted
		quotedSecond
	)
	uri := mode&UnescapeURI != 0
	redirect := mode&UnescapeRedirect != 0
	st := usual
	var decoded byte

	for i := 0; i < len(src); i++ {
		c := src[i]
		switch st {
		case usual:
			if c == '?' && (uri || redirect) {
				return append(dst, c), i + 1
			}
			if c == '%' {
				st = quoted
				continue
			}
			dst = append(dst, c)

		case quoted:
			if v, ok := hexVal(c); ok {
				decoded = v
				st = quotedSecond
				continue
			}
			st = usual
			dst = append(dst, c)

		case quotedSecond:
			st = usual
			v, ok := hexVal(c)
			if !ok {
				continue
			}
			ch := decoded<<4 | v
			letter := !isDigit(c)
			switch {
			case letter && ch == '?' && (uri || redirect):
				return append(dst, ch), i + 1
			case letter && uri:
				dst = append(dst, ch)
			case redirect && (ch <= '%' || ch >= 0x7f):
				dst = append(dst, '%', src[i-1], c)
			default:
				dst = append(dst, ch)
			}
		}
	}
	return dst, len(src)
}
