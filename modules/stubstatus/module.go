package stubstatus

import (
	"strconv"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// Module is the stub_status HTTP module (ngx_http_stub_status_module).
var Module = &httpd.Module{
	Name: "stub_status",
	Directives: []conf.Directive{
		{Name: "stub_status", Context: conf.HTTPSrv | conf.HTTPLoc, Args: conf.NoArgs | conf.Take1, Set: setStubStatus,
			Syntax: "stub_status;",
			Doc: "Answers the location's requests with the connection and request counters in nginx's text " +
				"(an argument is accepted and ignored, as nginx does for compatibility)."},
	},
	Preconfiguration: func(cf *httpd.Config) error {
		for i, name := range varNames {
			if _, err := cf.AddVariable(&httpd.Variable{Name: name, Get: variable, Data: i, Flags: httpd.VarNoCacheable}); err != nil {
				return err
			}
		}
		return nil
	},
}

// varNames are the module's variables, by their Data.
var varNames = [...]string{"connections_active", "connections_reading", "connections_writing", "connections_waiting"}

// setStubStatus is "stub_status" (ngx_http_set_stub_status).
func setStubStatus(c *conf.Cmd) error {
	httpd.CoreLocOf(c).Handler = handler
	return nil
}

// handler answers GET and HEAD with the counters
// (ngx_http_stub_status_handler).
func handler(r *httpd.Request) httpd.Status {
	if r.MethodBit&(httpd.MethodGET|httpd.MethodHEAD) == 0 {
		return 405
	}
	if rc := r.DiscardRequestBody(); rc != httpd.OK {
		return rc
	}
	var buf [256]byte
	body := appendStatus(buf[:0], httpd.ReadStats())
	r.Out.ContentType = "text/plain"
	r.Out.ContentTypeLen = len("text/plain")
	r.Out.Status = 200
	r.Out.ContentLengthN = int64(len(body))
	rc := r.SendHeader()
	if rc == httpd.Error || rc > httpd.OK || r.HeaderOnly {
		return rc
	}
	var c httpd.Chain
	c.Append(body)
	c.Last = true
	return r.Output(&c)
}

// appendStatus is the page's text, with nginx's spaces.
func appendStatus(b []byte, s httpd.Stats) []byte {
	b = append(b, "Active connections: "...)
	b = strconv.AppendInt(b, s.Active, 10)
	b = append(b, " \nserver accepts handled requests\n "...)
	b = strconv.AppendInt(b, s.Accepted, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, s.Handled, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, s.Requests, 10)
	b = append(b, " \nReading: "...)
	b = strconv.AppendInt(b, s.Reading, 10)
	b = append(b, " Writing: "...)
	b = strconv.AppendInt(b, s.Writing, 10)
	b = append(b, " Waiting: "...)
	b = strconv.AppendInt(b, s.Waiting, 10)
	b = append(b, " \n"...)
	return b
}

// variable is $connections_active, _reading, _writing and _waiting
// (ngx_http_stub_status_variable).
func variable(_ *httpd.Request, _ string, data int) (string, bool) {
	var v int64
	switch data {
	case 0:
		v = httpd.StatActive()
	case 1:
		v = httpd.StatReading()
	case 2:
		v = httpd.StatWriting()
	case 3:
		v = httpd.StatWaiting()
	}
	return strconv.FormatInt(v, 10), true
}
