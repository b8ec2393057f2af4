package syslog

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/errlog"
)

// lookupStub resolves "localhost" and "dual" without the network.
func lookupStub(host string) ([]netip.Addr, error) {
	switch host {
	case "localhost":
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	case "dual":
		return []netip.Addr{netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.2")}, nil
	}
	return nil, errors.New("no such host")
}

func TestParse(t *testing.T) {
	long := strings.Repeat("a", 300) + ".sock"
	tests := []struct {
		name, arg string
		// the peer's parameters, as "server facility severity tag nohostname"
		want string
		err  string
	}{
		{name: "defaults", arg: "syslog:server=127.0.0.1", want: "127.0.0.1:514 23 6 nginx false"},
		{name: "port", arg: "syslog:server=127.0.0.1:5140", want: "127.0.0.1:5140 23 6 nginx false"},
		{name: "ipv6", arg: "syslog:server=[::1]", want: "[::1]:514 23 6 nginx false"},
		{name: "ipv6 port", arg: "syslog:server=[::1]:99", want: "[::1]:99 23 6 nginx false"},
		{name: "unix", arg: "syslog:server=unix:/dev/log", want: "unix:/dev/log 23 6 nginx false"},
		{name: "host name", arg: "syslog:server=localhost:7", want: "127.0.0.1:7 23 6 nginx false"},
		{name: "first address", arg: "syslog:server=dual", want: "[::1]:514 23 6 nginx false"},
		{name: "everything", arg: "syslog:facility=user,severity=alert,tag=SEE_this1,nohostname,server=127.0.0.1",
			want: "127.0.0.1:514 1 1 SEE_this1 true"},
		{name: "kern and debug", arg: "syslog:server=127.0.0.1,facility=kern,severity=debug", want: "127.0.0.1:514 0 7 nginx false"},
		{name: "local0 emerg", arg: "syslog:server=127.0.0.1,facility=local0,severity=emerg", want: "127.0.0.1:514 16 0 nginx false"},
		{name: "empty tag", arg: "syslog:server=127.0.0.1,tag=", want: "127.0.0.1:514 23 6  false"},
		{name: "tag of 32", arg: "syslog:server=127.0.0.1,tag=" + strings.Repeat("x", 32), want: "127.0.0.1:514 23 6 " + strings.Repeat("x", 32) + " false"},
		{name: "nohostname twice", arg: "syslog:server=127.0.0.1,nohostname,nohostname", want: "127.0.0.1:514 23 6 nginx true"},

		{name: "nothing", arg: "syslog:", err: `unknown syslog parameter ""`},
		{name: "no server", arg: "syslog:facility=user", err: "no syslog server specified"},
		{name: "nohostname only", arg: "syslog:nohostname", err: "no syslog server specified"},
		{name: "trailing comma", arg: "syslog:server=127.0.0.1,", err: `unknown syslog parameter ""`},
		{name: "unknown", arg: "syslog:server=127.0.0.1,foo=bar,x", err: `unknown syslog parameter "foo=bar"`},
		{name: "nohostname with value", arg: "syslog:server=127.0.0.1,nohostname=1", err: `unknown syslog parameter "nohostname=1"`},
		{name: "server without =", arg: "syslog:server", err: `unknown syslog parameter "server"`},
		{name: "duplicate server", arg: "syslog:server=127.0.0.1,server=127.0.0.2", err: `duplicate syslog "server"`},
		{name: "duplicate facility", arg: "syslog:server=127.0.0.1,facility=user,facility=user", err: `duplicate syslog "facility"`},
		{name: "duplicate severity", arg: "syslog:severity=info,severity=info", err: `duplicate syslog "severity"`},
		{name: "duplicate tag", arg: "syslog:tag=a,tag=b", err: `duplicate syslog "tag"`},
		{name: "bad facility", arg: "syslog:server=127.0.0.1,facility=local8", err: `unknown syslog facility "local8"`},
		{name: "facility case", arg: "syslog:server=127.0.0.1,facility=USER", err: `unknown syslog facility "USER"`},
		{name: "syslog severity name", arg: "syslog:server=127.0.0.1,severity=err", err: `unknown syslog severity "err"`},
		{name: "empty severity", arg: "syslog:server=127.0.0.1,severity=", err: `unknown syslog severity ""`},
		{name: "tag too long", arg: "syslog:server=127.0.0.1,tag=" + strings.Repeat("x", 33), err: "syslog tag length exceeds 32"},
		{name: "tag dash", arg: "syslog:server=127.0.0.1,tag=a-b", err: `syslog "tag" only allows alphanumeric characters and underscore`},
		{name: "tag colon", arg: "syslog:server=127.0.0.1,tag=a:", err: `syslog "tag" only allows alphanumeric characters and underscore`},
		{name: "empty server", arg: "syslog:server=", err: `no host in syslog server ""`},
		{name: "bad port", arg: "syslog:server=127.0.0.1:x", err: `invalid port in syslog server "127.0.0.1:x"`},
		{name: "port zero", arg: "syslog:server=127.0.0.1:0", err: `invalid port in syslog server "127.0.0.1:0"`},
		{name: "uri", arg: "syslog:server=127.0.0.1/x", err: `invalid host in syslog server "127.0.0.1/x"`},
		{name: "bad ipv6", arg: "syslog:server=[::1", err: `invalid host in syslog server "[::1"`},
		{name: "ipv6 not an address", arg: "syslog:server=[x]", err: `invalid IPv6 address in syslog server "[x]"`},
		{name: "unknown host", arg: "syslog:server=nosuch", err: `host not found in syslog server "nosuch"`},
		{name: "unix no path", arg: "syslog:server=unix:", err: `no path in the unix domain socket in syslog server "unix:"`},
		{name: "unix long path", arg: "syslog:server=unix:/" + long, err: `too long path in the unix domain socket in syslog server "unix:/` + long + `"`},
		{name: "error before missing server", arg: "syslog:tag=a-b", err: `syslog "tag" only allows alphanumeric characters and underscore`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parse(tc.arg, nil, lookupStub)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join([]string{p.Server.Name, itoa(p.Facility), itoa(p.Severity), p.Tag, map[bool]string{true: "true", false: "false"}[p.NoHostname]}, " ")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func TestHostname(t *testing.T) {
	h, _ := os.Hostname()
	p, err := Parse("syslog:server=127.0.0.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.hostname != strings.ToLower(h) {
		t.Errorf("hostname %q, want %q", p.hostname, strings.ToLower(h))
	}
}

func TestAppendHeader(t *testing.T) {
	loc := time.FixedZone("X", 3*3600)
	tests := []struct {
		name, arg string
		now       time.Time
		sev       int
		want      string
	}{
		{name: "day padded", arg: "syslog:server=127.0.0.1", now: time.Date(2026, 1, 2, 3, 4, 5, 0, loc), sev: 6,
			want: "<190>Jan  2 03:04:05 HOST nginx: "},
		{name: "two digit day", arg: "syslog:server=127.0.0.1,facility=user,tag=T", now: time.Date(2026, 12, 31, 23, 59, 59, 0, loc), sev: 3,
			want: "<11>Dec 31 23:59:59 HOST T: "},
		{name: "kern emerg", arg: "syslog:server=127.0.0.1,facility=kern,nohostname", now: time.Date(2026, 11, 22, 10, 0, 0, 0, loc), sev: 0,
			want: "<0>Nov 22 10:00:00 nginx: "},
		{name: "empty tag", arg: "syslog:server=127.0.0.1,tag=", now: time.Date(2026, 5, 9, 0, 0, 0, 0, loc), sev: 7,
			want: "<191>May  9 00:00:00 HOST : "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.arg, nil)
			if err != nil {
				t.Fatal(err)
			}
			p.hostname = "HOST"
			got := string(p.AppendHeader(nil, tc.now, tc.sev))
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if len(got) > p.HeaderLen() {
				t.Errorf("header %d bytes, HeaderLen %d", len(got), p.HeaderLen())
			}
		})
	}
	// the cached stamp follows the second and the time's zone
	p, _ := Parse("syslog:server=127.0.0.1,nohostname", nil)
	a := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for i := range 3 {
		now := a.Add(time.Duration(i) * time.Second)
		if got, want := string(p.AppendHeader(nil, now, 6)), "<190>"+now.Format("Jan _2 15:04:05")+" nginx: "; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// receiver is a datagram socket the tests read messages from.
type receiver struct {
	t  *testing.T
	pc net.PacketConn
}

func listenUDP(t *testing.T) *receiver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return &receiver{t: t, pc: pc}
}

func listenUnixgram(t *testing.T) (*receiver, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "log.sock")
	pc, err := net.ListenPacket("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return &receiver{t: t, pc: pc}, path
}

func (r *receiver) port() string {
	_, port, _ := net.SplitHostPort(r.pc.LocalAddr().String())
	return port
}

// next returns the next datagram, failing after a second without one.
func (r *receiver) next() string {
	r.t.Helper()
	buf := make([]byte, 70000)
	r.pc.SetReadDeadline(time.Now().Add(time.Second))
	n, _, err := r.pc.ReadFrom(buf)
	if err != nil {
		r.t.Fatalf("no datagram: %v", err)
	}
	return string(buf[:n])
}

// none checks that no datagram arrives within 50ms.
func (r *receiver) none() {
	r.t.Helper()
	buf := make([]byte, 70000)
	r.pc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, _, err := r.pc.ReadFrom(buf); err == nil {
		r.t.Fatalf("unexpected datagram %q", buf[:n])
	}
}

// fileLog is a Log writing to a file of the test at level lv, and the
// function returning what it holds.
func fileLog(t *testing.T, lv errlog.Level, more ...errlog.Sink) (*errlog.Log, func() string) {
	t.Helper()
	files := errlog.NewFiles()
	t.Cleanup(files.CloseAll)
	path := filepath.Join(t.TempDir(), "error.log")
	f, err := files.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return errlog.New(append([]errlog.Sink{{File: f, Level: lv}}, more...)...), func() string {
		b, _ := os.ReadFile(path)
		return string(b)
	}
}

var stampRE = regexp.MustCompile(`^<(\d+)>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\S+ )?(\w*): `)

func TestWriteLog(t *testing.T) {
	rcv := listenUDP(t)
	p, err := Parse("syslog:server=127.0.0.1:"+rcv.port()+",severity=emerg", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	host := p.hostname
	long := strings.Repeat("x", errlog.MaxLine-1)
	now := time.Now()
	tests := []struct {
		name string
		lv   errlog.Level
		line string
		want string
	}{
		{name: "error", lv: errlog.Error, line: "2026/01/02 03:04:05 [error] 1#1: *1 boom\n", want: "<187>STAMP HOST nginx: 2026/01/02 03:04:05 [error] 1#1: *1 boom"},
		{name: "emerg", lv: errlog.Emerg, line: "x\n", want: "<184>STAMP HOST nginx: x"},
		{name: "debug", lv: errlog.Debug, line: "x\n", want: "<191>STAMP HOST nginx: x"},
		{name: "info", lv: errlog.Info, line: "x\n", want: "<190>STAMP HOST nginx: x"},
		{name: "no line feed", lv: errlog.Warn, line: "x", want: "<188>STAMP HOST nginx: x"},
		{name: "NUL cuts", lv: errlog.Notice, line: "a\x00b\n", want: "<189>STAMP HOST nginx: a"},
		{name: "longest line", lv: errlog.Crit, line: long + "\n", want: "<186>STAMP HOST nginx: " + long},
	}
	stamp := now.Format("Jan _2 15:04:05")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p.WriteLog(now, tc.lv, []byte(tc.line), nil)
			want := strings.NewReplacer("STAMP", stamp, "HOST", host).Replace(tc.want)
			if got := rcv.next(); got != want {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
	t.Run("cut to MaxMessage", func(t *testing.T) {
		p.WriteLog(now, errlog.Error, []byte(strings.Repeat("y", 3*MaxMessage)), nil)
		got := rcv.next()
		if len(got) != MaxMessage || !strings.HasSuffix(got, "yyyy") {
			t.Errorf("%d bytes, want %d", len(got), MaxMessage)
		}
	})
}

func TestSendUnixgram(t *testing.T) {
	rcv, path := listenUnixgram(t)
	p, err := Parse("syslog:server=unix:"+path+",facility=daemon,tag=app,nohostname", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, msg := range []string{"one", "two"} {
		b := p.AppendHeader(nil, time.Now(), p.Severity)
		b = append(b, msg...)
		if n, err := p.Send(b); err != nil || n != len(b) {
			t.Fatalf("Send: %d, %v", n, err)
		}
		got := rcv.next()
		m := stampRE.FindStringSubmatch(got)
		if m == nil || m[1] != "30" || m[3] != "" || m[4] != "app" || !strings.HasSuffix(got, ": "+msg) {
			t.Errorf("got %q", got)
		}
	}
}

// TestSendFailures: what a peer logs when it cannot send, as nginx logs it,
// and that it makes a new socket for the next message.
func TestSendFailures(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		// a port nobody listens on: the first datagram goes, the ICMP
		// answer makes a later send fail
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := pc.LocalAddr().String()
		pc.Close()
		log, read := fileLog(t, errlog.Info)
		p, err := Parse("syslog:server="+addr, log)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		var sendErr error
		for i := 0; i < 50 && sendErr == nil; i++ {
			_, sendErr = p.Send([]byte("x"))
			time.Sleep(5 * time.Millisecond)
		}
		if sendErr != syscall.ECONNREFUSED {
			t.Fatalf("send error %v, want ECONNREFUSED", sendErr)
		}
		if p.Connected() {
			t.Errorf("the socket stays open after a failed send")
		}
		want := "[error] " + itoa(os.Getpid()) + "#" + itoa(os.Getpid()) + ": send() failed (111: Connection refused) while logging to syslog, server: " + addr + "\n"
		if got := read(); !strings.HasSuffix(got, want) || strings.Count(got, "\n") != 1 {
			t.Errorf("error log:\n%s\nwant one line ending\n%s", got, want)
		}
		// the next message makes a new socket
		if _, err := p.Send([]byte("x")); err != nil || !p.Connected() {
			t.Errorf("after the failure: %v, connected %v", err, p.Connected())
		}
	})
	t.Run("unix path missing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "none.sock")
		log, read := fileLog(t, errlog.Info)
		p, err := Parse("syslog:server=unix:"+path, log)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		for range 2 {
			if _, err := p.Send([]byte("x")); err != syscall.ENOENT {
				t.Fatalf("send error %v, want ENOENT", err)
			}
		}
		want := "[alert] " + itoa(os.Getpid()) + "#" + itoa(os.Getpid()) + ": connect() failed (2: No such file or directory) while logging to syslog, server: unix:" + path + "\n"
		if got := read(); strings.Count(got, want) != 2 || strings.Count(got, "\n") != 2 {
			t.Errorf("error log:\n%s\nwant twice\n%s", got, want)
		}
	})
	t.Run("message too long", func(t *testing.T) {
		rcv := listenUDP(t)
		log, read := fileLog(t, errlog.Info)
		p, err := Parse("syslog:server=127.0.0.1:"+rcv.port(), log)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if _, err := p.Send(make([]byte, 70000)); err != syscall.EMSGSIZE {
			t.Fatalf("send error %v, want EMSGSIZE", err)
		}
		if got := read(); !strings.Contains(got, "[alert] ") || !strings.Contains(got, ": send() failed (90: Message too long) while logging to syslog, server: 127.0.0.1:"+rcv.port()+"\n") {
			t.Errorf("error log:\n%s", got)
		}
		if _, err := p.Send([]byte("ok")); err != nil || rcv.next() != "ok" {
			t.Errorf("after the failure: %v", err)
		}
	})
}

// TestOwnFailures: a peer in the log it reports to does not receive its
// own failures (nginx's busy flag), while the other destinations do; a
// second failing peer reports to the first and no loop follows.
func TestOwnFailures(t *testing.T) {
	dir := t.TempDir()
	a, err := Parse("syslog:server=unix:"+filepath.Join(dir, "a.sock"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("syslog:server=unix:"+filepath.Join(dir, "b.sock"), nil)
	if err != nil {
		t.Fatal(err)
	}
	log, read := fileLog(t, errlog.Info, errlog.Sink{Writer: a, Level: errlog.Info}, errlog.Sink{Writer: b, Level: errlog.Info})
	a.log, b.log = log, log
	done := make(chan struct{})
	go func() {
		defer close(done)
		log.Logf(errlog.Error, nil, nil, "first")
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("logging a line through two failing syslog peers does not end")
	}
	got := read()
	// "first" to the file, then a's failure (sent on to b, whose own
	// failure goes to the file only), then b's failure for "first" (sent
	// on to a, whose failure goes to the file)
	for _, want := range []string{
		"[error] ", ": first\n",
		"connect() failed (2: No such file or directory) while logging to syslog, server: unix:" + dir + "/a.sock\n",
		"connect() failed (2: No such file or directory) while logging to syslog, server: unix:" + dir + "/b.sock\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("error log lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "\n"); n != 5 {
		t.Errorf("%d lines, want 5:\n%s", n, got)
	}
}

func TestClose(t *testing.T) {
	rcv := listenUDP(t)
	p, err := Parse("syslog:server=127.0.0.1:"+rcv.port(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Connected() {
		t.Fatal("connected before the first message")
	}
	if _, err := p.Send([]byte("a")); err != nil || !p.Connected() {
		t.Fatalf("Send: %v", err)
	}
	rcv.next()
	p.Close()
	if p.Connected() {
		t.Error("connected after Close")
	}
	if _, err := p.Send([]byte("b")); err != ErrClosed {
		t.Errorf("Send after Close: %v", err)
	}
	p.WriteLog(time.Now(), errlog.Error, []byte("c\n"), nil)
	rcv.none()
	p.Close()
}

// TestSendDoesNotBlock: a receiver that reads nothing fills its queue;
// sends then fail at once with EAGAIN (nginx's NGX_AGAIN) and the socket
// stays.
func TestSendDoesNotBlock(t *testing.T) {
	_, path := listenUnixgram(t)
	log, read := fileLog(t, errlog.Debug)
	p, err := Parse("syslog:server=unix:"+path, log)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	msg := make([]byte, 4096)
	start := time.Now()
	var sendErr error
	for i := 0; i < 100000 && sendErr == nil; i++ {
		_, sendErr = p.Send(msg)
	}
	if sendErr != syscall.EAGAIN {
		t.Fatalf("send error %v, want EAGAIN", sendErr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("filling the queue took %v", d)
	}
	if !p.Connected() {
		t.Error("EAGAIN closed the socket")
	}
	if got := read(); got != "" {
		t.Errorf("EAGAIN was logged:\n%s", got)
	}
}

func TestWriteLogAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	rcv := listenUDP(t)
	p, err := Parse("syslog:server=127.0.0.1:"+rcv.port(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	line := []byte("2026/01/02 03:04:05 [error] 1#1: *1 boom\n")
	msg := append(p.AppendHeader(nil, time.Now(), 6), "access"...)
	now := time.Now()
	p.WriteLog(now, errlog.Error, line, nil)
	if a := testing.AllocsPerRun(200, func() { p.WriteLog(now, errlog.Error, line, nil) }); a > 0 {
		t.Errorf("WriteLog: %.1f allocations", a)
	}
	buf := make([]byte, 0, 512)
	if a := testing.AllocsPerRun(200, func() {
		buf = p.AppendHeader(buf[:0], now, 6)
		p.Send(msg)
	}); a > 0 {
		t.Errorf("AppendHeader and Send: %.1f allocations", a)
	}
}

// openFDs counts this process's descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// TestConcurrentSend: goroutines sending at once to a port that refuses
// (so that sockets fail, close and are made again under the others), then
// Close: no race, no descriptor left, ErrClosed afterwards.
func TestConcurrentSend(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	before := openFDs(t)
	p, err := Parse("syslog:server="+addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	for range 8 {
		go func() {
			failed := 0
			for range 300 {
				if _, err := p.Send([]byte("x")); err != nil {
					failed++
				}
				p.WriteLog(time.Now(), errlog.Error, []byte("y\n"), nil)
			}
			done <- failed
		}()
	}
	failed := 0
	for range 8 {
		failed += <-done
	}
	if failed == 0 {
		t.Error("no send failed on a port that refuses")
	}
	p.Close()
	if _, err := p.Send([]byte("x")); err != ErrClosed {
		t.Errorf("Send after Close: %v", err)
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors before, %d after Close", before, after)
	}
}
