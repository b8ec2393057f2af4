package upstream

import "github.com/sluicehq/sluice/httpd"

// ReadBody reads the client's request body before Run, as a module's
// handler does with ngx_http_read_client_request_body: whole into r.Body,
// or, when stream is set (X_request_buffering off and the body passed,
// nginx's request_body_no_buffering), as a stream read with buffers of
// buffer_size that the protocol's SendBody passes on (nil when the body
// was already complete or absent). A status other than OK ends the
// request with it.
func ReadBody(r *httpd.Request, c *Conf, stream bool) (*httpd.BodyStream, httpd.Status) {
	if stream {
		return r.StreamBody(int(c.BufferSize.Get()))
	}
	return nil, r.ReadBody()
}
