package faults

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestNormalizeErrorLine(t *testing.T) {
	tests := []struct {
		name, line, want string
		ok               bool
	}{
		{name: "nginx info", ok: true,
			line: `2024/01/02 03:04:05 [info] 123#123: *7 client sent invalid method while reading client request line, client: 127.0.0.1, server: localhost, request: "5"`,
			want: `[info] client sent invalid method while reading client request line, client: 127.0.0.1, server: localhost, request: "5"`},
		{name: "port masked", ok: true,
			line: `2024/01/02 03:04:05 [info] 9#9: *1 client timed out (110: Connection timed out) while waiting for request, client: 127.0.0.1, server: 127.0.0.1:34567`,
			want: `[info] client timed out (110: Connection timed out) while waiting for request, client: 127.0.0.1, server: 127.0.0.1:PORT`},
		{name: "no connection number", ok: true,
			line: `2024/01/02 03:04:05 [alert] 9#9: something`, want: `[alert] something`},
		{name: "server name masked", ok: true,
			line: `2024/01/02 03:04:05 [error] 9#9: *2 upstream sent nginx/1.22.1 junk`, want: `[error] upstream sent <server>/<version> junk`},
		{name: "cut line, narrow pids", ok: true, line: cutLine("7#7: *1 "), want: cutWant},
		{name: "cut line, wide pids", ok: true, line: cutLine("123456#123456: *1 "), want: cutWant},
		// a message starting like a prefix would lose it on a second pass
		// (the fuzzer's find): every leading process or connection
		// number goes at once
		{name: "repeated prefixes", ok: true,
			line: `0000/00/00 00:00:00 [a] *0 *0 `, want: `[a] `},
		{name: "notice dropped", line: `2024/01/02 03:04:05 [notice] 9#9: start worker processes`},
		{name: "debug dropped", line: `2024/01/02 03:04:05 [debug] 9#9: *1 http header done`},
		{name: "not a log line", line: `panic: oops`},
		{name: "empty", line: ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := NormalizeErrorLine(tc.line)
			if ok != tc.ok || got != tc.want {
				t.Errorf("got %q %v, want %q %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestNormalizeAccessLine(t *testing.T) {
	tests := []struct{ name, line, want string }{
		{"error page bytes masked", `"GET / HTTP/1.1" 400 157 rl=20`, `"GET / HTTP/1.1" 400 <page> rl=20`},
		{"zero bytes kept", `"GET " 408 0 rl=0`, `"GET " 408 0 rl=0`},
		{"success bytes kept", `"GET /p HTTP/1.1" 200 7 rl=59`, `"GET /p HTTP/1.1" 200 7 rl=59`},
		{"combined format", `127.0.0.1 - - [02/Jan/2024:03:04:05 +0000] "GET / HTTP/1.1" 404 153 "-" "curl"`,
			`127.0.0.1 - - [TIME] "GET / HTTP/1.1" 404 <page> "-" "curl"`},
		{"quote in request", `"GET /a"b HTTP/1.1" 400 150 rl=1`, `"GET /a"b HTTP/1.1" 400 <page> rl=1`},
		{"empty request", `"" 400 150 rl=0`, `"" 400 <page> rl=0`},
		{"port masked", `"GET http://127.0.0.1:8080/ HTTP/1.1" 200 3 rl=1`, `"GET http://127.0.0.1:PORT/ HTTP/1.1" 200 3 rl=1`},
		{"no status", `garbage`, `garbage`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := NormalizeAccessLine(tc.line); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestInterpret(t *testing.T) {
	page := "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body></body></html>\r\n"
	tests := []struct {
		name    string
		raw     Raw
		summary string
		lines   []string
	}{
		{name: "nothing, closed", raw: Raw{Closed: true}, summary: "none, closed",
			lines: []string{"end    closed"}},
		{name: "error page", raw: Raw{Closed: true, Received: []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: " + strconv.Itoa(len(page)) + "\r\nConnection: close\r\n\r\n" + page)},
			summary: "400, closed",
			lines:   []string{`reply  HTTP/1.1 400 Bad Request | Connection: close | content-length page "400 Bad Request"`, "end    closed"}},
		{name: "run of replies collapsed", raw: Raw{Received: []byte(strings.Repeat("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 3))},
			summary: "200×3, open"},
		{name: "interim and final", raw: Raw{Closed: true, Received: []byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")},
			summary: "100 200, closed"},
		{name: "cut short", raw: Raw{Closed: true, Received: []byte("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nok")},
			summary: "200(cut), closed"},
		{name: "garbage", raw: Raw{Closed: true, Received: []byte("HTTP/1.1 2x\r\n\r\n")},
			summary: "none, closed, stray bytes"},
		{name: "http 0.9", raw: Raw{Closed: true, Received: []byte("hello")}, summary: "0.9, closed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := Interpret(tc.raw, false)
			if got := o.Summary(); got != tc.summary {
				t.Errorf("summary %q, want %q\n%s", got, tc.summary, strings.Join(o.Lines(), "\n"))
			}
			if tc.lines != nil && strings.Join(o.Lines(), "\n") != strings.Join(tc.lines, "\n") {
				t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(o.Lines(), "\n"), strings.Join(tc.lines, "\n"))
			}
		})
	}
}

func TestDiff(t *testing.T) {
	a := Outcome{End: "closed", ErrorLog: []string{"[info] x while y"}, AccessLog: []string{`"GET /" 400 <page>`}}
	tests := []struct {
		name string
		b    Outcome
		want string
	}{
		{name: "same", b: a},
		{name: "log differs", b: Outcome{End: "closed", ErrorLog: []string{"[info] x"}, AccessLog: []string{`"GET /" 400 <page>`}},
			want: "          end    closed\n  nginx:  error  [info] x while y\n  sluice: error  [info] x\n          access \"GET /\" 400 <page>\n"},
		{name: "end differs", b: Outcome{End: "open", ErrorLog: a.ErrorLog, AccessLog: a.AccessLog},
			want: "  nginx:  end    closed\n  sluice: end    open\n          error  [info] x while y\n          access \"GET /\" 400 <page>\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Diff(a, tc.b, "nginx", "sluice"); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestScripts(t *testing.T) {
	tests := []struct {
		name   string
		s      Script
		pieces int
		delay  time.Duration
		data   string
	}{
		{"once", Once("abc"), 1, 0, "abc"},
		{"bytewise", Bytewise("abc", time.Second), 3, 2 * time.Second, "abc"},
		{"then", Once("a").Then(Piece{Delay: time.Second, Data: "b"}), 2, time.Second, "ab"},
		{"empty", Script{}, 0, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var delay time.Duration
			var data string
			for _, p := range tc.s.Pieces {
				delay += p.Delay
				data += p.Data
			}
			if len(tc.s.Pieces) != tc.pieces || delay != tc.delay || data != tc.data {
				t.Errorf("%d pieces, %v, %q; want %d, %v, %q", len(tc.s.Pieces), delay, data, tc.pieces, tc.delay, tc.data)
			}
		})
	}
	base := Once("a")
	_ = base.Then(Piece{Data: "b"})
	if len(base.Pieces) != 1 {
		t.Errorf("Then changed the script it was called on")
	}
}

// TestExchange plays scripts against small loopback servers that close,
// answer, or stay silent.
func TestExchange(t *testing.T) {
	tests := []struct {
		name   string
		serve  func(c net.Conn)
		script Script
		closed bool
		got    string
	}{
		{name: "answer and close", script: Once("hi"), closed: true, got: "ho",
			serve: func(c net.Conn) {
				b := make([]byte, 2)
				c.Read(b)
				c.Write([]byte("ho"))
				c.Close()
			}},
		{name: "silent server, short wait", script: Script{Pieces: []Piece{{Data: "x"}}, Wait: 50 * time.Millisecond},
			serve: func(c net.Conn) {}},
		{name: "server closes mid-script", script: Bytewise("abcdefgh", 20*time.Millisecond), closed: true,
			serve: func(c net.Conn) {
				b := make([]byte, 1)
				c.Read(b)
				c.Close()
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			done := make(chan net.Conn, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					close(done)
					return
				}
				tc.serve(c)
				done <- c
			}()
			raw, err := Exchange(ln.Addr().String(), tc.script)
			if err != nil {
				t.Fatal(err)
			}
			if c, ok := <-done; ok {
				c.Close()
			}
			if raw.Closed != tc.closed || string(raw.Received) != tc.got {
				t.Errorf("closed %v, received %q; want %v, %q", raw.Closed, raw.Received, tc.closed, tc.got)
			}
		})
	}
}

func TestParentOf(t *testing.T) {
	tests := []struct {
		name, stat string
		ppid       int
		ok         bool
	}{
		{"plain", "123 (nginx) S 100 123 123 0", 100, true},
		{"spaces and parens in comm", "123 (a (b) c) R 7 1 1", 7, true},
		{"truncated", "123 (x) S", 0, false},
		{"no comm", "garbage", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ppid, ok := parentOf(tc.stat)
			if ppid != tc.ppid || ok != tc.ok {
				t.Errorf("got %d %v, want %d %v", ppid, ok, tc.ppid, tc.ok)
			}
		})
	}
}

func TestChildrenAndFDs(t *testing.T) {
	kids, err := Children(os.Getppid())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, k := range kids {
		found = found || k == os.Getpid()
	}
	if !found {
		t.Errorf("this process (%d) is not among the children of its parent: %v", os.Getpid(), kids)
	}
	fds, err := ProcessFDs(os.Getpid())
	if err != nil || len(fds) == 0 {
		t.Fatalf("ProcessFDs(self): %v %v", fds, err)
	}
}

func TestBaselineFindsLeaks(t *testing.T) {
	dir := t.TempDir()
	b, err := Snapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	if l := b.Leaks(); l != "" {
		t.Fatalf("leaks right after the snapshot:\n%s", l)
	}
	f, err := os.Create(dir + "/left")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	go func() { <-stop }()
	l := b.Leaks()
	for _, want := range []string{"goroutine(s) more", "descriptor", "file left behind: " + dir + "/left"} {
		if !strings.Contains(l, want) {
			t.Errorf("leak report lacks %q:\n%s", want, l)
		}
	}
	close(stop)
	f.Close()
	os.Remove(dir + "/left")
	if l := b.Settle(5 * time.Second); l != "" {
		t.Errorf("leaks after cleaning up:\n%s", l)
	}
}

// cutLine is an error line cut at 2048 bytes, as nginx cuts it, after the
// given process and connection numbers.
func cutLine(pids string) string {
	l := "2024/01/02 03:04:05 [info] " + pids + "client sent too long URI, request: \"GET /" + strings.Repeat("a", 3000)
	return l[:2048]
}

// cutWant is what NormalizeErrorLine keeps of a cutLine.
var cutWant = ("[info] client sent too long URI, request: \"GET /" + strings.Repeat("a", 3000))[:7+1900] + " <cut>"

func FuzzNormalizeErrorLine(f *testing.F) {
	f.Add(`2024/01/02 03:04:05 [info] 123#123: *7 client sent invalid method, client: 127.0.0.1, server: 127.0.0.1:80`)
	f.Fuzz(func(t *testing.T, line string) {
		n, ok := NormalizeErrorLine(line)
		if !ok {
			return
		}
		if !strings.HasPrefix(n, "[") {
			t.Fatalf("normalised line %q lacks its level", n)
		}
		if again, ok := NormalizeErrorLine("2024/01/02 03:04:05 " + n); !ok || again != n {
			t.Fatalf("not idempotent: %q then %q", n, again)
		}
	})
}

func FuzzNormalizeAccessLine(f *testing.F) {
	f.Add(`"GET / HTTP/1.1" 400 157 rl=20`)
	f.Fuzz(func(t *testing.T, line string) {
		n := NormalizeAccessLine(line)
		if again := NormalizeAccessLine(n); again != n {
			t.Fatalf("not idempotent: %q then %q", n, again)
		}
	})
}

func FuzzInterpret(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 400 Bad Request\r\n\r\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, closed bool) {
		o := Interpret(Raw{Received: data, Closed: closed}, false)
		if o.Summary() == "" || len(o.Lines()) == 0 {
			t.Fatalf("empty rendering of %q", data)
		}
		for _, l := range o.Lines() {
			if strings.Contains(l, "\n") {
				t.Fatalf("line with a line break: %q", l)
			}
		}
		if !utf8.ValidString(o.Summary()) {
			t.Fatalf("summary not UTF-8: %q", o.Summary())
		}
	})
}
