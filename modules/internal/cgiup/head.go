package cgiup

import (
	"io"

	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/bytesconv"
	"github.com/sluicehq/sluice/modules/internal/cgi"
	"github.com/sluicehq/sluice/upstream"
)

// Exchange is the encoding-independent part of one request's SCGI or
// uwsgi exchange. A module's protocol embeds it and adds CreateRequest;
// ProcessHeader, Reinit, SendBody and Finalize come from here.
type Exchange struct {
	// Stream is the client's body passed on as it arrives
	// (X_request_buffering off), nil when the body was read first.
	Stream *httpd.BodyStream

	where   Where
	status  http1.StatusLine
	block   cgi.Head
	inBlock bool
}

// ProcessHeader parses the response head: an HTTP status line when the
// server starts with one, then a CGI header block
// (ngx_http_scgi_process_status_line and ngx_http_scgi_process_header,
// the same in the uwsgi module). Once the head is complete it sets the
// body length as input_filter_init does.
func (x *Exchange) ProcessHeader(u *upstream.Upstream) upstream.HeaderResult {
	if !x.inBlock {
		switch x.status.Parse(u.Buffer[:u.Last]) {
		case http1.NeedMore:
			return upstream.NeedMore
		case http1.OK:
			u.HeadersIn.StatusN = x.status.Code
			u.HeadersIn.StatusLine = bytesconv.String(u.Buffer[x.status.Start:x.status.End])
			u.Pos = x.status.Pos
		default:
			// no status line: the header block starts where the line
			// would have (nginx 1.31 rewinds so; before, a first line
			// split across reads lost what the status parser had taken)
			u.Pos = max(x.status.LineStart, 0)
		}
		x.inBlock = true
		x.block.Reset(u.Pos)
	}
	res := x.block.Parse(u, u.Buffer[:u.Last])
	u.Pos = x.block.Pos()
	if res != upstream.HeaderDone {
		return res
	}
	in := &u.HeadersIn
	if in.StatusN == 101 && u.R != nil && u.R.In.Upgrade >= 0 {
		u.Upgrade = true
	}
	// input_filter_init; neither protocol keeps the connection
	u.Keepalive = false
	switch {
	case in.StatusN == 204 || in.StatusN == 304:
		u.Length = 0
	case u.R != nil && u.R.MethodBit == httpd.MethodHEAD:
		u.Length = -1
	default:
		u.Length = in.ContentLengthN
	}
	return upstream.HeaderDone
}

// Reinit forgets the head parsed from the previous peer
// (ngx_http_scgi_reinit_request).
func (x *Exchange) Reinit(u *upstream.Upstream) error {
	x.status.Reset()
	x.inBlock = false
	return nil
}

// SendBody passes the client's body on as it arrives
// (X_request_buffering off); what arrived with the head was sent with the
// request.
func (x *Exchange) SendBody(u *upstream.Upstream) error {
	s := x.Stream
	if s == nil {
		return nil
	}
	for {
		b, err := s.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := u.WriteBody(b); err != nil {
			return err
		}
	}
}

// Finalize ends a body stream the exchange no longer reads.
func (x *Exchange) Finalize(u *upstream.Upstream, status int) {
	if x.Stream != nil {
		x.Stream.Stop()
	}
}
