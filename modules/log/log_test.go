package log_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/servertest"
)

// drain retires the server's configuration as a stop or reload does:
// buffered logs are written.
func drain(s *servertest.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, svc := range s.Cycle().Services() {
		svc.Drain(ctx)
	}
}

// waitFor polls cond (a bounded wait for an asynchronous write).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const serverConf = `
events {}
http {
    root %%PREFIX%%;
    log_format test "$uri:$status";
    log_format parts "$bytes_sent $body_bytes_sent $request_length $status $pipe|$msec|$request_time|$time_local|$time_iso8601";
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
        %s
    }
}
`

func start(t *testing.T, body string) *servertest.Server {
	return servertest.Start(t, strings.Replace(serverConf, "%s", body, 1))
}

func TestLines(t *testing.T) {
	s := start(t, `
        location /a { access_log %%PREFIX%%/a.log test; return 200 "0123456789"; }
        location /bytes { access_log %%PREFIX%%/bytes.log "test"; return 200 "0123456789"; }
        location /in/ {
            access_log %%PREFIX%%/in.log test;
            location /in/nested { return 200; }
            location /in/own { access_log %%PREFIX%%/own.log test; return 200; }
        }
    `)
	tests := []struct {
		name, path, file, want string
	}{
		{"simple", "/a", "a.log", "/a:200\n"},
		{"inherited", "/in/nested", "in.log", "/in/nested:200\n"},
		{"own list replaces", "/in/own", "own.log", "/in/own:200\n"},
		{"not found in location", "/in/none", "in.log", "/in/nested:200\n/in/none:404\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			get(t, s.Addr("A"), tc.path)
			if got := readFile(t, filepath.Join(s.Prefix(), tc.file)); got != tc.want {
				t.Errorf("%s: %q, want %q", tc.file, got, tc.want)
			}
		})
	}
}

func TestBuiltinValues(t *testing.T) {
	s := start(t, `
        location /p { access_log %%PREFIX%%/p.log parts; return 200 "0123456789"; }
    `)
	req := "GET /p HTTP/1.0\r\nHost: localhost\r\n\r\n"
	c := exchange(t, s.Addr("A"), req)
	resp := c[0]
	line := readFile(t, filepath.Join(s.Prefix(), "p.log"))
	fields := strings.SplitN(strings.TrimSuffix(line, "\n"), "|", 5)
	if len(fields) != 5 {
		t.Fatalf("line %q", line)
	}
	head := strings.Fields(fields[0])
	total := strconv.Itoa(len(resp.Head) + len(resp.RawBody))
	if head[0] != total || head[1] != "10" || head[2] != strconv.Itoa(len(req)) || head[3] != "200" || head[4] != "." {
		t.Errorf("line %q: want bytes_sent %s body 10 length %d status 200 pipe .", line, total, len(req))
	}
	checks := []struct{ name, re, v string }{
		{"msec", `^\d{10}\.\d{3}$`, fields[1]},
		{"request_time", `^\d+\.\d{3}$`, fields[2]},
		{"time_local", `^\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}$`, fields[3]},
		{"time_iso8601", `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$`, fields[4]},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !regexp.MustCompile(c.re).MatchString(c.v) {
				t.Errorf("%q does not match %s", c.v, c.re)
			}
		})
	}
}

func TestBuffered(t *testing.T) {
	s := start(t, `
        location /b { access_log %%PREFIX%%/b.log test buffer=1k; return 200; }
        location /small { access_log %%PREFIX%%/small.log test buffer=16; return 200; }
        location /nob { access_log %%PREFIX%%/b.log test; return 200; }
    `)
	path := filepath.Join(s.Prefix(), "b.log")
	get(t, s.Addr("A"), "/b?1")
	get(t, s.Addr("A"), "/b?2")
	if got := readFile(t, path); got != "" {
		t.Fatalf("buffered lines were written at once: %q", got)
	}
	// a log without buffer= writing to the same file shares its buffer
	get(t, s.Addr("A"), "/nob")
	if got := readFile(t, path); got != "" {
		t.Fatalf("a line to the buffered file was written at once: %q", got)
	}

	small := filepath.Join(s.Prefix(), "small.log")
	get(t, s.Addr("A"), "/small/1")     // 13 bytes: buffered
	get(t, s.Addr("A"), "/small/2")     // does not fit: the first is written
	get(t, s.Addr("A"), "/small/abcde") // 17 bytes: larger than the buffer
	if got, want := readFile(t, small), "/small/1:200\n/small/2:200\n/small/abcde:200\n"; got != want {
		t.Errorf("small buffer: %q, want %q", got, want)
	}

	drain(s)
	if got, want := readFile(t, path), "/b:200\n/b:200\n/nob:200\n"; got != want {
		t.Errorf("after drain: %q, want %q", got, want)
	}
}

func TestFlushTimer(t *testing.T) {
	s := start(t, `
        location /f { access_log %%PREFIX%%/f.log test buffer=64k flush=20ms; return 200; }
    `)
	path := filepath.Join(s.Prefix(), "f.log")
	get(t, s.Addr("A"), "/f")
	waitFor(t, "the flush timer", func() bool { return readFile(t, path) == "/f:200\n" })
	get(t, s.Addr("A"), "/f/2")
	waitFor(t, "the second flush", func() bool { return readFile(t, path) == "/f:200\n/f/2:200\n" })
}

func TestGzip(t *testing.T) {
	s := start(t, `
        location /z { access_log %%PREFIX%%/z.log test gzip buffer=64k flush=10ms; return 200; }
        location /z9 { access_log %%PREFIX%%/z9.log test gzip=9; return 200; }
    `)
	get(t, s.Addr("A"), "/z")
	path := filepath.Join(s.Prefix(), "z.log")
	waitFor(t, "the compressed flush", func() bool { return readFile(t, path) != "" })
	get(t, s.Addr("A"), "/z/2")
	get(t, s.Addr("A"), "/z9")
	drain(s)
	tests := []struct{ file, want string }{
		{"z.log", "/z:200\n/z/2:200\n"},
		{"z9.log", "/z9:200\n"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			zr, err := gzip.NewReader(bytes.NewReader([]byte(readFile(t, filepath.Join(s.Prefix(), tc.file)))))
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(zr) // every gzip member in turn
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("%q, want %q", b, tc.want)
			}
		})
	}
}

// TestBufferNotReused is access_log.t's "noreuse": two logs share one
// buffered file, each with its own condition.
func TestBufferNotReused(t *testing.T) {
	s := start(t, `
        location /n {
            access_log %%PREFIX%%/n.log test buffer=16k if=$arg_a;
            access_log %%PREFIX%%/n.log test buffer=16k if=$arg_b;
            return 200;
        }
    `)
	for _, p := range []string{"/n/1zero?a=0", "/n/1good?a=1", "/n/2zero?b=0", "/n/2good?b=1"} {
		get(t, s.Addr("A"), p)
	}
	drain(s)
	if got, want := readFile(t, filepath.Join(s.Prefix(), "n.log")), "/n/1good:200\n/n/2good:200\n"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestOpenFileCache follows access_log.t's cache sequence: files kept
// open keep receiving lines after their directory moved away.
func TestOpenFileCache(t *testing.T) {
	s := start(t, `
        location /cache {
            open_log_file_cache max=3 inactive=20s valid=1m min_uses=2;
            access_log %%PREFIX%%/dir/cache_${arg_logname} test;
            return 200;
        }
    `)
	dir := filepath.Join(s.Prefix(), "dir")
	if err := os.Mkdir(dir, 0755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"lru", "lru", "once", "first", "first", "second", "second"} {
		get(t, s.Addr("A"), "/cache?logname="+n)
	}
	if err := os.Rename(dir, dir+"_moved"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"lru", "once", "first", "second"} {
		get(t, s.Addr("A"), "/cache?logname="+n)
	}
	if err := os.Rename(dir+"_moved", dir); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file  string
		lines int
	}{{"cache_lru", 2}, {"cache_once", 1}, {"cache_first", 3}, {"cache_second", 3}}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			if n := strings.Count(readFile(t, filepath.Join(dir, tc.file)), "\n"); n != tc.lines {
				t.Errorf("%d lines, want %d", n, tc.lines)
			}
		})
	}
	if strings.Contains(s.ErrorLog(), "[alert]") {
		t.Errorf("alerts in the error log:\n%s", s.ErrorLog())
	}
	if !strings.Contains(s.ErrorLog(), `[crit]`) || !strings.Contains(s.ErrorLog(), `cache_lru" failed (2: No such file or directory)`) {
		t.Errorf("error log lacks the failed open:\n%s", s.ErrorLog())
	}
}

// TestReopen renames a log and reopens the files as USR1 does: the next
// line goes to a new file under the old name.
func TestReopen(t *testing.T) {
	s := start(t, `location / { access_log %%PREFIX%%/r.log test; return 200; }`)
	path := filepath.Join(s.Prefix(), "r.log")
	get(t, s.Addr("A"), "/before")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	get(t, s.Addr("A"), "/renamed")
	if err := s.Cycle().Files.ReopenAll(); err != nil {
		t.Fatal(err)
	}
	get(t, s.Addr("A"), "/after")
	if got, want := readFile(t, path+".1"), "/before:200\n/renamed:200\n"; got != want {
		t.Errorf("old file %q, want %q", got, want)
	}
	if got, want := readFile(t, path), "/after:200\n"; got != want {
		t.Errorf("new file %q, want %q", got, want)
	}
}

// TestDefaultLog checks the implicit logs/access.log in the combined
// format, and that a missing logs/ directory does not stop sluice.
func TestDefaultLog(t *testing.T) {
	conf := "events {}\nhttp {\n    server {\n        listen 127.0.0.1:%%PORT_A%%;\n        location / { return 200 OK; }\n    }\n}\n"
	s := servertest.Start(t, conf)
	get(t, s.Addr("A"), "/")
	if _, err := os.Stat(filepath.Join(s.Prefix(), "logs")); !os.IsNotExist(err) {
		t.Fatalf("logs/ appeared: %v", err)
	}

	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "logs"), 0755); err != nil {
		t.Fatal(err)
	}
	if got := loadConfIn(t, dir, strings.Replace(conf, "%%PORT_A%%", "1", 1)); got != "" {
		t.Fatal(got)
	}
	if _, err := os.Stat(filepath.Join(dir, "logs", "access.log")); err != nil {
		t.Errorf("the default log was not created: %v", err)
	}
}
