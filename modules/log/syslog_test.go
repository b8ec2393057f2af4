package log_test

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// syslogReceiver is a datagram socket standing for a syslog server.
type syslogReceiver struct {
	t    testing.TB
	pc   net.PacketConn
	path string // unixgram only
}

func udpReceiver(t testing.TB) *syslogReceiver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return &syslogReceiver{t: t, pc: pc}
}

func unixgramReceiver(t testing.TB) *syslogReceiver {
	t.Helper()
	path := filepath.Join(t.TempDir(), "syslog.sock")
	pc, err := net.ListenPacket("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return &syslogReceiver{t: t, pc: pc, path: path}
}

// server is the "server=" value for the receiver.
func (r *syslogReceiver) server() string {
	if r.path != "" {
		return "unix:" + r.path
	}
	return r.pc.LocalAddr().String()
}

func (r *syslogReceiver) port() int { return r.pc.LocalAddr().(*net.UDPAddr).Port }

// collect returns the datagrams received until none came for idle, once
// the first want have come: those are waited for up to
// testutil.DefaultTimeout, since a request is logged after its response
// is sent, and a server slowed by load may log later than idle.
func (r *syslogReceiver) collect(want int, idle time.Duration) []string {
	var out []string
	buf := make([]byte, 1<<17)
	hard := time.Now().Add(testutil.DefaultTimeout)
	for {
		if len(out) < want {
			r.pc.SetReadDeadline(hard)
		} else {
			r.pc.SetReadDeadline(time.Now().Add(idle))
		}
		n, _, err := r.pc.ReadFrom(buf)
		if err != nil {
			return out
		}
		out = append(out, string(buf[:n]))
	}
}

// header matches a message's PRI and HEADER parts; its groups are the PRI,
// the time stamp, the host name with its space (empty with nohostname)
// and the tag.
var header = regexp.MustCompile(`^<(\d{1,3})>([A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d) (\S+ )?(\w{0,32}): `)

// errorLine matches the start of an error log line inside a message.
var errorLine = regexp.MustCompile(`\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (\*\d+ )?`)

func hostname(t testing.TB) string {
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToLower(h)
}

// TestSyslog: access_log and error_log destinations at every level, with
// their parameters, formats, filters and inheritance; one datagram per
// message.
func TestSyslog(t *testing.T) {
	acc, errs, mainLog, ux := udpReceiver(t), udpReceiver(t), udpReceiver(t), unixgramReceiver(t)
	conf := strings.NewReplacer("ACC", acc.server(), "ERR", errs.server(), "MAIN", mainLog.server(), "UX", ux.server()).Replace(`
error_log %%PREFIX%%/error.log debug;
error_log syslog:server=MAIN,tag=main notice;
events {}
http {
    root %%PREFIX%%/html;
    log_format logf "$uri:$status";
    log_format json escape=json '{"uri":"$uri","a":"$arg_a"}';
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
        location /combined { access_log syslog:server=ACC; return 200 "twelve bytes"; }
        location /logf { access_log syslog:server=ACC logf; return 200; }
        location /params { access_log syslog:severity=alert,server=ACC,facility=user,tag=SEE_this logf; return 204; }
        location /nohostname { access_log syslog:server=ACC,nohostname,tag= logf; return 200; }
        location /json { access_log syslog:server=ACC json; return 200; }
        location /if { access_log syslog:server=ACC logf if=$arg_logme; return 200; }
        location /two {
            access_log syslog:server=ACC logf;
            access_log %%PREFIX%%/two.log logf;
            access_log syslog:server=ACC,facility=daemon logf;
            return 200;
        }
        location /outer {
            access_log syslog:server=ACC logf;
            location /outer/inherit { return 200; }
            location /outer/off { access_log off; return 200; }
        }
        location /unix { access_log syslog:server=UX,facility=local0 logf; return 200; }
        location /err { error_log syslog:server=ERR info; }
        location /errparams { error_log syslog:server=ERR,facility=user,severity=debug,tag=errs,nohostname warn; }
        location /crit { error_log syslog:server=ERR crit; }
        location /errtwo { error_log syslog:server=ERR; error_log %%PREFIX%%/loc.log; error_log syslog:server=ERR,tag=second; }
    }
}
`)
	s := servertest.Start(t, conf)
	host := hostname(t)
	tests := []struct {
		name, path string
		r          *syslogReceiver
		// want are the messages with the time stamp written STAMP, the
		// host name HOST and the prefix PREFIX; an error log line's time
		// and pid are written TIME and PID
		want []string
	}{
		{name: "combined", path: "/combined", r: acc,
			want: []string{`<190>STAMP HOST nginx: 127.0.0.1 - - [LOCALTIME] "GET /combined HTTP/1.0" 200 12 "-" "-"`}},
		{name: "format", path: "/logf?x", r: acc, want: []string{"<190>STAMP HOST nginx: /logf:200"}},
		{name: "parameters", path: "/params", r: acc, want: []string{"<9>STAMP HOST SEE_this: /params:204"}},
		{name: "nohostname", path: "/nohostname", r: acc, want: []string{"<190>STAMP : /nohostname:200"}},
		{name: "json", path: `/json?a="x"`, r: acc, want: []string{`<190>STAMP HOST nginx: {"uri":"/json","a":"\"x\""}`}},
		{name: "if empty", path: "/if?logme=", r: acc},
		{name: "if zero", path: "/if?logme=0", r: acc},
		{name: "if set", path: "/if?logme=yes", r: acc, want: []string{"<190>STAMP HOST nginx: /if:200"}},
		{name: "several logs", path: "/two", r: acc, want: []string{"<190>STAMP HOST nginx: /two:200", "<30>STAMP HOST nginx: /two:200"}},
		{name: "inherited", path: "/outer/inherit", r: acc, want: []string{"<190>STAMP HOST nginx: /outer/inherit:200"}},
		{name: "off", path: "/outer/off", r: acc},
		{name: "unix socket", path: "/unix", r: ux, want: []string{"<134>STAMP HOST nginx: /unix:200"}},
		{name: "error_log", path: "/err", r: errs, want: []string{
			`<187>STAMP HOST nginx: TIME [error] PID: *N open() "PREFIXhtml/err" failed (2: No such file or directory), client: 127.0.0.1, server: localhost, request: "GET /err HTTP/1.0", host: "localhost"`}},
		{name: "error_log parameters", path: "/errparams", r: errs, want: []string{
			`<11>STAMP errs: TIME [error] PID: *N open() "PREFIXhtml/errparams" failed (2: No such file or directory), client: 127.0.0.1, server: localhost, request: "GET /errparams HTTP/1.0", host: "localhost"`}},
		{name: "error_log level above", path: "/crit", r: errs},
		{name: "error_log several", path: "/errtwo", r: errs, want: []string{
			`<187>STAMP HOST nginx: TIME [error] PID: *N open() "PREFIXhtml/errtwo" failed (2: No such file or directory), client: 127.0.0.1, server: localhost, request: "GET /errtwo HTTP/1.0", host: "localhost"`,
			`<187>STAMP HOST second: TIME [error] PID: *N open() "PREFIXhtml/errtwo" failed (2: No such file or directory), client: 127.0.0.1, server: localhost, request: "GET /errtwo HTTP/1.0", host: "localhost"`}},
	}
	norm := func(m string) string {
		m = header.ReplaceAllStringFunc(m, func(h string) string {
			g := header.FindStringSubmatch(h)
			if g[3] != "" && g[3] != host+" " {
				t.Errorf("host name %q, want %q", g[3], host)
			}
			return strings.Replace(h, g[2], "STAMP", 1)
		})
		m = strings.Replace(m, " "+host+" ", " HOST ", 1)
		m = errorLine.ReplaceAllString(m, "TIME [$1] PID: *N ")
		m = timeLocal.ReplaceAllString(m, "[LOCALTIME]")
		return strings.ReplaceAll(m, s.Prefix(), "PREFIX")
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			get(t, s.Addr("A"), tc.path)
			got := tc.r.collect(len(tc.want), 100*time.Millisecond)
			for i := range got {
				got[i] = norm(got[i])
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("datagrams:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	if got := s.ReadFile("two.log"); got != "/two:200\n" {
		t.Errorf("two.log: %q", got)
	}
	if got := s.ReadFile("loc.log"); !strings.Contains(got, `open() "`+s.Prefix()+`html/errtwo" failed`) {
		t.Errorf("loc.log: %q", got)
	}
	// the main level's syslog got nothing: no notice or more severe line
	if got := mainLog.collect(0, 50*time.Millisecond); len(got) != 0 {
		t.Errorf("main error_log syslog: %q", got)
	}
}

// TestSyslogMainLevel: a main-level syslog error_log gets the lines of
// the main log, each with its own level, while the files next to it get
// them too.
func TestSyslogMainLevel(t *testing.T) {
	mainLog := udpReceiver(t)
	// a port nobody listens on: the access log's failures go to the main log
	closed := udpReceiver(t)
	closedAddr := closed.server()
	closed.pc.Close()
	s := servertest.Start(t, strings.NewReplacer("MAIN", mainLog.server(), "CLOSED", closedAddr).Replace(`
error_log syslog:server=MAIN,facility=local3 info;
error_log %%PREFIX%%/error.log info;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / { access_log syslog:server=CLOSED; return 200; }
    }
}
`))
	// until the ICMP answer of the closed port fails a send
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.ErrorLog(), "send() to syslog failed") {
		if time.Now().After(deadline) {
			t.Fatalf("no send failure:\n%s", s.ErrorLog())
		}
		get(t, s.Addr("A"), "/")
		time.Sleep(5 * time.Millisecond)
	}
	got := mainLog.collect(2, 100*time.Millisecond)
	want := []string{
		// the peer's failure on the main log, at level error (local3 = 19)
		"<155>STAMP HOST nginx: TIME [error] PID: send() failed (111: Connection refused) while logging to syslog, server: " + closedAddr,
		// the access log's warning on the request's log, here the main log
		`<156>STAMP HOST nginx: TIME [warn] PID: *N send() to syslog failed while logging request, client: 127.0.0.1, server: , request: "GET / HTTP/1.0", host: "localhost"`,
	}
	host := hostname(t)
	var msgs []string
	for _, m := range got {
		m = header.ReplaceAllStringFunc(m, func(h string) string {
			g := header.FindStringSubmatch(h)
			return strings.Replace(strings.Replace(h, g[2], "STAMP", 1), " "+host+" ", " HOST ", 1)
		})
		msgs = append(msgs, errorLine.ReplaceAllStringFunc(m, func(l string) string {
			if g := errorLine.FindStringSubmatch(l); g[2] != "" {
				return "TIME [" + g[1] + "] PID: *N "
			}
			return "TIME [" + errorLine.FindStringSubmatch(l)[1] + "] PID: "
		}))
	}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Errorf("main syslog:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
	// the file has the same lines
	log := s.ErrorLog()
	for _, w := range []string{
		"[error] " + strconv.Itoa(os.Getpid()) + "#" + strconv.Itoa(os.Getpid()) + ": send() failed (111: Connection refused) while logging to syslog, server: " + closedAddr + "\n",
		`[warn] ` + strconv.Itoa(os.Getpid()) + "#" + strconv.Itoa(os.Getpid()) + `: *`,
		`send() to syslog failed while logging request, client: 127.0.0.1, server: , request: "GET / HTTP/1.0", host: "localhost"` + "\n",
	} {
		if !strings.Contains(log, w) {
			t.Errorf("error log lacks %q:\n%s", w, log)
		}
	}
}

// udpSocketsTo counts this machine's UDP sockets connected to port on
// 127.0.0.1 (from /proc/net/udp).
func udpSocketsTo(t testing.TB, port int) int {
	t.Helper()
	f, err := os.Open("/proc/net/udp")
	if err != nil {
		t.Skipf("no /proc/net/udp: %v", err)
	}
	defer f.Close()
	want := "0100007F:" + strings.ToUpper(strconv.FormatInt(int64(port), 16))
	for len(want) < len("0100007F:")+4 {
		want = want[:9] + "0" + want[9:]
	}
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 2 && fields[2] == want {
			n++
		}
	}
	return n
}

// TestSyslogReload: each configuration connects its own sockets at their
// first message; a reload closes those of the configuration it replaces
// once it has drained, and a failed reload leaves none behind.
func TestSyslogReload(t *testing.T) {
	rcv := udpReceiver(t)
	conf := strings.ReplaceAll(`
events {}
error_log %%PREFIX%%/error.log info;
error_log syslog:server=RCV,tag=main info;
http {
    access_log off;
    log_format logf "$uri:$status";
    server {
        listen 127.0.0.1:%%PORT_A%%;
        error_log syslog:server=RCV,tag=srv;
        location / { access_log syslog:server=RCV,tag=TAG logf; return 200; }
        location /missing { root %%PREFIX%%/none; }
    }
}
`, "RCV", rcv.server())
	s := servertest.Start(t, strings.ReplaceAll(conf, "TAG", "first"))
	if n := udpSocketsTo(t, rcv.port()); n != 0 {
		t.Fatalf("%d sockets before the first message", n)
	}
	get(t, s.Addr("A"), "/")
	get(t, s.Addr("A"), "/missing")
	if got := rcv.collect(2, 100*time.Millisecond); len(got) != 2 || !strings.HasSuffix(got[0], " first: /:200") || !strings.Contains(got[1], " srv: ") {
		t.Fatalf("datagrams %q", got)
	}
	if n := udpSocketsTo(t, rcv.port()); n != 2 {
		t.Fatalf("%d sockets, want 2 (access_log, server's error_log)", n)
	}
	for i := range 5 {
		s.Reload(strings.ReplaceAll(conf, "TAG", "reload"+strconv.Itoa(i)))
		get(t, s.Addr("A"), "/")
		waitFor(t, "the old configuration's sockets to close", func() bool { return udpSocketsTo(t, rcv.port()) == 1 })
		if got := rcv.collect(1, 100*time.Millisecond); len(got) != 1 || !strings.Contains(got[0], " reload"+strconv.Itoa(i)+": /:200") {
			t.Fatalf("datagrams %q", got)
		}
	}
	// the main log's peer sends (and connects) too
	if err := s.TryReload(conf + "\nbad;\n"); err == nil {
		t.Fatal("a bad configuration loaded")
	}
	s.Cycle().Log.Logf(errlog.Warn, nil, nil, "a main level message")
	if got := rcv.collect(1, 100*time.Millisecond); len(got) != 1 || !strings.Contains(got[0], "<188>") || !strings.Contains(got[0], " main: ") || !strings.HasSuffix(got[0], ": a main level message") {
		t.Fatalf("datagrams %q", got)
	}
	if n := udpSocketsTo(t, rcv.port()); n != 2 {
		t.Errorf("%d sockets, want 2 (access_log, main error_log)", n)
	}
	s.Cycle().Close()
	if n := udpSocketsTo(t, rcv.port()); n != 0 {
		t.Errorf("%d sockets after the configuration closed", n)
	}
}
