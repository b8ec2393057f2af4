package http1

import "testing"

// impliedStatus returns the status nginx (current master) answers a raw
// request with, as far as this package's parsers decide it, for a server
// with default settings (ignore_invalid_headers on, underscores_in_headers
// off, merge_slashes on, no allow of CONNECT) whose location answers
// `return 200`. 0 means nginx closes the connection without an answer
// because the request never completes. The checks after parsing mirror
// ngx_http_process_request_uri, ngx_http_process_request_headers and
// ngx_http_process_request_header, which the server package implements.
func impliedStatus(raw []byte) int {
	var rl RequestLine
	switch res := rl.Parse(raw); res {
	case OK:
	case NeedMore:
		return 0
	default:
		return res.Status()
	}
	if rl.ComplexURI || rl.QuotedURI || rl.EmptyPathInURI {
		src := raw[rl.URIStart:rl.URIEnd]
		if _, res := ParseComplexURI(make([]byte, ComplexURIDstLen(src)), src, rl.EmptyPathInURI, true); res != OK {
			return 400
		}
	}
	if rl.HostStart >= 0 {
		if _, _, ok := ValidateHost(nil, raw[rl.HostStart:rl.HostEnd]); !ok {
			return 400 // client sent invalid host in request line
		}
	}
	if rl.Version < 1000 {
		return 200
	}

	h := HeaderParser{Pos: rl.Pos}
	seen := map[Header][]byte{}
	unique := map[Header]bool{
		HeaderHost: true, HeaderIfModifiedSince: true, HeaderIfUnmodifiedSince: true,
		HeaderIfMatch: true, HeaderIfNoneMatch: true, HeaderContentLength: true,
		HeaderContentRange: true, HeaderIfRange: true, HeaderTransferEncoding: true,
		HeaderExpect: true, HeaderAuthorization: true, HeaderProxyAuthorization: true,
	}
headers:
	for {
		switch h.Parse(raw) {
		case OK:
			if h.Invalid {
				continue // client sent invalid header line (ignored)
			}
			name := LookupHeader(h.Name(raw))
			value := h.Value(raw)
			if _, dup := seen[name]; dup && unique[name] {
				return 400 // client sent duplicate header line
			}
			if name == HeaderHost {
				if _, _, ok := ValidateHost(nil, value); !ok {
					return 400 // client sent invalid host header
				}
			}
			if name != HeaderOther {
				seen[name] = value
			}
		case HeaderDone:
			break headers
		case NeedMore:
			return 0
		default:
			return 400
		}
	}

	if _, ok := seen[HeaderHost]; !ok && rl.Version > 1000 {
		return 400 // HTTP/1.1 request without "Host" header
	}
	cl, hasCL := seen[HeaderContentLength]
	if hasCL && !validContentLength(cl) {
		return 400
	}
	if te, ok := seen[HeaderTransferEncoding]; ok {
		if rl.Version < 1001 {
			return 400 // HTTP/1.0 request with "Transfer-Encoding"
		}
		if !equalFold(te, []byte("chunked")) {
			return 501 // unknown "Transfer-Encoding"
		}
		if hasCL {
			return 400 // "Content-Length" and "Transfer-Encoding"
		}
	}
	if rl.Method == MethodConnect || rl.Method == MethodTrace {
		return 405
	}
	if _, ok := seen[HeaderTransferEncoding]; ok {
		// `return` discards the body; a malformed chunked body that has
		// arrived by then turns the answer into 400. An incomplete one does
		// not: the answer goes out while nginx keeps discarding.
		c := Chunked{Pos: h.Pos}
		res := c.Parse(raw)
		for res == OK {
			res = c.Parse(raw)
		}
		if res == Invalid {
			return 400 // client sent invalid chunked body
		}
	}
	return 200
}

// validContentLength reports whether v is a Content-Length nginx accepts
// (ngx_atoof): one or more digits, no sign, fitting in 63 bits.
func validContentLength(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	var n int64
	for _, c := range v {
		if !isDigit(c) || n > (maxChunkSize-int64(c-'0'))/10 {
			return false
		}
		n = n*10 + int64(c-'0')
	}
	return true
}

func TestDifferentialNginx(t *testing.T) {
	addr := startNginx(t)
	tests := []struct {
		name string
		req  string
		want int // what our parsers imply (nginx master)
		// nginx122 is what Debian's nginx 1.22.1 answers when it differs
		// from current nginx; 0 means it does not differ.
		nginx122 int
		why      string
	}{
		{"simple", "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", 200, 0, ""},
		{"http10 no host", "GET / HTTP/1.0\r\n\r\n", 200, 0, ""},
		{"http09", "GET /\r\n", 200, 0, ""},
		{"http09 HEAD", "HEAD /\r\n", 400, 0, ""},
		{"bare LF", "GET / HTTP/1.1\nHost: a\n\n", 200, 0, ""},
		{"leading CRLF", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 200, 0, ""},
		{"unknown method", "FOO / HTTP/1.1\r\nHost: a\r\n\r\n", 200, 0, ""},
		{"lowercase method", "get / HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, ""},
		{"version 2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, 0, ""},
		{"version 10", "GET / HTTP/10.1\r\nHost: a\r\n\r\n", 505, 0, ""},
		{"version 0.9", "GET / HTTP/0.9\r\n\r\n", 400, 0, ""},
		{"minor too long", "GET / HTTP/1.1000\r\nHost: a\r\n\r\n", 400, 0, ""},
		{"space in uri", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, ""},
		{"control in uri", "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, ""},
		{"dot segments", "GET /a/./b//c/../d HTTP/1.1\r\nHost: a\r\n\r\n", 200, 0, ""},
		{"above root", "GET /../x HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, ""},
		{"escaped above root", "GET /a/%2e%2e/%2E%2E/x HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, ""},
		{"bad escape", "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, ""},
		{"escaped NUL", "GET /a%00 HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, ""},
		{"absolute", "GET http://localhost/x?y HTTP/1.1\r\nHost: a\r\n\r\n", 200, 0, ""},
		{"absolute bad host", "GET http://a..b/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, ""},
		{"absolute underscore host", "GET http://a_b/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, ""},
		{"no host http11", "GET / HTTP/1.1\r\n\r\n", 400, 0, ""},
		{"duplicate host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, 0, ""},
		{"bad host header", "GET / HTTP/1.1\r\nHost: a..b\r\n\r\n", 400, 0, ""},
		{"host port too big", "GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n", 400, 200,
			"1.22 did not check the port in ngx_http_validate_host"},
		{"NUL in header value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400, 0, ""},
		{"control in header value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n", 200, 0, ""},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n folded\r\n\r\n", 400, 0, ""},
		{"space in header name", "GET / HTTP/1.0\r\nX Y: 1\r\n\r\n", 400, 0, ""},
		{"underscore header ignored", "GET / HTTP/1.1\r\nHost: a\r\nX_Y: 1\r\n\r\n", 200, 0, ""},
		{"odd header ignored", "GET / HTTP/1.1\r\nHost: a\r\nX@Y: 1\r\n\r\n", 200, 0, ""},
		{"CR junk ends headers", "GET / HTTP/1.1\r\nHost: a\r\n\rX", 400, 0, ""},
		{"incomplete", "GET / HTTP/1.1\r\nHost: a\r\n", 0, 0, ""},
		{"CL and TE", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, 0, ""},
		{"TE case-insensitive", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked \r\n\r\n0\r\n\r\n", 200, 0, ""},
		{"TE unknown", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, 0, ""},
		{"TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, 0, ""},
		{"duplicate CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400, 0, ""},
		{"negative CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, 0, ""},
		{"chunked body", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: y\r\n\r\n", 200, 0, ""},
		{"chunked incomplete", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", 200, 0, ""},
		{"chunked bad size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, 0, ""},
		{"chunked size overflow", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 400, 0, ""},
		{"chunked bare LF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400, 200,
			"1.22 accepted a bare LF ending a chunk-size line"},
		{"TRACE", "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", 405, 0, ""},
		{"CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 405, 400,
			"1.22 had no CONNECT support and rejected the authority-form target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte(tt.req)
			if got := impliedStatus(raw); got != tt.want {
				t.Errorf("our parsers imply %d, want %d", got, tt.want)
			}
			oracle := tt.want
			if tt.nginx122 != 0 {
				oracle = tt.nginx122
			}
			if got := askNginx(t, addr, raw); got != oracle {
				t.Errorf("nginx 1.22.1 answered %d, expected %d", got, oracle)
			}
		})
	}
}
