package cgi

import (
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/internal/bytesconv"
	"github.com/sluicehq/sluice/upstream"
)

// Head parses a CGI response head incrementally: header lines up to the
// empty line, then the status (ngx_http_fastcgi_process_header's and
// ngx_http_scgi_process_header's header loop and status rules). The zero
// value is ready; Reset it before each attempt.
type Head struct {
	p       http1.HeaderParser
	started bool
}

// Reset prepares h for a new head starting at offset pos of the buffer
// Parse will be given.
func (h *Head) Reset(pos int) {
	h.p = http1.HeaderParser{AllowUnderscores: true, Upstream: true}
	h.p.Pos = pos
	h.started = true
}

// Pos is where parsing resumes; after HeaderDone, where the body begins.
func (h *Head) Pos() int { return h.p.Pos }

// Parse parses the header lines in buf from Pos on, adding each to
// u.HeadersIn (with the framework's checks, upstream.Upstream.AddHeader).
// It returns NeedMore when buf ends inside the head, HeaderDone once the
// empty line was parsed and the status set (see Status), Invalid (logged
// with nginx's wording) for a malformed line or status. Lines already
// parsed stay in buf: the strings of HeadersIn point into it.
func (h *Head) Parse(u *upstream.Upstream, buf []byte) upstream.HeaderResult {
	if !h.started {
		h.Reset(0)
	}
	for {
		switch res := h.p.Parse(buf); res {
		case http1.OK:
			name := bytesconv.String(h.p.Name(buf))
			value := bytesconv.String(h.p.Value(buf))
			if !u.AddHeader(name, value) {
				return upstream.Invalid
			}
		case http1.HeaderDone:
			return Status(u)
		case http1.NeedMore:
			return upstream.NeedMore
		default:
			line, bad := h.p.BadLine(buf)
			u.Logf(errlog.Error, nil, "upstream sent invalid header: \"%s\\x%02x...\"", line, bad)
			return upstream.Invalid
		}
	}
}

// Status sets the response status once the head is complete, unless a
// status line set it already (scgi and uwsgi accept one): the first three
// digits of a Status header, with its whole value as the status line when
// it is longer than the code (a bare "Status: 503" gets the standard
// reason phrase, as in nginx 1.23.0 and later);
// else 302 when the head has a Location; else 200. A Status that does not
// start with three digits is logged ("upstream sent invalid status") and
// answers Invalid.
func Status(u *upstream.Upstream) upstream.HeaderResult {
	in := &u.HeadersIn
	if in.StatusN != 0 {
		return upstream.HeaderDone
	}
	if v, ok := in.Value("Status"); ok {
		n, ok := status3(v)
		if !ok {
			u.Logf(errlog.Error, nil, "upstream sent invalid status \"%s\"", v)
			return upstream.Invalid
		}
		in.StatusN = n
		if len(v) > 3 {
			in.StatusLine = v
		}
		return upstream.HeaderDone
	}
	if _, ok := in.Value("Location"); ok {
		in.StatusN, in.StatusLine = 302, "302 Moved Temporarily"
		return upstream.HeaderDone
	}
	in.StatusN, in.StatusLine = 200, "200 OK"
	return upstream.HeaderDone
}

// status3 is ngx_atoi(value, 3): the number its first three bytes spell,
// all digits.
func status3(v string) (int, bool) {
	if len(v) < 3 {
		return 0, false
	}
	n := 0
	for i := 0; i < 3; i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
