package http1

// cuState is ParseComplexURI's position in a path segment.
type cuState uint8

const (
	cuUsual cuState = iota
	cuSlash
	cuDot
	cuDotDot
	cuQuoted
	cuQuotedSecond
)

// ComplexURI describes the result of ParseComplexURI.
type ComplexURI struct {
	// Len is the length of the normalised path written to dst.
	Len int
	// ExtStart is the offset in dst just past the '.' that starts the
	// extension of the last segment (nginx's $exten is dst[ExtStart:Len]),
	// or -1.
	ExtStart int
	// ArgsStart and ArgsEnd delimit the query in src (after '?', before a
	// '#'), or are -1 when there is no query.
	ArgsStart, ArgsEnd int
	// QuotedURI is set when a %XX escape was decoded; PlusInURI when the
	// path has a '+', literal or decoded.
	QuotedURI, PlusInURI bool
}

// ComplexURIDstLen returns the length dst must have for ParseComplexURI to
// decode src: the decoded path is never longer than src plus the "/"
// added for an empty path.
func ComplexURIDstLen(src []byte) int { return len(src) + 1 }

// ParseComplexURI normalises a request target the way nginx's
// ngx_http_parse_complex_uri does, writing the path into dst. src is the
// unparsed URI, buf[URIStart:URIEnd] of a RequestLine that has ComplexURI,
// QuotedURI or EmptyPathInURI set; emptyPath is EmptyPathInURI, and
// mergeSlashes is the merge_slashes directive (on by default). dst must be
// at least ComplexURIDstLen(src) long and must not overlap src.
//
// It decodes %XX escapes (a decoded '%', '#' or '?' is kept literally, a
// decoded NUL is an error), resolves "." and ".." segments (including
// escaped ones, and "%2F" acting as '/'), merges repeated slashes when
// asked, stops the path at '?' (query) or '#' (fragment), and returns
// InvalidRequest — nginx answers 400 — for a bad escape or a ".." above the
// root. Otherwise it returns OK.
func ParseComplexURI(dst, src []byte, emptyPath, mergeSlashes bool) (ComplexURI, Result) {
	res := ComplexURI{ExtStart: -1, ArgsStart: -1, ArgsEnd: -1}
	if len(dst) < ComplexURIDstLen(src) {
		return res, Invalid
	}

	d := 0
	if emptyPath {
		dst[0] = '/'
		d = 1
	}

	var (
		st, qst = cuUsual, cuUsual
		decoded byte
		ch      byte
		redo    bool // ch holds a decoded byte still to be handled
		i       int
	)

	for {
		if !redo {
			if i == len(src) {
				break
			}
			ch = src[i]
			i++
		}
		redo = false

		switch st {
		case cuUsual:
			if plainURI[ch] {
				dst[d] = ch
				d++
				continue
			}
			switch ch {
			case '/':
				res.ExtStart = -1
				st = cuSlash
			case '%':
				qst, st = st, cuQuoted
				continue
			case '?':
				return res.args(d, src, i), OK
			case '#':
				return res.finish(d), OK
			case '.':
				res.ExtStart = d + 1
			case '+':
				res.PlusInURI = true
			}
			dst[d] = ch
			d++

		case cuSlash:
			if plainURI[ch] {
				st = cuUsual
				dst[d] = ch
				d++
				continue
			}
			switch ch {
			case '/':
				if mergeSlashes {
					continue
				}
			case '.':
				st = cuDot
			case '%':
				qst, st = st, cuQuoted
				continue
			case '?':
				return res.args(d, src, i), OK
			case '#':
				return res.finish(d), OK
			case '+':
				res.PlusInURI = true
				st = cuUsual
			default:
				st = cuUsual
			}
			dst[d] = ch
			d++

		case cuDot:
			if plainURI[ch] {
				st = cuUsual
				dst[d] = ch
				d++
				continue
			}
			switch ch {
			case '/':
				// "/./": drop the dot, keep the slash already written.
				st = cuSlash
				d--
				continue
			case '.':
				st = cuDotDot
			case '%':
				qst, st = st, cuQuoted
				continue
			case '?':
				return res.args(d-1, src, i), OK
			case '#':
				return res.finish(d - 1), OK
			case '+':
				res.PlusInURI = true
				st = cuUsual
			default:
				st = cuUsual
			}
			dst[d] = ch
			d++

		case cuDotDot:
			if plainURI[ch] {
				st = cuUsual
				dst[d] = ch
				d++
				continue
			}
			switch ch {
			case '/', '?', '#':
				var ok bool
				if d, ok = upOneSegment(dst, d); !ok {
					return res, InvalidRequest
				}
				switch ch {
				case '?':
					return res.args(d, src, i), OK
				case '#':
					return res.finish(d), OK
				}
				st = cuSlash
				continue
			case '%':
				qst, st = st, cuQuoted
				continue
			case '+':
				res.PlusInURI = true
			}
			st = cuUsual
			dst[d] = ch
			d++

		case cuQuoted:
			res.QuotedURI = true
			v, ok := hexVal(ch)
			if !ok {
				return res, InvalidRequest
			}
			decoded = v
			st = cuQuotedSecond

		case cuQuotedSecond:
			v, ok := hexVal(ch)
			if !ok {
				return res, InvalidRequest
			}
			ch = decoded<<4 | v
			switch ch {
			case '%', '#', '?':
				// Kept as data, never re-read as syntax.
				st = cuUsual
				dst[d] = ch
				d++
				continue
			case 0:
				return res, InvalidRequest
			case '+':
				res.PlusInURI = true
			}
			st = qst
			redo = true
		}
	}

	switch st {
	case cuQuoted, cuQuotedSecond:
		return res, InvalidRequest
	case cuDot:
		d--
	case cuDotDot:
		var ok bool
		if d, ok = upOneSegment(dst, d); !ok {
			return res, InvalidRequest
		}
	}
	return res.finish(d), OK
}

// upOneSegment removes a trailing "/.." and the segment before it from
// dst[:d], keeping the slash that precedes that segment. It fails when
// there is no segment left to remove.
func upOneSegment(dst []byte, d int) (int, bool) {
	d -= 4
	for ; d >= 0; d-- {
		if dst[d] == '/' {
			return d + 1, true
		}
	}
	return 0, false
}

// finish records the path length d.
func (r ComplexURI) finish(d int) ComplexURI {
	r.Len = d
	if r.ExtStart > d {
		r.ExtStart = -1
	}
	return r
}

// args records the path length d and the query that starts at src[i].
func (r ComplexURI) args(d int, src []byte, i int) ComplexURI {
	r = r.finish(d)
	r.ArgsStart = i
	r.ArgsEnd = len(src)
	for j := i; j < len(src); j++ {
		if src[j] == '#' {
			r.ArgsEnd = j
			break
		}
	}
	return r
}

// URIInfo describes a request target checked by ParseURI. Offsets are into
// the slice given to ParseURI.
type URIInfo struct {
	// ArgsStart is just past the first '?', or -1.
	ArgsStart int
	// ExtStart is just past the last '.' of the last path segment, or -1.
	ExtStart int
	// ComplexURI, QuotedURI and PlusInURI have the meaning they have in
	// RequestLine.
	ComplexURI, QuotedURI, PlusInURI bool
}

// ParseURI checks a request target that arrived outside a request line
// (HTTP/2 and HTTP/3 ":path") the way nginx's ngx_http_parse_uri does: it
// must start with '/' and contain no control byte, space or DEL. It
// returns OK or Invalid, and the same flags and offsets the request-line
// parser records.
func ParseURI(uri []byte) (URIInfo, Result) {
	info := URIInfo{ArgsStart: -1, ExtStart: -1}
	if len(uri) == 0 || uri[0] != '/' {
		return info, Invalid
	}
	st := rlAfterSlashInURI
	for i := 1; i < len(uri); i++ {
		c := uri[i]
		if plainURI[c] {
			if st == rlAfterSlashInURI {
				st = rlCheckURI
			}
			continue
		}
		if c <= ' ' || c == 0x7f {
			return info, Invalid
		}
		switch st {
		case rlAfterSlashInURI, rlCheckURI:
			switch c {
			case '/':
				if st == rlAfterSlashInURI {
					info.ComplexURI = true
					st = rlURI
				} else {
					info.ExtStart = -1
					st = rlAfterSlashInURI
				}
			case '.':
				if st == rlAfterSlashInURI {
					info.ComplexURI = true
					st = rlURI
				} else {
					info.ExtStart = i + 1
				}
			case '%':
				info.QuotedURI = true
				st = rlURI
			case '?':
				info.ArgsStart = i + 1
				st = rlURI
			case '#':
				info.ComplexURI = true
				st = rlURI
			case '+':
				info.PlusInURI = true
			}
		case rlURI:
			if c == '#' {
				info.ComplexURI = true
			}
		}
	}
	return info, OK
}

// ParseUnsafeURI checks a URI that a module or an upstream supplies for an
// internal redirect (X-Accel-Redirect, SSI include, DAV Destination) the
// way nginx's ngx_http_parse_unsafe_uri does. It splits off the query at
// the first '?', and rejects an empty URI, one that starts with '?', a NUL
// byte, and a ".." segment at the start or after a '/' (before the query).
// When the path has '%' it is decoded (ngx_unescape_uri, mode 0) into dst,
// which is appended to — pass dst with capacity len(uri) to avoid
// allocating — and the decoded path is checked again.
//
// It returns the path (a slice of uri, or of the grown dst when decoded),
// the query (nil when there is none) and whether the URI is safe. nginx
// logs an unsafe URI as: unsafe URI "<uri>" was detected.
func ParseUnsafeURI(dst, uri []byte) (path, args []byte, ok bool) {
	if len(uri) == 0 || uri[0] == '?' || dotDotAt(uri, 0) {
		return nil, nil, false
	}

	path = uri
	quoted := false
	for i, c := range uri {
		if c == '%' {
			quoted = true
			continue
		}
		if plainURI[c] {
			continue
		}
		if c == '?' {
			path, args = uri[:i], uri[i+1:]
			break
		}
		if c == 0 {
			return nil, nil, false
		}
		if c == '/' && dotDotAt(uri, i+1) {
			return nil, nil, false
		}
	}

	if !quoted {
		return path, args, true
	}

	start := len(dst)
	dst, _ = Unescape(dst, path, UnescapePlain)
	path = dst[start:]

	if dotDotAt(path, 0) {
		return nil, nil, false
	}
	for i, c := range path {
		if c == 0 || c == '/' && dotDotAt(path, i+1) {
			return nil, nil, false
		}
	}
	return path, args, true
}

// dotDotAt reports whether s has a ".." segment at offset i: ".." followed
// by the end of s or by '/'.
func dotDotAt(s []byte, i int) bool {
	return len(s)-i >= 2 && s[i] == '.' && s[i+1] == '.' &&
		(len(s)-i == 2 || s[i+2] == '/')
}
