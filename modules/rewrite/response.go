package rewrite

import (
	"sync"

	"github.com/sluicehq/sluice/httpd"
)

// sendResponse answers with status and text (ngx_http_send_response): a
// redirect status gets text as its Location and the special response; any
// other status sends text as the body, typed by the URI's extension or
// default_type.
func sendResponse(r *httpd.Request, status int, eval func() string) httpd.Status {
	if rc := r.DiscardRequestBody(); rc != httpd.OK {
		return rc
	}
	text := eval()
	r.Out.Status = status
	switch status {
	case 301, 302, 303, 307, 308:
		r.Out.SetLocation(text)
		return httpd.Status(status)
	}
	r.Out.ContentLengthN = int64(len(text))
	r.SetContentType()
	rc := r.SendHeader()
	if rc == httpd.Error || rc > httpd.OK || r.HeaderOnly {
		return rc
	}
	c := chains.Get().(*httpd.Chain)
	c.Reset()
	c.AppendString(text)
	c.Last = true // for a subrequest: the end of its body, not of the response (see passSubrequest)
	rc = r.Output(c)
	// output is synchronous: the chain is free again
	c.Reset()
	chains.Put(c)
	return rc
}

var chains = sync.Pool{New: func() any { return new(httpd.Chain) }}
