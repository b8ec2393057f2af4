package httpd

import (
	"strings"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/internal/ascii"
)

// Request header handling by name (nginx's ngx_http_headers_in table).

type headerKind uint8

const (
	hGeneric headerKind = iota
	hHost
	hConnection
	hUnique // a second occurrence is a 400
	hSingle // first occurrence remembered
	hUserAgent
	hProxyConnection
)

type headerSlot struct {
	kind headerKind
	slot func(h *HeadersIn) *int
}

var headersIn = map[string]headerSlot{
	"host":                {hHost, func(h *HeadersIn) *int { return &h.Host }},
	"connection":          {hConnection, func(h *HeadersIn) *int { return &h.Connection }},
	"if-modified-since":   {hUnique, func(h *HeadersIn) *int { return &h.IfModifiedSince }},
	"if-unmodified-since": {hUnique, func(h *HeadersIn) *int { return &h.IfUnmodifiedSince }},
	"if-match":            {hUnique, func(h *HeadersIn) *int { return &h.IfMatch }},
	"if-none-match":       {hUnique, func(h *HeadersIn) *int { return &h.IfNoneMatch }},
	"user-agent":          {hUserAgent, func(h *HeadersIn) *int { return &h.UserAgent }},
	"referer":             {hSingle, func(h *HeadersIn) *int { return &h.Referer }},
	"content-length":      {hUnique, func(h *HeadersIn) *int { return &h.ContentLength }},
	"content-range":       {hUnique, func(h *HeadersIn) *int { return &h.ContentRange }},
	"content-type":        {hSingle, func(h *HeadersIn) *int { return &h.ContentType }},
	"range":               {hSingle, func(h *HeadersIn) *int { return &h.Range }},
	"if-range":            {hUnique, func(h *HeadersIn) *int { return &h.IfRange }},
	"transfer-encoding":   {hUnique, func(h *HeadersIn) *int { return &h.TransferEncoding }},
	"te":                  {hSingle, func(h *HeadersIn) *int { return &h.TE }},
	"expect":              {hUnique, func(h *HeadersIn) *int { return &h.Expect }},
	"upgrade":             {hSingle, func(h *HeadersIn) *int { return &h.Upgrade }},
	"accept-encoding":     {hSingle, func(h *HeadersIn) *int { return &h.AcceptEncoding }},
	"via":                 {hSingle, func(h *HeadersIn) *int { return &h.Via }},
	"authorization":       {hUnique, func(h *HeadersIn) *int { return &h.Authorization }},
	"keep-alive":          {hSingle, func(h *HeadersIn) *int { return &h.KeepAlive }},
	"x-forwarded-for":     {hSingle, func(h *HeadersIn) *int { return &h.XForwardedFor }},
	"x-real-ip":           {hSingle, func(h *HeadersIn) *int { return &h.XRealIP }},
	"cookie":              {hSingle, func(h *HeadersIn) *int { return &h.Cookie }},
	"proxy-connection":    {hProxyConnection, nil},
}

// addHeader records one parsed header line and applies its handler; a
// non-OK status finalizes the request (ngx_http_process_request_headers).
func (r *Request) addHeader(key, lowKey, value string) Status {
	r.In.List = append(r.In.List, Header{Key: key, Value: value})
	i := len(r.In.List) - 1
	hs, ok := headersIn[lowKey]
	if !ok {
		return OK
	}
	switch hs.kind {
	case hHost:
		if r.In.Host >= 0 {
			r.Log().Logf(errlog.Info, r, nil, "client sent duplicate host header: \"%s: %s\", previous value: \"%s: %s\"",
				key, value, r.In.List[r.In.Host].Key, r.In.List[r.In.Host].Value)
			return 400
		}
		r.In.Host = i
		host, port, ok := validateHostPort(value)
		if !ok {
			r.Log().Logf(errlog.Info, r, nil, "client sent invalid host header")
			return 400
		}
		if r.In.Server != "" {
			return OK
		}
		r.setVirtualServer(host)
		r.In.Server, r.In.Port = host, port
	case hConnection:
		if r.In.Connection < 0 {
			r.In.Connection = i
		}
		switch {
		case ascii.ContainsFold(value, "close"):
			r.In.ConnectionType = ConnClose
		case ascii.ContainsFold(value, "keep-alive"):
			r.In.ConnectionType = ConnKeepAlive
		}
	case hUnique:
		p := hs.slot(&r.In)
		if *p >= 0 {
			r.Log().Logf(errlog.Info, r, nil, "client sent duplicate header line: \"%s: %s\", previous value: \"%s: %s\"",
				key, value, r.In.List[*p].Key, r.In.List[*p].Value)
			return 400
		}
		*p = i
	case hSingle:
		if p := hs.slot(&r.In); *p < 0 {
			*p = i
		}
	case hUserAgent:
		if r.In.UserAgent < 0 {
			r.In.UserAgent = i
		}
		r.sniffUserAgent(value)
	}
	return OK
}

// sniffUserAgent sets the browser flags nginx derives from User-Agent.
func (r *Request) sniffUserAgent(ua string) {
	if i := strings.Index(ua, "MSIE "); i >= 0 && i+7 < len(ua) {
		r.In.MSIE = true
		if ua[i+6] == '.' {
			switch ua[i+5] {
			case '4', '5':
				r.In.MSIE6 = true
			case '6':
				if !strings.Contains(ua[i+8:], "SV1") {
					r.In.MSIE6 = true
				}
			}
		}
	}
	if strings.Contains(ua, "Opera") {
		r.In.Opera, r.In.MSIE, r.In.MSIE6 = true, false, false
	}
	if !r.In.MSIE && !r.In.Opera {
		switch {
		case strings.Contains(ua, "Gecko/"):
			r.In.Gecko = true
		case strings.Contains(ua, "Chrome/"):
			r.In.Chrome = true
		case strings.Contains(ua, "Safari/") && strings.Contains(ua, "Mac OS X"):
			r.In.Safari = true
		case strings.Contains(ua, "Konqueror"):
			r.In.Konqueror = true
		}
	}
}

// processRequestHeader checks the complete head
// (ngx_http_process_request_header).
func (r *Request) processRequestHeader() Status {
	if r.In.Server == "" {
		r.setVirtualServer("")
	}
	if r.In.Host < 0 && r.HTTPVersion > 1000 {
		r.Log().Logf(errlog.Info, r, nil, "client sent HTTP/1.1 request without \"Host\" header")
		return 400
	}
	if r.In.ContentLength >= 0 {
		n, ok := parseOffset(r.In.Get(r.In.ContentLength))
		if !ok {
			r.Log().Logf(errlog.Info, r, nil, "client sent invalid \"Content-Length\" header")
			return 400
		}
		r.In.ContentLengthN = n
	}
	if r.In.TransferEncoding >= 0 {
		if r.HTTPVersion < 1001 {
			r.Log().Logf(errlog.Info, r, nil, "client sent HTTP/1.0 request with \"Transfer-Encoding\" header")
			return 400
		}
		te := r.In.Get(r.In.TransferEncoding)
		if !ascii.EqualFold(te, "chunked") {
			r.Log().Logf(errlog.Info, r, nil, "client sent unknown \"Transfer-Encoding\": \"%s\"", te)
			return 501
		}
		if r.In.ContentLength >= 0 {
			r.Log().Logf(errlog.Info, r, nil, "client sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time")
			return 400
		}
		r.In.Chunked = true
	}
	if r.In.ConnectionType == ConnKeepAlive && r.In.KeepAlive >= 0 {
		if n, ok := parseOffset(r.In.Get(r.In.KeepAlive)); ok {
			r.In.KeepAliveN = n
		}
	}
	if r.MethodBit == MethodCONNECT {
		r.Log().Logf(errlog.Info, r, nil, "client sent CONNECT method")
		return 405
	}
	if r.MethodBit == MethodTRACE {
		r.Log().Logf(errlog.Info, r, nil, "client sent TRACE method")
		return 405
	}
	return OK
}

// parseOffset parses a non-negative decimal (ngx_atoof).
func parseOffset(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// setVirtualServer picks the server for host among those of the
// connection's address (ngx_http_set_virtual_server).
func (r *Request) setVirtualServer(host string) {
	c := r.conn
	if c.tls != nil && c.tls.sniServer != nil {
		// the server the TLS handshake's name chose stays for that name;
		// another name that matches no server goes to the address's
		// default server, not to the handshake's
		if host == c.tls.sniHost {
			if c.tls.sniRegex != nil {
				r.RegexExec(c.tls.sniRegex, host)
			}
			return
		}
		s := c.addr.names.find(r, host)
		if s == nil {
			s = c.addr.def
		}
		if t := s.tls; t != nil && t.VerifyClient != VerifyOff {
			// answered 421 by the handshake's server once the head is
			// read (nginx answers at once)
			r.misdirected = true
			return
		}
		r.Srv = s
		r.Loc = s.Loc
		r.log = s.Loc.core.ErrorLog
		return
	}
	if s := c.addr.names.find(r, host); s != nil {
		r.Srv = s
		r.Loc = s.Loc
		r.log = s.Loc.core.ErrorLog
	}
}

// methodBitByName maps a method name to its bit (0 when unknown).
func methodBitByName(m string) uint32 {
	switch m {
	case "GET":
		return MethodGET
	case "HEAD":
		return MethodHEAD
	case "POST":
		return MethodPOST
	case "PUT":
		return MethodPUT
	case "DELETE":
		return MethodDELETE
	case "MKCOL":
		return MethodMKCOL
	case "COPY":
		return MethodCOPY
	case "MOVE":
		return MethodMOVE
	case "OPTIONS":
		return MethodOPTIONS
	case "PROPFIND":
		return MethodPROPFIND
	case "PROPPATCH":
		return MethodPROPPATCH
	case "LOCK":
		return MethodLOCK
	case "UNLOCK":
		return MethodUNLOCK
	case "PATCH":
		return MethodPATCH
	case "TRACE":
		return MethodTRACE
	case "CONNECT":
		return MethodCONNECT
	}
	return 0
}
