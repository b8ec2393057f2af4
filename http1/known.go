package http1

import "github.com/sluicehq/sluice/internal/ascii"

// Header identifies a header name the server or the upstream framework
// handles specially. HeaderOther is every other name.
type Header uint8

// The well-known header names, request side and response side together.
const (
	HeaderOther Header = iota
	HeaderAcceptEncoding
	HeaderAcceptRanges
	HeaderAuthorization
	HeaderCacheControl
	HeaderConnection
	HeaderContentEncoding
	HeaderContentLength
	HeaderContentRange
	HeaderContentType
	HeaderCookie
	HeaderDate
	HeaderETag
	HeaderExpect
	HeaderExpires
	HeaderHost
	HeaderIfMatch
	HeaderIfModifiedSince
	HeaderIfNoneMatch
	HeaderIfRange
	HeaderIfUnmodifiedSince
	HeaderKeepAlive
	HeaderLastModified
	HeaderLink
	HeaderLocation
	HeaderProxyAuthorization
	HeaderProxyConnection
	HeaderRange
	HeaderReferer
	HeaderRefresh
	HeaderServer
	HeaderSetCookie
	HeaderTE
	HeaderTrailer
	HeaderTransferEncoding
	HeaderUpgrade
	HeaderUserAgent
	HeaderVary
	HeaderVia
	HeaderWWWAuthenticate
	HeaderXAccelBuffering
	HeaderXAccelCharset
	HeaderXAccelExpires
	HeaderXAccelLimitRate
	HeaderXAccelRedirect
	HeaderXForwardedFor
	HeaderXRealIP

	headerCount // number of Header values
)

// headerNames holds each Header's canonical spelling.
var headerNames = [headerCount]string{
	HeaderOther:              "",
	HeaderAcceptEncoding:     "Accept-Encoding",
	HeaderAcceptRanges:       "Accept-Ranges",
	HeaderAuthorization:      "Authorization",
	HeaderCacheControl:       "Cache-Control",
	HeaderConnection:         "Connection",
	HeaderContentEncoding:    "Content-Encoding",
	HeaderContentLength:      "Content-Length",
	HeaderContentRange:       "Content-Range",
	HeaderContentType:        "Content-Type",
	HeaderCookie:             "Cookie",
	HeaderDate:               "Date",
	HeaderETag:               "ETag",
	HeaderExpect:             "Expect",
	HeaderExpires:            "Expires",
	HeaderHost:               "Host",
	HeaderIfMatch:            "If-Match",
	HeaderIfModifiedSince:    "If-Modified-Since",
	HeaderIfNoneMatch:        "If-None-Match",
	HeaderIfRange:            "If-Range",
	HeaderIfUnmodifiedSince:  "If-Unmodified-Since",
	HeaderKeepAlive:          "Keep-Alive",
	HeaderLastModified:       "Last-Modified",
	HeaderLink:               "Link",
	HeaderLocation:           "Location",
	HeaderProxyAuthorization: "Proxy-Authorization",
	HeaderProxyConnection:    "Proxy-Connection",
	HeaderRange:              "Range",
	HeaderReferer:            "Referer",
	HeaderRefresh:            "Refresh",
	HeaderServer:             "Server",
	HeaderSetCookie:          "Set-Cookie",
	HeaderTE:                 "TE",
	HeaderTrailer:            "Trailer",
	HeaderTransferEncoding:   "Transfer-Encoding",
	HeaderUpgrade:            "Upgrade",
	HeaderUserAgent:          "User-Agent",
	HeaderVary:               "Vary",
	HeaderVia:                "Via",
	HeaderWWWAuthenticate:    "WWW-Authenticate",
	HeaderXAccelBuffering:    "X-Accel-Buffering",
	HeaderXAccelCharset:      "X-Accel-Charset",
	HeaderXAccelExpires:      "X-Accel-Expires",
	HeaderXAccelLimitRate:    "X-Accel-Limit-Rate",
	HeaderXAccelRedirect:     "X-Accel-Redirect",
	HeaderXForwardedFor:      "X-Forwarded-For",
	HeaderXRealIP:            "X-Real-IP",
}

// String returns the header's canonical spelling ("Content-Length"), or ""
// for HeaderOther.
func (h Header) String() string {
	if h < headerCount {
		return headerNames[h]
	}
	return ""
}

// maxKnownHeaderLen is the length of the longest well-known name.
const maxKnownHeaderLen = len("If-Unmodified-Since")

// LookupHeader returns the well-known Header for a header name, matched
// ignoring ASCII case, or HeaderOther. It does not allocate; passing the
// parser's LowerName saves the folding.
func LookupHeader(name []byte) Header {
	if len(name) == 0 || len(name) > maxKnownHeaderLen {
		return HeaderOther
	}
	var low [maxKnownHeaderLen]byte
	for i, c := range name {
		low[i] = ascii.Lower(c)
	}
	// A switch on a converted byte slice compiles to comparisons without
	// allocating.
	switch string(low[:len(name)]) {
	case "accept-encoding":
		return HeaderAcceptEncoding
	case "accept-ranges":
		return HeaderAcceptRanges
	case "authorization":
		return HeaderAuthorization
	case "cache-control":
		return HeaderCacheControl
	case "connection":
		return HeaderConnection
	case "content-encoding":
		return HeaderContentEncoding
	case "content-length":
		return HeaderContentLength
	case "content-range":
		return HeaderContentRange
	case "content-type":
		return HeaderContentType
	case "cookie":
		return HeaderCookie
	case "date":
		return HeaderDate
	case "etag":
		return HeaderETag
	case "expect":
		return HeaderExpect
	case "expires":
		return HeaderExpires
	case "host":
		return HeaderHost
	case "if-match":
		return HeaderIfMatch
	case "if-modified-since":
		return HeaderIfModifiedSince
	case "if-none-match":
		return HeaderIfNoneMatch
	case "if-range":
		return HeaderIfRange
	case "if-unmodified-since":
		return HeaderIfUnmodifiedSince
	case "keep-alive":
		return HeaderKeepAlive
	case "last-modified":
		return HeaderLastModified
	case "link":
		return HeaderLink
	case "location":
		return HeaderLocation
	case "proxy-authorization":
		return HeaderProxyAuthorization
	case "proxy-connection":
		return HeaderProxyConnection
	case "range":
		return HeaderRange
	case "referer":
		return HeaderReferer
	case "refresh":
		return HeaderRefresh
	case "server":
		return HeaderServer
	case "set-cookie":
		return HeaderSetCookie
	case "te":
		return HeaderTE
	case "trailer":
		return HeaderTrailer
	case "transfer-encoding":
		return HeaderTransferEncoding
	case "upgrade":
		return HeaderUpgrade
	case "user-agent":
		return HeaderUserAgent
	case "vary":
		return HeaderVary
	case "via":
		return HeaderVia
	case "www-authenticate":
		return HeaderWWWAuthenticate
	case "x-accel-buffering":
		return HeaderXAccelBuffering
	case "x-accel-charset":
		return HeaderXAccelCharset
	case "x-accel-expires":
		return HeaderXAccelExpires
	case "x-accel-limit-rate":
		return HeaderXAccelLimitRate
	case "x-accel-redirect":
		return HeaderXAccelRedirect
	case "x-forwarded-for":
		return HeaderXForwardedFor
	case "x-real-ip":
		return HeaderXRealIP
	}
	return HeaderOther
}
