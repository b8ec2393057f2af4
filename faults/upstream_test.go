package faults_test

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/faults"
	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	tu "github.com/sluicehq/sluice/internal/testutil"
)

// upstreamConf is served by Debian's nginx and by sluice alike, in front of
// the same scripted backends: PRIMARY plays the case's script, BACKUP
// always answers, MEMCACHED plays the case's script as a memcached server,
// REFUSED is a closed port.
const upstreamConf = `
error_log %%PREFIX%%/error.log info;
events {}
http {
    log_format up '"$request" $status $body_bytes_sent us=$upstream_status ua=$upstream_addr';
    access_log %%PREFIX%%/access.log up;
    server_tokens off;
    proxy_connect_timeout 1s;
    proxy_read_timeout 500ms;
    proxy_send_timeout 500ms;
    proxy_buffer_size 1k;
    proxy_buffers 4 1k;
    proxy_temp_path %%PREFIX%%/proxy_temp;
    memcached_read_timeout 500ms;

    upstream retry {
        server PRIMARY max_fails=0;
        server BACKUP backup;
    }
    upstream ka {
        server PRIMARY max_fails=0;
        keepalive 4;
    }

    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location /on/ { proxy_pass http://PRIMARY; }
        location /off/ { proxy_pass http://PRIMARY; proxy_buffering off; }
        location /retry/ { proxy_pass http://retry; }
        location /ka/ {
            proxy_pass http://ka;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location /mc/ {
            set $memcached_key $uri;
            memcached_pass MEMCACHED;
        }
        location /refused/ { proxy_pass http://REFUSED; }
    }
}
`

// upstreamResult is one case's answers from both servers.
type upstreamResult struct {
	c              upstreamCase
	nginx, sluice  faults.Outcome
	nConns, sConns string // backend connections each server made
	leaks          string
	diff           string
}

// upstreamEnv is the pair of servers and the backends they share.
type upstreamEnv struct {
	nginx                  *oracle.Nginx
	sluice                 *servertest.Server
	nErr, nAcc, sErr, sAcc faults.LogTail
	primary, backup, mc    *tu.Backend
	mu                     sync.Mutex
	script                 func(i int) tu.Script
	// base is the count of connections the primary (0) and memcached (1)
	// had accepted when the current exchange began.
	base    [2]int
	tempDir string
}

// current is the script of the primary's (which 0) or memcached's (1)
// connection i: the running case's, with connections numbered from 0 for
// each server's exchange.
func (e *upstreamEnv) current(which, i int) tu.Script {
	e.mu.Lock()
	s, base := e.script, e.base[which]
	e.mu.Unlock()
	if s == nil {
		return tu.Script{tu.Close()}
	}
	return s(i - base)
}

func startUpstreamEnv(t *testing.T) *upstreamEnv {
	t.Helper()
	e := &upstreamEnv{}
	e.primary = tu.StartBackendFunc(t, func(i int) tu.Script { return e.current(0, i) })
	e.mc = tu.StartBackendFunc(t, func(i int) tu.Script { return e.current(1, i) })
	e.backup = tu.StartBackendFunc(t, func(int) tu.Script {
		return tu.Script{tu.ReadRequest(), tu.Write(tu.HTTPResponse(200, "backup", "Connection: close")), tu.Close()}
	})
	conf := strings.NewReplacer("PRIMARY", e.primary.Addr(), "BACKUP", e.backup.Addr(),
		"MEMCACHED", e.mc.Addr(), "REFUSED", tu.RefusedAddr(t)).Replace(upstreamConf)
	e.nginx = oracle.Start(t, conf)
	e.sluice = servertest.Start(t, conf)
	e.nErr.Path = filepath.Join(e.nginx.Prefix(), "error.log")
	e.nAcc.Path = filepath.Join(e.nginx.Prefix(), "access.log")
	e.sErr.Path = filepath.Join(e.sluice.Prefix(), "error.log")
	e.sAcc.Path = filepath.Join(e.sluice.Prefix(), "access.log")
	e.tempDir = filepath.Join(e.sluice.Prefix(), "proxy_temp")
	return e
}

// accepted is how many connections each backend has accepted so far.
func (e *upstreamEnv) accepted() [3]int {
	return [3]int{e.primary.Accepted(), e.backup.Accepted(), e.mc.Accepted()}
}

// conns describes the backend connections made between two counts.
func conns(before, after [3]int) string {
	var parts []string
	for i, name := range []string{"primary", "backup", "memcached"} {
		if n := after[i] - before[i]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s×%d", name, n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// play runs the case against one server: the client's exchange, then the
// wait until the server has closed every backend connection (so its logs
// are written), and returns the outcome with its log lines.
func (e *upstreamEnv) play(t *testing.T, c upstreamCase, addr string, errLog, accLog *faults.LogTail) (faults.Outcome, string) {
	t.Helper()
	errLog.Mark()
	accLog.Mark()
	before := e.accepted()
	e.mu.Lock()
	e.base = [2]int{before[0], before[2]}
	e.mu.Unlock()
	script := faults.Once("GET " + c.path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	if c.req != nil {
		script = *c.req
	}
	raw, err := faults.Exchange(addr, script)
	if err != nil {
		t.Fatalf("connect %s: %v", addr, err)
	}
	for _, b := range []*tu.Backend{e.primary, e.backup, e.mc} {
		if !b.WaitFor(5*time.Second, func(b *tu.Backend) bool { return b.Open() == 0 }) {
			t.Errorf("a backend connection is still open 5s after the exchange")
		}
	}
	o := faults.Interpret(raw, false)
	// the access line is written when the request ends, which may follow
	// the client's view of the close by a moment
	deadline := time.Now().Add(3 * time.Second)
	for len(accLog.Since()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling for a condition, bounded by deadline
	}
	o.ErrorLog, o.AccessLog = faults.ErrorLines(errLog.Since()), faults.AccessLines(accLog.Since())
	return o, conns(before, e.accepted())
}

// TestUpstreamFaults plays every misbehaving backend behind nginx and
// sluice with the same configuration and holds sluice to nginx's answer:
// the client's replies and whether the connection closed, the error-log
// and access-log lines ($upstream_status, $upstream_addr), and the backend
// connections made (retries); each case is checked for leaked goroutines,
// descriptors and temp files. When every case ran it also checks (or, with
// -update, rewrites) the matrix in docs/reliability.md.
func TestUpstreamFaults(t *testing.T) {
	warmUp(t)
	tu.CheckLeaks(t)
	e := startUpstreamEnv(t)
	var results []upstreamResult
	for _, c := range upstreamCases() {
		t.Run(c.group+"/"+c.name, func(t *testing.T) {
			e.mu.Lock()
			e.script = c.backend
			e.mu.Unlock()
			r := upstreamResult{c: c}
			r.nginx, r.nConns = e.play(t, c, e.nginx.Addr(0), &e.nErr, &e.nAcc)
			base, err := faults.Snapshot(e.tempDir)
			if err != nil {
				t.Fatal(err)
			}
			r.sluice, r.sConns = e.play(t, c, e.sluice.Addr("0"), &e.sErr, &e.sAcc)
			r.leaks = base.Settle(5 * time.Second)
			t.Logf("nginx: %s, backend %s\n  %s", r.nginx.Summary(), r.nConns, strings.Join(r.nginx.Lines(), "\n  "))
			if c.want != "" && r.nginx.Summary() != c.want {
				t.Errorf("nginx answered %q, the table says %q (has the oracle changed?)", r.nginx.Summary(), c.want)
			}
			if m := c.master; m != nil {
				if got := r.sluice.Summary(); got != m.summary {
					r.diff = fmt.Sprintf("sluice answered %q, nginx %s answers %q", got, masterVersion, m.summary)
				} else if m.log != "" && !containsLine(r.sluice.ErrorLog, m.log) {
					r.diff = fmt.Sprintf("sluice's error log lacks %q (nginx %s logs it)", m.log, masterVersion)
				}
				if r.diff != "" {
					t.Errorf("%s:\n  %s", r.diff, strings.Join(r.sluice.Lines(), "\n  "))
				}
			} else if d := faults.Diff(loosen(r.nginx), loosen(r.sluice), "nginx", "sluice"); d != "" {
				r.diff = d
				t.Errorf("sluice differs from nginx:\n%s", d)
			}
			if r.nConns != r.sConns {
				r.diff += "backend connections: nginx " + r.nConns + ", sluice " + r.sConns
				t.Errorf("backend connections: nginx %s, sluice %s", r.nConns, r.sConns)
			}
			if r.leaks != "" {
				t.Errorf("sluice leaked after the case:\n%s", r.leaks)
			}
			results = append(results, r)
		})
	}
	if len(results) != len(upstreamCases()) {
		t.Logf("docs/reliability.md not checked: %d of %d cases ran", len(results), len(upstreamCases()))
		return
	}
	checkSection(t, upstreamSection, upstreamMatrix(results))
}

// eitherAction is what loosen writes for the action of a body-phase error.
const eitherAction = " while reading upstream|sending to client,"

// loosen leaves out of an outcome what nginx itself does not repeat from
// run to run, so that the comparison holds sluice to what nginx always
// does: the action named by an error in the body phase ("while reading
// upstream" when the close or reset came in an event of its own, "while
// sending to client" when it came with data in the same read), and how
// much of a body cut short reached the client (whether data read just
// before a reset is passed on depends on the same timing), and the byte
// count of a body the server chunked itself (how many chunks, each with
// its framing, depends on how the upstream's bytes fell into reads: one
// run of "chunked byte by byte" had nginx send two chunks, 25 bytes, and
// sluice one, 20). A cut body stays a cut body: its framing and
// INCOMPLETE mark are compared, as are a chunked body's bytes.
func loosen(o faults.Outcome) faults.Outcome {
	cut, chunked := false, false
	replies := make([]faults.Reply, len(o.Replies))
	for i, r := range o.Replies {
		if !r.Complete {
			cut = true
			r.Body = "<part>"
		}
		chunked = chunked || r.Framing == "chunked"
		replies[i] = r
	}
	o.Replies = replies
	errs := make([]string, len(o.ErrorLog))
	for i, l := range o.ErrorLog {
		l = strings.Replace(l, " while sending to client,", eitherAction, 1)
		errs[i] = strings.Replace(l, " while reading upstream,", eitherAction, 1)
	}
	o.ErrorLog = errs
	if cut || chunked {
		acc := make([]string, len(o.AccessLog))
		for i, l := range o.AccessLog {
			acc[i] = bodyBytesRE.ReplaceAllString(l, `" $1 <part> `)
		}
		o.AccessLog = acc
	}
	return o
}

// bodyBytesRE finds the status and $body_bytes_sent of an access line.
var bodyBytesRE = regexp.MustCompile(`" (\d{3}) \d+ `)

// upstreamMatrix renders the results as markdown tables, one per group.
func upstreamMatrix(results []upstreamResult) string {
	var b strings.Builder
	group := ""
	for _, r := range results {
		if r.c.group != group {
			group = r.c.group
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "### %s\n\n", group)
			b.WriteString("| case | nginx | sluice | backend connections | nginx's error log | leaks |\n|---|---|---|---|---|---|\n")
		}
		ng := r.nginx.Summary()
		if r.c.master != nil {
			ng = "1.22: " + ng + "; " + masterVersion + ": " + r.c.master.summary
		}
		sl := r.sluice.Summary() + " (same)"
		if r.diff != "" {
			sl = "**" + r.sluice.Summary() + "** (differs)"
		}
		// the loosened lines: the table must not change with nginx's timing
		logCell := logMessages(loosen(r.nginx).ErrorLog)
		if s := logMessages(loosen(r.sluice).ErrorLog); s != logCell {
			logCell += "<br>sluice: " + s
		}
		leaks := "none"
		if r.leaks != "" {
			leaks = "**leak**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", cell(r.c.name), cell(ng), cell(sl), r.nConns, logCell, leaks)
	}
	return b.String()
}
