package faults_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/faults"
	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the generated matrix in docs/reliability.md")

// hostileConf is served by Debian's nginx and by sluice alike. Port 0 is
// the server under attack (return locations, and /proxy/ whose body is read
// by the proxy module), port 1 the proxy's backend, port 2 a server with
// large header buffers for header-count cases.
const hostileConf = `
error_log %%PREFIX%%/error.log info;
events {}
http {
    log_format faults '"$request" $status $body_bytes_sent rl=$request_length';
    access_log %%PREFIX%%/access.log faults;
    default_type text/plain;
    server_tokens off;
    client_header_timeout 1s;
    client_body_timeout 1s;
    lingering_timeout 1s;
    client_header_buffer_size 1k;
    large_client_header_buffers 4 2k;
    client_body_buffer_size 1k;
    client_max_body_size 64k;
    client_body_temp_path %%PREFIX%%/client_body_temp;
    proxy_temp_path %%PREFIX%%/proxy_temp;

    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location / { return 200 "$request_method $uri\n"; }
        location /proxy/ { proxy_pass http://127.0.0.1:%%PORT_1%%/; }
    }
    server {
        listen 127.0.0.1:%%PORT_1%%;
        server_name backend;
        access_log off;
        location / { return 200 "backend $request_method $uri $content_length\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_2%%;
        server_name big;
        large_client_header_buffers 4 64k;
        location / { return 200 "big $uri\n"; }
    }
}
`

// probe is a request appended to most cases: whether it is answered shows
// whether the server still parses the connection as requests, and its
// Connection: close makes the server end the exchange.
const probe = "GET /probe HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"

// env is the pair of servers the hostile cases run against.
type env struct {
	nginx  *oracle.Nginx
	sluice *servertest.Server
	// logs: nginx error, nginx access, sluice error, sluice access
	nErr, nAcc, sErr, sAcc faults.LogTail
	tempDirs               []string
}

func startEnv(t *testing.T) *env {
	t.Helper()
	e := &env{nginx: oracle.Start(t, hostileConf), sluice: servertest.Start(t, hostileConf)}
	e.nErr.Path = filepath.Join(e.nginx.Prefix(), "error.log")
	e.nAcc.Path = filepath.Join(e.nginx.Prefix(), "access.log")
	e.sErr.Path = filepath.Join(e.sluice.Prefix(), "error.log")
	e.sAcc.Path = filepath.Join(e.sluice.Prefix(), "access.log")
	e.tempDirs = []string{
		filepath.Join(e.sluice.Prefix(), "client_body_temp"),
		filepath.Join(e.sluice.Prefix(), "proxy_temp"),
	}
	return e
}

// result is one case's answers from both servers.
type result struct {
	c             hostileCase
	nginx, sluice faults.Outcome
	leaks         string // sluice's leaks after the case, "" for none
	diff          string // how sluice differs from what it is held to
	kinds         string // what differs, in a few words, for the matrix
}

// run plays the case against both servers at once and collects the
// outcomes with their log lines, then checks sluice for leaks.
func (e *env) run(t *testing.T, c hostileCase) result {
	t.Helper()
	base, err := faults.Snapshot(e.tempDirs...)
	if err != nil {
		t.Fatal(err)
	}
	nbase, err := faults.SnapshotProcess(e.worker(t), filepath.Join(e.nginx.Prefix(), "client_body_temp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []*faults.LogTail{&e.nErr, &e.nAcc, &e.sErr, &e.sAcc} {
		l.Mark()
	}
	port := c.port
	if port == "" {
		port = "0"
	}
	script := c.script
	if c.probe {
		last := len(script.Pieces) - 1
		script = script.Then()
		script.Pieces[last].Data += probe
	}
	var (
		wg             sync.WaitGroup
		nRaw, sRaw     faults.Raw
		nDialE, sDialE error
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		nRaw, nDialE = faults.Exchange(e.nginx.Addr(portIndex(port)), script)
	}()
	go func() {
		defer wg.Done()
		sRaw, sDialE = faults.Exchange(e.sluice.Addr(port), script)
	}()
	wg.Wait()
	if nDialE != nil || sDialE != nil {
		t.Fatalf("connect: nginx %v, sluice %v", nDialE, sDialE)
	}
	r := result{c: c, nginx: faults.Interpret(nRaw, c.head), sluice: faults.Interpret(sRaw, c.head)}
	// Both servers must be done with the connection (closed it, and so
	// written their log lines) before the logs are read: nginx's lingering
	// close, for one, shuts down its writing side before it logs.
	r.leaks = base.Settle(5 * time.Second)
	if left := nbase.Settle(5 * time.Second); left != "" {
		t.Errorf("nginx still holds resources 5s after the case:\n%s", left)
	}
	r.nginx.ErrorLog, r.nginx.AccessLog = faults.ErrorLines(e.nErr.Since()), faults.AccessLines(e.nAcc.Since())
	r.sluice.ErrorLog, r.sluice.AccessLog = faults.ErrorLines(e.sErr.Since()), faults.AccessLines(e.sAcc.Since())
	maskPaths(r.nginx.ErrorLog, e.nginx.Prefix())
	maskPaths(r.sluice.ErrorLog, strings.TrimSuffix(e.sluice.Prefix(), "/"))
	return r
}

// worker returns the pid of nginx's (single) worker process.
func (e *env) worker(t *testing.T) int {
	t.Helper()
	kids, err := faults.Children(e.nginx.PID())
	if err != nil || len(kids) != 1 {
		t.Fatalf("nginx (pid %d) should have one worker: %v %v", e.nginx.PID(), kids, err)
	}
	return kids[0]
}

var tempFileRE = regexp.MustCompile(`(PREFIX/[a-z_]+_temp/(?:[0-9]+/)*)([^ ,"/]+)`)

// maskPaths replaces, in log lines, the server's prefix directory with
// "PREFIX" and temp file names with their shape: nginx's ten-digit
// sequence numbers become "NNNNNNNNNN", any other name "<random name>".
func maskPaths(lines []string, prefix string) {
	for i, l := range lines {
		l = strings.ReplaceAll(l, prefix, "PREFIX")
		lines[i] = tempFileRE.ReplaceAllStringFunc(l, func(m string) string {
			sub := tempFileRE.FindStringSubmatch(m)
			if strings.Trim(sub[2], "0123456789") == "" {
				return sub[1] + strings.Repeat("N", len(sub[2]))
			}
			return sub[1] + "<random name>"
		})
	}
}

func portIndex(p string) int {
	var i int
	fmt.Sscan(p, &i)
	return i
}

// TestHostileClients runs every hostile case against nginx and sluice with
// the same configuration and holds sluice to nginx's answer: replies,
// whether the connection closed, error-log and access-log lines; it checks
// each case for leaked goroutines, descriptors and temp files. When every
// case ran it also checks (or, with -update, rewrites) the matrix in
// docs/reliability.md.
func TestHostileClients(t *testing.T) {
	warmUp(t)
	testutil.CheckLeaks(t)
	e := startEnv(t)
	var results []result
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			r := e.run(t, c)
			r.diff = r.judge()
			r.kinds = r.differingKinds()
			t.Logf("nginx: %s\n  %s", r.nginx.Summary(), strings.Join(r.nginx.Lines(), "\n  "))
			results = append(results, r)
			if r.diff != "" {
				t.Errorf("%s", r.diff)
			}
			if d := r.requestLengthDiff(); d != "" {
				t.Errorf("%s", d)
			}
			if r.leaks != "" {
				t.Errorf("sluice leaked after the case:\n%s", r.leaks)
			}
			if c.check != nil {
				for _, side := range []struct {
					name string
					o    faults.Outcome
				}{{"nginx", r.nginx}, {"sluice", r.sluice}} {
					if err := c.check(side.o); err != nil {
						t.Errorf("%s: %v", side.name, err)
					}
				}
			}
		})
	}
	for _, d := range e.tempDirs {
		if left := listNames(d); len(left) > 0 {
			t.Errorf("%s is not empty after the cases: %v", d, left)
		}
	}
	checkMatrix(t, results, len(hostileCases()))
}

// listNames returns the names in dir (none when it does not exist).
func listNames(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// judge compares sluice with nginx (or with nginx master's answer where
// the oracle's 1.22 differs), and nginx with the answer the table records,
// and returns a readable report of every difference.
func (r result) judge() string {
	var b strings.Builder
	c := r.c
	if c.want != "" && r.nginx.Summary() != c.want {
		fmt.Fprintf(&b, "nginx answered %q, the table says %q (has the oracle changed?):\n  %s\n", r.nginx.Summary(), c.want, strings.Join(r.nginx.Lines(), "\n  "))
	}
	if c.master != nil {
		if got := r.sluice.Summary(); got != c.master.summary {
			fmt.Fprintf(&b, "sluice answered %q, nginx %s answers %q:\n  %s\n", got, masterVersion, c.master.summary, strings.Join(r.sluice.Lines(), "\n  "))
		}
		if c.master.log != "" && !containsLine(r.sluice.ErrorLog, c.master.log) {
			fmt.Fprintf(&b, "sluice's error log lacks %q (nginx %s logs it):\n  %s\n", c.master.log, masterVersion, strings.Join(r.sluice.ErrorLog, "\n  "))
		}
		return b.String()
	}
	ng, _ := splitRequestLength(r.nginx)
	sl, _ := splitRequestLength(r.sluice)
	if d := faults.Diff(ng, sl, "nginx", "sluice"); d != "" {
		fmt.Fprintf(&b, "sluice differs from nginx:\n%s", d)
	}
	return b.String()
}

// differingKinds names what differs between sluice and what it is held to:
// "replies", "connection", "error log", "access log".
func (r result) differingKinds() string {
	if r.diff == "" {
		return ""
	}
	if r.c.master != nil {
		return "nginx master's answer"
	}
	a, _ := splitRequestLength(r.nginx)
	b, _ := splitRequestLength(r.sluice)
	var kinds []string
	join := func(l []string) string { return strings.Join(l, "\n") }
	var ra, rb []string
	for _, x := range a.Replies {
		ra = append(ra, x.String())
	}
	for _, x := range b.Replies {
		rb = append(rb, x.String())
	}
	if join(ra) != join(rb) || a.Garbage != b.Garbage {
		kinds = append(kinds, "replies")
	}
	if a.End != b.End {
		kinds = append(kinds, "connection")
	}
	if join(a.ErrorLog) != join(b.ErrorLog) {
		kinds = append(kinds, "error log")
	}
	if join(a.AccessLog) != join(b.AccessLog) {
		kinds = append(kinds, "access log")
	}
	if len(kinds) == 0 {
		return "nginx's answer changed"
	}
	return strings.Join(kinds, ", ")
}

// requestLengthDiff reports a difference in $request_length alone, which
// judge leaves out so that the matrix shows what the client sees.
func (r result) requestLengthDiff() string {
	if r.c.master != nil {
		return ""
	}
	_, a := splitRequestLength(r.nginx)
	_, b := splitRequestLength(r.sluice)
	na, sb := strings.Join(a, " "), strings.Join(b, " ")
	if d := r.c.rl; d != nil {
		var msgs []string
		if na != d.nginx {
			msgs = append(msgs, fmt.Sprintf("nginx logged $request_length %q, the table says %q (has the oracle changed?)", na, d.nginx))
		}
		if sb != d.sluice {
			msgs = append(msgs, fmt.Sprintf("sluice logged $request_length %q, want %q (a documented difference from nginx's %q)", sb, d.sluice, d.nginx))
		}
		return strings.Join(msgs, "\n")
	}
	if na == sb {
		return ""
	}
	return fmt.Sprintf("$request_length differs: nginx %v, sluice %v", a, b)
}

// splitRequestLength returns the outcome with " rl=N" cut from its access
// lines, and the N values.
func splitRequestLength(o faults.Outcome) (faults.Outcome, []string) {
	var rls []string
	lines := make([]string, len(o.AccessLog))
	for i, l := range o.AccessLog {
		if j := strings.LastIndex(l, " rl="); j >= 0 {
			rls = append(rls, l[j+4:])
			l = l[:j]
		}
		lines[i] = l
	}
	o.AccessLog = lines
	return o, rls
}

func parked() bool {
	for _, g := range testutil.Goroutines() {
		if strings.Contains(g.Stack, "parkSet") {
			return true
		}
	}
	return false
}

// warmUp starts and stops a sluice once, so that what sluice starts once
// per process and keeps (the park set for idle connections: a goroutine, an
// epoll descriptor and a pipe) is in the leak baselines, not counted as a
// leak of the first case.
func warmUp(t *testing.T) {
	t.Helper()
	t.Run("warm-up", func(t *testing.T) {
		s := servertest.Start(t, "events {}\nhttp { server { listen 127.0.0.1:%%PORT_0%%; return 200; } }\n")
		c := testutil.Dial(t, s.Addr("0"))
		// an idle connection is parked after a moment: wait for the park
		// set to exist (it may not, if sluice stops parking)
		deadline := time.Now().Add(2 * time.Second)
		for !parked() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond) // polling for a condition, bounded
		}
		if err := c.WriteString(get("/")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ReadResponse(); err != nil {
			t.Fatalf("warm-up request: %v", err)
		}
		c.Close()
	})
}

func containsLine(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}
