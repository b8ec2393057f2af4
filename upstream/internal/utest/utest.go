// Package utest is a test-only upstream module, "utest": an HTTP/1.x
// protocol on the framework with counters on its hooks, so that the
// framework's paths (retries, timeouts, buffering...) can be tested
// against scripted backends.
//
//	utest_pass ADDR ...;   # each address is a peer, tried in order
//	utest_* ...;           # the whole shared upstream directive family
package utest

import (
	"sync"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/bytesconv"
	"github.com/sluicehq/sluice/upstream"
)

var self httpd.Handle

// Module is the utest module.
var Module = &httpd.Module{
	Name:   "utest",
	Handle: &self,
	Directives: append([]conf.Directive{
		{Name: "utest_pass", Context: conf.HTTPLoc, Args: conf.OneMore, Set: setPass},
	}, upstream.Directives("utest_", func(c *LocConf) *upstream.Conf { return &c.U })...),
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(cf *httpd.Config, parent, child any) error {
		p, c := parent.(*LocConf), child.(*LocConf)
		if c.target == nil {
			c.target = p.target
		}
		return c.U.Merge(cf, &p.U, "utest_", []string{"Date", "Server", "X-Pad", "X-Accel-Expires",
			"X-Accel-Redirect", "X-Accel-Limit-Rate", "X-Accel-Buffering", "X-Accel-Charset"}, "utest_temp")
	},
}

// LocConf is utest's location conf.
type LocConf struct {
	U      upstream.Conf
	target *upstream.Addresses
}

func setPass(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	var peers []*upstream.Peer
	for _, a := range c.Args {
		t, err := upstream.ParseAddress(a, 80)
		if err != nil {
			return c.Errorf("%s", err)
		}
		peers = append(peers, t.Peers()...)
	}
	lc.target = upstream.NewAddresses("utest", peers)
	httpd.CoreLocOf(c).Handler = handler
	return nil
}

// Record is what the hooks saw for one request.
type Record struct {
	Creates, Reinits, Finalizes int
	FinalStatus                 int
	UpstreamAddr                string
	UpstreamStatus              string
	UpstreamResponseTime        string
}

var (
	mu      sync.Mutex
	records []*Record
)

// Records returns and clears the records of the requests finalized so far.
func Records() []*Record {
	mu.Lock()
	defer mu.Unlock()
	out := records
	records = nil
	return out
}

func handler(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[LocConf](r, &self)
	if st := r.ReadBody(); st != httpd.OK {
		return st
	}
	p := &proto{rec: &Record{}}
	return upstream.Run(r, &lc.U, lc.target, p)
}

type proto struct {
	rec     *Record
	status  http1.StatusLine
	header  http1.HeaderParser
	inLines bool
	chunked http1.Chunked
	head    bool
}

func (p *proto) CreateRequest(u *upstream.Upstream) error {
	p.rec.Creates++
	r := u.R
	b := []byte(r.Method + " " + r.UnparsedURI + " HTTP/1.1\r\nHost: backend\r\nConnection: keep-alive\r\n")
	if r.Body != nil && r.Body.Size > 0 {
		b = append(b, "Content-Length: "...)
		b = append(b, []byte(itoa(r.Body.Size))...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	u.Request.Append(b)
	if r.Body != nil {
		u.Request.Append(r.Body.Data)
	}
	u.Schema, u.URI = "http://", r.UnparsedURI
	p.head = r.MethodBit == httpd.MethodHEAD
	return nil
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func (p *proto) Reinit(u *upstream.Upstream) error {
	p.rec.Reinits++
	p.status.Reset()
	p.header.Reset()
	p.chunked.Reset()
	p.inLines = false
	return nil
}

func (p *proto) ProcessHeader(u *upstream.Upstream) upstream.HeaderResult {
	if !p.inLines {
		// the parsers resume where they stopped: their Pos is theirs
		switch p.status.Parse(u.Buffer[:u.Last]) {
		case http1.NeedMore:
			return upstream.NeedMore
		case http1.OK:
		default:
			u.Logf(errlog.Error, nil, "upstream sent no valid HTTP/1.0 header")
			return upstream.Invalid
		}
		u.HeadersIn.StatusN = p.status.Code
		u.HeadersIn.StatusLine = bytesconv.String(u.Buffer[p.status.Start:p.status.End])
		u.Pos = p.status.Pos
		p.header.Pos = u.Pos
		p.inLines = true
		p.header.AllowUnderscores, p.header.Upstream = true, true
	}
	for {
		switch p.header.Parse(u.Buffer[:u.Last]) {
		case http1.OK:
			b := u.Buffer[:u.Last]
			if !u.AddHeader(bytesconv.String(p.header.Name(b)), bytesconv.String(p.header.Value(b))) {
				return upstream.Invalid
			}
			u.Pos = p.header.Pos
		case http1.HeaderDone:
			u.Pos = p.header.Pos
			in := &u.HeadersIn
			u.OwnServerDate = true
			u.Keepalive = !in.ConnectionClose
			switch {
			case p.head || in.StatusN == 204 || in.StatusN == 304:
				u.Length = 0
			case in.Chunked:
				u.Length = 1
			default:
				u.Length = in.ContentLengthN
				if u.Length < 0 {
					u.Keepalive = false
				}
			}
			return upstream.HeaderDone
		case http1.NeedMore:
			return upstream.NeedMore
		default:
			u.Logf(errlog.Error, nil, "upstream sent invalid header")
			return upstream.Invalid
		}
	}
}

// InitBody fails for a response carrying "X-Utest-Init: fail", to test
// the framework's handling of a protocol that rejects a body.
func (p *proto) InitBody(u *upstream.Upstream) error {
	if v, _ := u.HeadersIn.Value("X-Utest-Init"); v == "fail" {
		u.Logf(errlog.Error, nil, "utest refused the body")
		return errInvalid
	}
	return nil
}

func (p *proto) FilterBody(u *upstream.Upstream, raw []byte) error {
	if !u.HeadersIn.Chunked {
		if u.Length == 0 {
			return nil
		}
		if u.Length > 0 && int64(len(raw)) > u.Length {
			raw = raw[:u.Length]
		}
		if len(raw) > 0 {
			u.Out = append(u.Out, raw)
		}
		if u.Length > 0 {
			u.Length -= int64(len(raw))
		}
		return nil
	}
	p.chunked.Pos = 0
	for {
		switch p.chunked.Parse(raw) {
		case http1.OK:
			u.Out = append(u.Out, raw[p.chunked.DataStart:p.chunked.DataEnd])
		case http1.NeedMore:
			return nil
		case http1.Done:
			u.Length = 0
			return nil
		default:
			u.Logf(errlog.Error, nil, "upstream sent invalid chunked response")
			return errInvalid
		}
	}
}

type invalidErr struct{}

func (invalidErr) Error() string { return "invalid chunked response" }

var errInvalid = invalidErr{}

func (p *proto) Finalize(u *upstream.Upstream, status int) {
	p.rec.Finalizes++
	p.rec.FinalStatus = status
	p.rec.UpstreamAddr, _ = u.R.VarByName("upstream_addr")
	p.rec.UpstreamStatus, _ = u.R.VarByName("upstream_status")
	p.rec.UpstreamResponseTime, _ = u.R.VarByName("upstream_response_time")
	mu.Lock()
	records = append(records, p.rec)
	mu.Unlock()
}
