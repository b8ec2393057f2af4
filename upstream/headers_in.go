package upstream

import (
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/errlog"
)

// AddHeader records a response header line parsed by the protocol and
// applies the framework's interpretation of it (the "handler" column of
// nginx's ngx_http_upstream_headers_in: Content-Length, Transfer-Encoding,
// Connection, Last-Modified ...). It returns false, after logging nginx's
// message, when the head is invalid because of this line; ProcessHeader
// then answers Invalid.
func (u *Upstream) AddHeader(key, value string) bool {
	in := &u.HeadersIn
	switch {
	case equalFold(key, "Content-Length"):
		if prev, ok := in.Value("Content-Length"); ok {
			u.Logf(errlog.Error, nil, "upstream sent duplicate header line: \"%s: %s\", previous value: \"Content-Length: %s\"", key, value, prev)
			return false
		}
		if in.Chunked {
			u.Logf(errlog.Error, nil, "upstream sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time")
			return false
		}
		n, ok := parseDecimal(value)
		if !ok || !allDigits(value) {
			u.Logf(errlog.Error, nil, "upstream sent invalid \"Content-Length\" header: \"%s: %s\"", key, value)
			return false
		}
		in.ContentLengthN = n
	case equalFold(key, "Transfer-Encoding"):
		if prev, ok := in.Value("Transfer-Encoding"); ok {
			u.Logf(errlog.Error, nil, "upstream sent duplicate header line: \"%s: %s\", previous value: \"Transfer-Encoding: %s\"", key, value, prev)
			return false
		}
		if in.ContentLengthN >= 0 {
			u.Logf(errlog.Error, nil, "upstream sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time")
			return false
		}
		if !equalFold(value, "chunked") {
			u.Logf(errlog.Error, nil, "upstream sent unknown \"Transfer-Encoding\": \"%s\"", value)
			return false
		}
		in.Chunked = true
	case equalFold(key, "Connection"):
		if strings.Contains(strings.ToLower(value), "close") {
			in.ConnectionClose = true
		}
	case equalFold(key, "Last-Modified"):
		if t, err := http.ParseTime(value); err == nil {
			in.LastModifiedTime = t.Unix()
		}
	}
	in.Add(key, value)
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
