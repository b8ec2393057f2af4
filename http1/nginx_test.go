package http1

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// nginxBinary is Debian's nginx, the differential oracle.
const nginxBinary = "/usr/sbin/nginx"

// startNginx runs nginxBinary with a minimal config (one server whose
// location answers `return 200 "ok\n"`) in a temporary prefix and returns
// its address. The listening socket is created here on 127.0.0.1:0 and
// handed to nginx through its NGINX environment variable (the mechanism
// of its binary upgrade), so no port is guessed and connections queue
// until nginx accepts them. nginx runs with a master and one worker: the
// 1.22.1 binary crashes when it inherits a socket with master_process off.
// The master is stopped by its PID when the test ends.
func startNginx(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(nginxBinary); err != nil {
		t.Fatalf("the differential test needs Debian's nginx at %s (apt-get install nginx): %v", nginxBinary, err)
	}
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	defer f.Close()

	conf := fmt.Sprintf(`daemon off;
master_process on;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    keepalive_timeout 0;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    server {
        listen %[2]s;
        server_name localhost;
        location / { return 200 "ok\n"; }
    }
}
`, dir, addr)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}

	var stderr bytes.Buffer
	cmd := exec.Command(nginxBinary, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
	cmd.ExtraFiles = []*os.File{f} // becomes fd 3
	cmd.Env = []string{"NGINX=3;"}
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", nginxBinary, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		// TERM makes the master stop its worker and exit.
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output:\n%s\nerror.log:\n%s", stderr.String(), log)
		}
	})
	return addr
}

// askNginx sends raw to addr, closes the write side, and returns the
// status nginx answered with: the code of its status line; for an HTTP/0.9
// answer (no status line) 200 when the body is the location's "ok\n",
// otherwise the code in its error page's <title>; 0 when nginx closed the
// connection without answering.
func askNginx(t *testing.T, addr string, raw []byte) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A guard against a hung test, not a timing assertion.
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write(raw); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	resp, err := io.ReadAll(c)
	if err != nil && len(resp) == 0 && !isReset(err) {
		t.Fatalf("reading the answer: %v", err)
	}
	if len(resp) == 0 {
		return 0
	}
	var s StatusLine
	if s.Parse(resp) == OK {
		return s.Code
	}
	if string(resp) == "ok\n" {
		return 200
	}
	if i := bytes.Index(resp, []byte("<title>")); i >= 0 && len(resp) >= i+10 {
		var code int
		if _, err := fmt.Sscanf(string(resp[i+7:i+10]), "%d", &code); err == nil {
			return code
		}
	}
	t.Fatalf("unrecognised answer %q", resp)
	return -1
}

// isReset reports whether err is a connection reset, which nginx causes
// when it closes a connection with unread input.
func isReset(err error) bool {
	return err != nil && bytes.Contains([]byte(err.Error()), []byte("connection reset"))
}
