package faults_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/modules"
)

// proc is sluice served in-process like servertest.Server, with the one
// thing servertest lacks: a graceful stop on demand (what QUIT does in the
// real process: close the listening sockets, then drain).
type proc struct {
	addr   string
	ls     *core.Listeners
	cycle  *core.Cycle
	prefix string
	quit   sync.Once
}

// startProc serves conf, whose one listen directive says
// "listen 127.0.0.1:%%PORT_0%%;" (a socket bound here on port 0) and whose
// paths may use %%PREFIX%%.
func startProc(t *testing.T, conf string) *proc {
	t.Helper()
	p := &proc{ls: core.NewListeners(), prefix: t.TempDir()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.ls.Adopt("tcp", ln)
	p.addr = ln.Addr().String()
	_, port, _ := net.SplitHostPort(p.addr)
	conf = strings.ReplaceAll(conf, "%%PORT_0%%", port)
	conf = strings.ReplaceAll(conf, "%%PREFIX%%", p.prefix)
	path := filepath.Join(p.prefix, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := core.ParseOptions([]string{"-p", p.prefix + "/", "-c", path, "-e", "error.log"})
	if err != nil {
		t.Fatal(err)
	}
	p.cycle, err = core.Load(o, modules.All(), nil, nil, nil)
	if err != nil {
		t.Fatalf("configuration failed: %v\n%s", err, conf)
	}
	activate, err := p.ls.Bind(p.cycle)
	if err != nil {
		t.Fatal(err)
	}
	activate()
	t.Cleanup(func() { p.Quit(10 * time.Second) })
	return p
}

// Quit stops as QUIT does: no new connections, in-flight requests finish,
// idle connections close; it returns once every connection is gone or
// timeout passed. Calling it again does nothing.
func (p *proc) Quit(timeout time.Duration) {
	p.quit.Do(func() {
		p.ls.Close()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		for _, svc := range p.cycle.Services() {
			svc.Drain(ctx)
		}
		p.cycle.Files.CloseAll()
	})
}
