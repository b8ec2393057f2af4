package upstream

import (
	"math"
	"strings"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/internal/ascii"
)

// AddHeader records a response header line parsed by the protocol and
// applies the framework's interpretation of it (the "handler" column of
// nginx's ngx_http_upstream_headers_in: Content-Length, Transfer-Encoding,
// Connection, Last-Modified ...). It returns false, after logging nginx's
// message, when the head is invalid because of this line; ProcessHeader
// then answers Invalid.
func (u *Upstream) AddHeader(key, value string) bool {
	in := &u.HeadersIn
	if uniqueHeader(key) {
		for i := range in.List {
			if h := &in.List[i]; !h.Deleted && ascii.EqualFold(h.Key, key) {
				u.Logf(errlog.Warn, nil, "upstream sent duplicate header line: \"%s: %s\", previous value: \"%s: %s\", ignored", key, value, h.Key, h.Value)
				return true
			}
		}
	}
	switch {
	case ascii.EqualFold(key, "Content-Length"):
		if prev, ok := in.Value("Content-Length"); ok {
			u.Logf(errlog.Error, nil, "upstream sent duplicate header line: \"%s: %s\", previous value: \"Content-Length: %s\"", key, value, prev)
			return false
		}
		if in.Chunked {
			u.Logf(errlog.Error, nil, "upstream sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time")
			return false
		}
		n, ok := atoi(value)
		if !ok {
			u.Logf(errlog.Error, nil, "upstream sent invalid \"Content-Length\" header: \"%s: %s\"", key, value)
			return false
		}
		in.ContentLengthN = n
	case ascii.EqualFold(key, "Transfer-Encoding"):
		if prev, ok := in.Value("Transfer-Encoding"); ok {
			u.Logf(errlog.Error, nil, "upstream sent duplicate header line: \"%s: %s\", previous value: \"Transfer-Encoding: %s\"", key, value, prev)
			return false
		}
		if in.ContentLengthN >= 0 {
			u.Logf(errlog.Error, nil, "upstream sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time")
			return false
		}
		if !ascii.EqualFold(value, "chunked") {
			u.Logf(errlog.Error, nil, "upstream sent unknown \"Transfer-Encoding\": \"%s\"", value)
			return false
		}
		in.Chunked = true
	case ascii.EqualFold(key, "Connection"):
		if ascii.ContainsFold(value, "close") {
			in.ConnectionClose = true
		}
	case ascii.EqualFold(key, "Last-Modified"):
		in.LastModifiedTime = http1.ParseHTTPTime(value)
	case len(key) > 8 && ascii.EqualFold(key[:8], "X-Accel-"):
		u.accelHeader(key[8:], value)
	}
	in.Add(key, value)
	return true
}

// accelHeader applies an X-Accel-Charset, X-Accel-Buffering or
// X-Accel-Limit-Rate line as nginx does, while the head is read and
// whether the field is then hidden or not (ngx_http_upstream_process_charset,
// _buffering, _limit_rate): what it set stays should the head turn out
// invalid (the 502 page has the charset) or the request go on to another
// peer.
func (u *Upstream) accelHeader(name, value string) {
	r := u.R
	if r == nil || u.Conf == nil {
		return
	}
	ign := u.Conf.IgnoreHeaders.Get()
	switch {
	case ascii.EqualFold(name, "Charset"):
		if ign&IgnXAccelCharset == 0 {
			// a copy: the head's buffer takes the next peer's head
			r.Out.OverrideCharset = strings.Clone(value)
		}
	case ascii.EqualFold(name, "Buffering"):
		if ign&IgnXAccelBuffering == 0 && u.Conf.ChangeBuffering {
			switch ascii.ToLower(value) {
			case "yes":
				u.Buffering = true
			case "no":
				u.Buffering = false
			}
		}
	case ascii.EqualFold(name, "Limit-Rate"):
		if ign&IgnXAccelLimitRate == 0 {
			if n, ok := atoi(value); ok {
				r.SetLimitRate(n)
			}
		}
	}
}

// uniqueHeader reports whether nginx keeps only the first line of the
// response header key, logging and ignoring the others
// (ngx_http_upstream_process_header_line, _last_modified, _expires,
// _accel_expires and _limit_rate, nginx 1.23.0 on): the header then keeps
// its first value for the client, the cache's validity and the framework.
func uniqueHeader(key string) bool {
	switch len(key) {
	case 4:
		return ascii.EqualFold(key, "Date") || ascii.EqualFold(key, "ETag")
	case 6:
		return ascii.EqualFold(key, "Status") || ascii.EqualFold(key, "Server")
	case 7:
		return ascii.EqualFold(key, "Expires") || ascii.EqualFold(key, "Refresh")
	case 8:
		return ascii.EqualFold(key, "Location")
	case 12:
		return ascii.EqualFold(key, "Content-Type")
	case 13:
		return ascii.EqualFold(key, "Last-Modified")
	case 15:
		return ascii.EqualFold(key, "X-Accel-Expires")
	case 16:
		return ascii.EqualFold(key, "X-Accel-Redirect")
	case 18:
		return ascii.EqualFold(key, "X-Accel-Limit-Rate")
	}
	return false
}

// atoi parses s as ngx_atoi does: one or more decimal digits and nothing
// else (no sign, no space), within int64.
func atoi(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		d := int64(s[i]) - '0'
		if d < 0 || d > 9 || n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}
