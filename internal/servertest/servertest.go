// Package servertest runs sluice in-process from a configuration string,
// for tests that talk to it over real sockets.
//
// Listening ports are placeholders: every distinct "%%PORT_name%%" in the
// configuration is replaced by the port of a socket the package has already
// bound on 127.0.0.1:0, and the configuration's listen directive adopts it.
// No fixed ports, no waiting for readiness: the sockets accept from the
// start. "%%PREFIX%%" is replaced by the server's prefix directory.
package servertest

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/modules"
)

// Server is a running in-process sluice.
type Server struct {
	t      testing.TB
	prefix string
	ports  map[string]string
	ls     *core.Listeners
	cycle  *core.Cycle
	mods   []*core.Module
	opts   *core.Options
}

var placeholder = regexp.MustCompile(`%%PORT_[A-Za-z0-9_]+%%`)

// Start loads conf with the standard modules and serves it until the test
// ends. The configuration gets "daemon off;" and an error log at
// PREFIX/error.log (debug) unless it sets its own.
func Start(t testing.TB, conf string) *Server {
	return StartModules(t, conf, modules.All())
}

// StartModules is Start with a chosen module list.
func StartModules(t testing.TB, conf string, mods []*core.Module) *Server {
	t.Helper()
	s := &Server{t: t, prefix: t.TempDir() + "/", ports: map[string]string{}, ls: core.NewListeners(), mods: mods}
	conf = s.expand(conf)
	path := filepath.Join(s.prefix, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0644); err != nil {
		t.Fatal(err)
	}
	o, err := core.ParseOptions([]string{"-p", s.prefix, "-c", path, "-e", "error.log"})
	if err != nil {
		t.Fatal(err)
	}
	s.opts = o
	cy, err := core.Load(o, mods, nil, nil, nil)
	if err != nil {
		t.Fatalf("servertest: configuration failed: %v\n%s", err, conf)
	}
	activate, err := s.ls.Bind(cy)
	if err != nil {
		t.Fatalf("servertest: bind: %v", err)
	}
	activate()
	s.cycle = cy
	t.Cleanup(s.stop)
	return s
}

// expand replaces the placeholders, binding a socket for each port.
func (s *Server) expand(conf string) string {
	conf = strings.ReplaceAll(conf, "%%PREFIX%%", strings.TrimSuffix(s.prefix, "/"))
	return placeholder.ReplaceAllStringFunc(conf, func(ph string) string {
		if p, ok := s.ports[ph]; ok {
			return p
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.t.Fatal(err)
		}
		s.ls.Adopt("tcp", ln)
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		s.ports[ph] = port
		return port
	})
}

// Port returns the port that replaced "%%PORT_name%%".
func (s *Server) Port(name string) string {
	p, ok := s.ports["%%PORT_"+name+"%%"]
	if !ok {
		s.t.Fatalf("servertest: no placeholder %%%%PORT_%s%%%%", name)
	}
	return p
}

// Addr returns "127.0.0.1:PORT" for "%%PORT_name%%".
func (s *Server) Addr(name string) string { return "127.0.0.1:" + s.Port(name) }

// Prefix returns the prefix directory (ending with "/").
func (s *Server) Prefix() string { return s.prefix }

// Cycle returns the loaded configuration.
func (s *Server) Cycle() *core.Cycle { return s.cycle }

// ErrorLog returns the contents of PREFIX/error.log.
func (s *Server) ErrorLog() string {
	b, _ := os.ReadFile(filepath.Join(s.prefix, "error.log"))
	return string(b)
}

// WaitErrorLog waits up to five seconds for PREFIX/error.log to hold want
// (a request's lines are written when it ends, which may be after its
// response), failing the test with the log when it does not.
func (s *Server) WaitErrorLog(t testing.TB, want string) {
	t.Helper()
	s.WaitFile(t, "error.log", want)
}

// WaitFile waits up to five seconds for the file name under the prefix
// (a log) to hold want, failing the test with its contents when it does
// not.
func (s *Server) WaitFile(t testing.TB, name, want string) {
	t.Helper()
	s.WaitFileMatch(t, name, regexp.QuoteMeta(want))
}

// WaitFileMatch is WaitFile for a regular expression.
func (s *Server) WaitFileMatch(t testing.TB, name, re string) {
	t.Helper()
	x := regexp.MustCompile(re)
	deadline := time.Now().Add(5 * time.Second)
	for !x.MatchString(s.ReadFile(name)) {
		if time.Now().After(deadline) {
			t.Fatalf("%s does not match %s:\n%s", name, re, s.ReadFile(name))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ReadFile returns a file under the prefix ("" when missing).
func (s *Server) ReadFile(name string) string {
	b, _ := os.ReadFile(filepath.Join(s.prefix, name))
	return string(b)
}

// Reload loads conf (with the same placeholders) and switches to it as HUP
// does. It fails the test when the configuration is bad.
func (s *Server) Reload(conf string) {
	s.t.Helper()
	if err := s.TryReload(conf); err != nil {
		s.t.Fatalf("servertest: reload failed: %v", err)
	}
}

// TryReload is Reload returning the configuration error.
func (s *Server) TryReload(conf string) error {
	conf = s.expand(conf)
	path := filepath.Join(s.prefix, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0644); err != nil {
		return err
	}
	cy, err := core.Load(s.opts, s.mods, s.cycle.Files, nil, nil)
	if err != nil {
		return err
	}
	activate, err := s.ls.Bind(cy)
	if err != nil {
		return err
	}
	activate()
	old := s.cycle
	s.cycle = cy
	go func() {
		drain(old, 30*time.Second)
		old.Close()
	}()
	return nil
}

func drain(cy *core.Cycle, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for _, svc := range cy.Services() {
		svc.Drain(ctx)
	}
}

// stop closes the listeners and drains the configuration (graceful, with a
// bound so a stuck test cannot hang).
func (s *Server) stop() {
	s.ls.Close()
	drain(s.cycle, 10*time.Second)
	s.cycle.Close()
	s.cycle.Files.CloseAll()
}

// LoadError loads conf (written to DIR/nginx.conf) with mods, or the
// standard modules when mods is nil, and returns the error with the
// file's path written "FILE" and its directory "DIR"; "" when the
// configuration loads. Nothing is served.
func LoadError(t testing.TB, conf string, mods []*core.Module) string {
	t.Helper()
	return LoadErrorIn(t, t.TempDir(), conf, mods)
}

// LoadErrorIn is LoadError with the directory given (the prefix, where
// nginx.conf is written).
func LoadErrorIn(t testing.TB, dir, conf string, mods []*core.Module) string {
	t.Helper()
	if mods == nil {
		mods = modules.All()
	}
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0644); err != nil {
		t.Fatal(err)
	}
	o, err := core.ParseOptions([]string{"-p", dir + "/", "-c", path, "-e", "error.log"})
	if err != nil {
		t.Fatal(err)
	}
	cy, err := core.Load(o, mods, nil, nil, nil)
	if err == nil {
		cy.Close()
		cy.Files.CloseAll()
		return ""
	}
	return strings.ReplaceAll(strings.ReplaceAll(err.Error(), path, "FILE"), dir, "DIR")
}

// warnLine is an error log line at [warn].
var warnLine = regexp.MustCompile(`\[warn\] \d+#\d+: (.*)`)

// LoadWarnings is LoadError that also returns the [warn] lines the load
// logged, in order, with the same FILE and DIR substitutions (what
// oracle.CheckConfig returns of nginx -t).
func LoadWarnings(t testing.TB, conf string, mods []*core.Module) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	emerg := LoadErrorIn(t, dir, conf, mods)
	log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	var warns []string
	for _, m := range warnLine.FindAllStringSubmatch(string(log), -1) {
		warns = append(warns, strings.ReplaceAll(strings.ReplaceAll(m[1], filepath.Join(dir, "nginx.conf"), "FILE"), dir, "DIR"))
	}
	return emerg, warns
}
