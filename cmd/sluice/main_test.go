package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary is the sluice binary built once for the process tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sluice-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "sluice")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building sluice: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs the binary and returns stdout, stderr and the exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func writeConf(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVersion(t *testing.T) {
	_, stderr, code := run(t, "-V")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"sluice version: sluice/", "nginx version: nginx/1.", "configure arguments:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("-V lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "=dynamic") {
		t.Errorf("-V must not list dynamic modules")
	}
	_, stderr, _ = run(t, "-h")
	if !strings.Contains(stderr, "Usage: sluice [-?hvVtTq]") {
		t.Errorf("-h: %s", stderr)
	}
}

func TestOptionErrors(t *testing.T) {
	tests := []struct{ name, arg, want string }{
		{"unknown flag", "-x", `sluice: invalid option: "x"`},
		{"not a flag", "foo", `sluice: invalid option: "foo"`},
		{"bad signal", "-s foo", `sluice: invalid option: "-s foo"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(t, strings.Fields(tc.arg)...)
			if code != 1 || strings.TrimSpace(stderr) != tc.want {
				t.Errorf("exit %d, stderr %q, want 1 and %q", code, stderr, tc.want)
			}
		})
	}
	for _, f := range []string{"-p", "-c", "-e", "-g", "-s"} {
		_, stderr, code := run(t, f)
		if code != 1 || !strings.Contains(stderr, `option "`+f+`" requires`) {
			t.Errorf("%s without value: exit %d %q", f, code, stderr)
		}
	}
}

// TestConfigErrors checks -t on bad configurations: exact nginx wording,
// file and line, exit 1.
func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, conf, want string
	}{
		{"unknown directive", "events {}\nfoo bar;\n", `unknown directive "foo" in CONF:2`},
		{"not allowed here", "events {}\nlisten 80;\n", `"listen" directive is not allowed here in CONF:2`},
		{"wrong arity", "events {}\nhttp { server { listen; } }\n", `invalid number of arguments in "listen" directive in CONF:2`},
		{"duplicate", "events {}\nhttp { server { root /a; root /b; } }\n", `"root" directive is duplicate in CONF:2`},
		{"flag value", "events {}\nhttp { sendfile maybe; }\n", `invalid value "maybe" in "sendfile" directive, it must be "on" or "off" in CONF:2`},
		{"unexpected brace", "events {}\n}\n", `unexpected "}" in CONF:2`},
		{"eof in directive", "events {}\nworker_processes 1", `unexpected end of file, expecting ";" or "}" in CONF:2`},
		{"eof in block", "events {\n", `unexpected end of file, expecting "}" in CONF:2`},
		{"no opening brace", "events {}\nhttp;\n", `directive "http" has no opening "{" in CONF:2`},
		{"not terminated", "events {}\nworker_processes 1 {\n}\n", `directive "worker_processes" is not terminated by ";" in CONF:2`},
		{"invalid size", "events {}\nhttp { client_max_body_size 99999999999g; }\n", `"client_max_body_size" directive invalid value in CONF:2`},
		{"invalid time", "events {}\nhttp { keepalive_timeout 5x; }\n", `"keepalive_timeout" directive invalid value in CONF:2`},
		{"unterminated quote", "events {}\nworker_processes \"1;\n", `unexpected end of file, expecting ";" or "}" in CONF:3`},
		{"invalid number", "events { worker_connections many; }\n", `invalid number "many" in CONF:1`},
		{"duplicate http", "events {}\nhttp {}\nhttp {}\n", `"http" directive is duplicate in CONF:3`},
		{"location modifier", "events {}\nhttp { server { location ~~ /a {} } }\n", `invalid location modifier "~~" in CONF:2`},
		{"include missing", "events {}\ninclude missing.conf;\n", `open() "DIR/missing.conf" failed (2: No such file or directory) in CONF:2`},
		{"unknown variable", "events {}\nhttp { server { root /$nosuch; } }\n", `unknown "nosuch" variable`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			conf := writeConf(t, dir, "nginx.conf", tc.conf)
			_, stderr, code := run(t, "-t", "-p", dir, "-c", conf)
			want := strings.ReplaceAll(strings.ReplaceAll(tc.want, "CONF", conf), "DIR", dir)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if !strings.Contains(stderr, "sluice: [emerg] "+want+"\n") {
				t.Errorf("stderr:\n%s\nwant line: sluice: [emerg] %s", stderr, want)
			}
			if !strings.Contains(stderr, "sluice: configuration file "+conf+" test failed") {
				t.Errorf("no \"test failed\" line:\n%s", stderr)
			}
		})
	}
}

func TestTestAndDump(t *testing.T) {
	dir := t.TempDir()
	writeConf(t, dir, "conf.d/a.conf", "worker_processes 1;\n")
	writeConf(t, dir, "conf.d/.hidden.conf", "bogus;\n")
	conf := writeConf(t, dir, "nginx.conf", "include conf.d/*.conf;\nevents {}\n")
	stdout, stderr, code := run(t, "-T", "-c", conf)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"sluice: the configuration file " + conf + " syntax is ok", "sluice: configuration file " + conf + " test is successful"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	wantOut := "# configuration file " + conf + ":\ninclude conf.d/*.conf;\nevents {}\n\n" +
		"# configuration file " + filepath.Join(dir, "conf.d/a.conf") + ":\nworker_processes 1;\n\n"
	if stdout != wantOut {
		t.Errorf("-T output:\n%q\nwant\n%q", stdout, wantOut)
	}
	_, stderr, code = run(t, "-t", "-q", "-c", conf)
	if code != 0 || stderr != "" {
		t.Errorf("-t -q: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = run(t, "-t", "-c", conf, "-g", "worker_processes 2;")
	if code != 1 || !strings.Contains(stderr, `"worker_processes" directive is duplicate in `+filepath.Join(dir, "conf.d/a.conf")+`:1`) {
		t.Errorf("-g duplicate: exit %d %s", code, stderr)
	}
	_, stderr, code = run(t, "-t", "-c", conf, "-g", "foo;")
	if code != 1 || !strings.Contains(stderr, `unknown directive "foo" in command line`) {
		t.Errorf("-g unknown: exit %d %s", code, stderr)
	}
}

func TestIncludeCycle(t *testing.T) {
	dir := t.TempDir()
	writeConf(t, dir, "a.conf", "include b.conf;\n")
	writeConf(t, dir, "b.conf", "include a.conf;\n")
	conf := writeConf(t, dir, "nginx.conf", "include a.conf;\nevents {}\n")
	_, stderr, code := run(t, "-t", "-c", conf)
	if code != 1 || !strings.Contains(stderr, "include cycle") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// daemon is a sluice process started by a test.
type daemon struct {
	t       *testing.T
	cmd     *exec.Cmd
	dir     string
	pidFile string
}

func startDaemon(t *testing.T, dir, conf string) *daemon {
	t.Helper()
	d := &daemon{t: t, dir: dir, pidFile: filepath.Join(dir, "sluice.pid")}
	d.cmd = exec.Command(binary, "-p", dir, "-c", conf, "-e", "error.log")
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.cmd.Process.Kill()
			d.cmd.Wait()
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(d.pidFile)
		if err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(d.cmd.Process.Pid) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid file never appeared; error.log:\n%s", d.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *daemon) log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "error.log"))
	return string(b)
}

func (d *daemon) signal(sig syscall.Signal) {
	if err := d.cmd.Process.Signal(sig); err != nil {
		d.t.Fatal(err)
	}
}

func (d *daemon) waitLog(text string) {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(d.log(), text) {
		if time.Now().After(deadline) {
			d.t.Fatalf("error log lacks %q:\n%s", text, d.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func status(t *testing.T, port int) (int, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/nothing", port))
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func serverConf(dir string, ports ...int) string {
	var ls strings.Builder
	for _, p := range ports {
		fmt.Fprintf(&ls, "        listen 127.0.0.1:%d;\n", p)
	}
	os.MkdirAll(filepath.Join(dir, "logs"), 0755) // the default access log
	return fmt.Sprintf("daemon off;\npid %s/sluice.pid;\nerror_log %s/error.log info;\nevents {}\nhttp {\n    server {\n%s    }\n}\n", dir, dir, ls.String())
}

func TestLifecycle(t *testing.T) {
	dir := t.TempDir()
	p1, p2 := freePort(t), freePort(t)
	conf := writeConf(t, dir, "nginx.conf", serverConf(dir, p1))
	d := startDaemon(t, dir, conf)
	if st, err := status(t, p1); err != nil || st != 404 {
		t.Fatalf("before reload: %d %v", st, err)
	}

	// a good reload adds a listener and keeps the old one
	writeConf(t, dir, "nginx.conf", serverConf(dir, p1, p2))
	d.signal(syscall.SIGHUP)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if st, err := status(t, p2); err == nil && st == 404 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("new listener never served; log:\n%s", d.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st, err := status(t, p1); err != nil || st != 404 {
		t.Fatalf("old listener after reload: %d %v", st, err)
	}

	// a broken reload is logged and the old configuration keeps serving
	writeConf(t, dir, "nginx.conf", "events {}\nhttp { bogus; }\n")
	d.signal(syscall.SIGHUP)
	d.waitLog(`[emerg]`)
	d.waitLog(`unknown directive "bogus"`)
	if st, err := status(t, p2); err != nil || st != 404 {
		t.Fatalf("after a broken reload: %d %v", st, err)
	}

	// -s reload / -s reopen signal the pid in the pid file
	writeConf(t, dir, "nginx.conf", serverConf(dir, p1, p2))
	if _, stderr, code := run(t, "-p", dir, "-c", conf, "-s", "reopen"); code != 0 {
		t.Fatalf("-s reopen: %d %s", code, stderr)
	}
	d.waitLog("reopening logs")

	// QUIT: graceful stop, pid file removed, exit 0
	d.signal(syscall.SIGQUIT)
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after QUIT: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not exit after QUIT")
	}
	if _, err := os.Stat(d.pidFile); !os.IsNotExist(err) {
		t.Errorf("pid file left after QUIT")
	}
	if _, err := status(t, p1); err == nil {
		t.Errorf("still serving after QUIT")
	}
}

func TestStopWithTerm(t *testing.T) {
	dir := t.TempDir()
	p := freePort(t)
	conf := writeConf(t, dir, "nginx.conf", serverConf(dir, p))
	d := startDaemon(t, dir, conf)
	if _, stderr, code := run(t, "-p", dir, "-c", conf, "-s", "stop"); code != 0 {
		t.Fatalf("-s stop: %d %s", code, stderr)
	}
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("did not exit after TERM")
	}
	if _, err := os.Stat(d.pidFile); !os.IsNotExist(err) {
		t.Errorf("pid file left after TERM")
	}
}

func TestBindFailure(t *testing.T) {
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	conf := writeConf(t, dir, "nginx.conf", serverConf(dir, port))
	cmd := exec.Command(binary, "-p", dir, "-c", conf)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err = cmd.Run()
	if err == nil {
		t.Fatal("started although the port is taken")
	}
	if _, e := os.Stat(filepath.Join(dir, "sluice.pid")); e == nil {
		t.Error("pid file written although no listener was bound")
	}
	log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	want := fmt.Sprintf("bind() to 127.0.0.1:%d failed (98: Address already in use)", port)
	if !strings.Contains(string(log)+errb.String(), want) {
		t.Errorf("no %q in:\n%s%s", want, log, errb.String())
	}
}

func TestWorkerConnections(t *testing.T) {
	dir := t.TempDir()
	p := freePort(t)
	conf := fmt.Sprintf("daemon off;\npid %s/sluice.pid;\nerror_log %s/error.log info;\nevents { worker_connections 3; }\nhttp {\n    server {\n        listen 127.0.0.1:%d;\n    }\n}\n", dir, dir, p)
	os.MkdirAll(filepath.Join(dir, "logs"), 0755)
	d := startDaemon(t, dir, writeConf(t, dir, "nginx.conf", conf))
	// one listener + two clients busy discarding request bodies use the
	// three connections (idle ones would be reused, see httpd's
	// TestDifferentialWorkerConnections)
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nsome")); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(make([]byte, 512)); n == 0 {
			t.Fatalf("no answer on connection %d: %v", i, err)
		}
	}
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, _ := c.Read(make([]byte, 1)); n != 0 {
		t.Fatal("an extra connection was served")
	}
	d.waitLog("[alert]")
	d.waitLog("3 worker_connections are not enough")
	d.signal(syscall.SIGTERM)
	d.cmd.Wait()
}

// TestStderrLog: fd 2 goes to the main error log file once sluice runs
// (ngx_log_redirect_stderr), unless an error_log at any level writes to
// stderr (nginx's cycle->log_use_stderr): a location's "error_log stderr"
// then reaches the process's stderr, not the main log file.
func TestStderrLog(t *testing.T) {
	for _, tc := range []struct {
		name, loc  string
		onStderr   bool // the location's error line is on the process's stderr
		inMainFile bool // ... or in the main log file
	}{
		{name: "location logs to stderr", loc: "error_log stderr;", onStderr: true},
		{name: "no stderr log", loc: "", inMainFile: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := freePort(t)
			os.MkdirAll(filepath.Join(dir, "logs"), 0755)
			conf := writeConf(t, dir, "nginx.conf", fmt.Sprintf("daemon off;\npid %s/sluice.pid;\nerror_log %s/error.log;\nevents {}\nhttp {\n    server {\n        listen 127.0.0.1:%d;\n        location / { root %s/none; %s }\n    }\n}\n", dir, dir, p, dir, tc.loc))
			cmd := exec.Command(binary, "-p", dir, "-c", conf)
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				cmd.Process.Kill()
				cmd.Wait()
			}()
			deadline := time.Now().Add(10 * time.Second)
			for {
				if st, err := status(t, p); err == nil {
					if st != 404 {
						t.Fatalf("status %d, want 404", st)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("sluice never answered")
				}
				time.Sleep(20 * time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGQUIT)
			cmd.Wait()
			line := "open() \"" + dir + "/none/nothing\" failed (2: No such file or directory)"
			main, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			if got := strings.Contains(errb.String(), line); got != tc.onStderr {
				t.Errorf("line on stderr: %v, want %v\nstderr:\n%s", got, tc.onStderr, errb.String())
			}
			if got := strings.Contains(string(main), line); got != tc.inMainFile {
				t.Errorf("line in the main error log: %v, want %v\nerror.log:\n%s", got, tc.inMainFile, main)
			}
		})
	}
}
