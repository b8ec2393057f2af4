package balancer_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/bytesconv"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/upstream"
	"github.com/sluicehq/sluice/upstream/balancer"
)

// The "bt" test module is a minimal pass module on the upstream framework:
//
//	bt_pass ADDRESS;   # a group name or host[:port], as proxy_pass takes it
//	bt_*               # the shared upstream directives (timeouts, next_upstream...)
//
// It sends "GET URI HTTP/1.0" and relays an HTTP/1.x answer, adding
// "X-Upstream: $upstream_addr" so tests see where requests went.
var btSelf httpd.Handle

var btModule = &httpd.Module{
	Name:   "bt",
	Handle: &btSelf,
	Directives: append([]conf.Directive{
		{Name: "bt_pass", Context: conf.HTTPLoc, Args: conf.Take1, Set: setBTPass},
		{Name: "bt_find", Context: conf.HTTPLoc, Args: conf.Take1, Set: setBTFind},
	}, upstream.Directives("bt_", func(c *btLoc) *upstream.Conf { return &c.U })...),
	CreateLoc: func(*httpd.Config) any { return &btLoc{} },
	MergeLoc: func(cf *httpd.Config, parent, child any) error {
		p, c := parent.(*btLoc), child.(*btLoc)
		if c.target == nil {
			c.target = p.target
		}
		return c.U.Merge(cf, &p.U, "bt_", []string{"Date", "Server"}, "bt_temp")
	},
}

type btLoc struct {
	U      upstream.Conf
	target *balancer.Group
	find   *httpd.Complex
}

// setBTFind is bt_pass with variables: the group is looked up per request
// (balancer.Find), a literal address gets a one-off target.
func setBTFind(c *conf.Cmd) error {
	lc := c.Conf.(*btLoc)
	x, err := httpd.ConfigOf(c).Compile(c, c.Arg(0))
	if err != nil {
		return err
	}
	lc.find = x
	httpd.CoreLocOf(c).Handler = btFindHandler
	return nil
}

func btFindHandler(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[btLoc](r, &btSelf)
	u, err := balancer.ParseURL(lc.find.Eval(r), balancer.URLOptions{DefaultPort: 80, URIPart: true, NoResolve: true})
	if err != nil {
		return 500
	}
	g := balancer.Find(r, u.Host, u.Port, u.NoPort)
	if g == nil {
		if len(u.Addrs) == 0 {
			return 502
		}
		g = balancer.NewResolved(u.Host, u.Addrs)
	}
	return upstream.Run(r, &lc.U, g, &btProto{})
}

func setBTPass(c *conf.Cmd) error {
	lc := c.Conf.(*btLoc)
	g, _, err := balancer.Add(c, c.Arg(0), balancer.URLOptions{DefaultPort: 80, URIPart: true})
	if err != nil {
		return err
	}
	lc.target = g
	httpd.CoreLocOf(c).Handler = btHandler
	return nil
}

func btHandler(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[btLoc](r, &btSelf)
	return upstream.Run(r, &lc.U, lc.target, &btProto{})
}

type btProto struct {
	status  http1.StatusLine
	header  http1.HeaderParser
	inLines bool
}

func (p *btProto) CreateRequest(u *upstream.Upstream) error {
	u.Request.Append([]byte("GET " + u.R.UnparsedURI + " HTTP/1.0\r\nHost: backend\r\n\r\n"))
	u.Schema, u.URI = "http://", u.R.UnparsedURI
	return nil
}

func (p *btProto) Reinit(u *upstream.Upstream) error {
	p.status.Reset()
	p.header.Reset()
	p.inLines = false
	return nil
}

func (p *btProto) ProcessHeader(u *upstream.Upstream) upstream.HeaderResult {
	if !p.inLines {
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
			u.Length = u.HeadersIn.ContentLengthN
			if addr, ok := u.R.VarByName("upstream_addr"); ok {
				u.R.Out.Add("X-Upstream", strings.Clone(addr))
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

// testModules is the HTTP module list of these tests: the framework's
// variables, the balancer modules and bt.
func testModules() []*core.Module {
	return []*core.Module{httpd.New(upstream.Module, balancer.Module, balancer.HashModule,
		balancer.IPHashModule, balancer.LeastConnModule, balancer.RandomModule,
		balancer.KeepaliveModule, balancer.ZoneModule, btModule)}
}

// start runs sluice in-process with the test modules.
func start(t *testing.T, conf string) *servertest.Server {
	t.Helper()
	return servertest.StartModules(t, conf, testModules())
}

// loadConf loads a configuration and returns the error text with the
// file's path replaced by FILE ("" when it loads). Warnings go to
// PREFIX/error.log, returned as warn.
func loadConf(t *testing.T, text string) (errText, warn string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(text), 0644); err != nil {
		t.Fatal(err)
	}
	o, err := core.ParseOptions([]string{"-p", dir + "/", "-c", path, "-e", "error.log"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = core.Load(o, testModules(), nil, nil, nil)
	log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	warn = strings.ReplaceAll(string(log), path, "FILE")
	if err == nil {
		return "", warn
	}
	return strings.ReplaceAll(err.Error(), path, "FILE"), warn
}

// confWith puts an upstream block (from line 3) before a server whose
// location passes to "u".
func confWith(block string) string {
	return "events {}\nhttp {\n" + block + "\n    server {\n        listen 127.0.0.1:1;\n" +
		"        location / { bt_pass u; }\n    }\n}\n"
}

func itoa(n int) string { return strconv.Itoa(n) }
