package testutil

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTB records failures and cleanups so the leak checker's own failures
// can be tested.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
	errors   []string
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, sprintf(format, args...))
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	panic("fakeTB.Fatalf: " + sprintf(format, args...))
}

// runCleanups runs the recorded cleanups last-registered first, as testing does.
func (f *fakeTB) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestCheckLeaks(t *testing.T) {
	const short = 100 * time.Millisecond
	tests := []struct {
		name string
		opts func(dir string) LeakOptions
		// leak does something during the "test" and returns a function
		// that undoes it after the check.
		leak     func(t *testing.T, dir string) (undo func())
		wantFail []string
	}{
		{
			name: "clean",
			leak: func(t *testing.T, dir string) func() { return func() {} },
		},
		{
			name: "goroutine that ends in time",
			leak: func(t *testing.T, dir string) func() {
				done := make(chan struct{})
				go func() { <-done }()
				close(done)
				return func() {}
			},
		},
		{
			name: "leaked goroutine",
			leak: func(t *testing.T, dir string) func() {
				block := make(chan struct{})
				go leakyGoroutine(block)
				return func() { close(block) }
			},
			wantFail: []string{"1 leaked goroutine", "leakyGoroutine"},
		},
		{
			name: "ignored goroutine",
			opts: func(string) LeakOptions { return LeakOptions{IgnoreGoroutines: []string{"leakyGoroutine"}} },
			leak: func(t *testing.T, dir string) func() {
				block := make(chan struct{})
				go leakyGoroutine(block)
				return func() { close(block) }
			},
		},
		{
			name: "leaked socket",
			opts: func(string) LeakOptions { return LeakOptions{NoGoroutines: true} },
			leak: func(t *testing.T, dir string) func() {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				return func() { ln.Close() }
			},
			wantFail: []string{"1 leaked file descriptor", "socket:[", "LISTEN"},
		},
		{
			name: "leaked file",
			opts: func(dir string) LeakOptions { return LeakOptions{Dirs: []string{dir}} },
			leak: func(t *testing.T, dir string) func() {
				if err := os.WriteFile(filepath.Join(dir, "tmp0001"), nil, 0o600); err != nil {
					t.Fatal(err)
				}
				return func() {}
			},
			wantFail: []string{"1 leaked file(s) under", "tmp0001"},
		},
		{
			name: "file removed in time",
			opts: func(dir string) LeakOptions { return LeakOptions{Dirs: []string{dir}} },
			leak: func(t *testing.T, dir string) func() {
				p := filepath.Join(dir, "tmp0002")
				os.WriteFile(p, nil, 0o600)
				os.Remove(p)
				return func() {}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := LeakOptions{}
			if tc.opts != nil {
				opts = tc.opts(dir)
			}
			opts.Timeout = short
			f := &fakeTB{TB: t}
			CheckLeaksWith(f, opts)
			undo := tc.leak(t, dir)
			f.runCleanups()
			undo()
			if len(tc.wantFail) == 0 {
				if len(f.errors) != 0 {
					t.Fatalf("unexpected failure:\n%s", strings.Join(f.errors, "\n"))
				}
				return
			}
			if len(f.errors) != 1 {
				t.Fatalf("got %d failures, want 1: %q", len(f.errors), f.errors)
			}
			for _, want := range tc.wantFail {
				if !strings.Contains(f.errors[0], want) {
					t.Errorf("failure message lacks %q:\n%s", want, f.errors[0])
				}
			}
		})
	}
}

func leakyGoroutine(block chan struct{}) { <-block }

func TestOpenFDsSeesNewFile(t *testing.T) {
	before, err := OpenFDs()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "marker")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	after, err := OpenFDs()
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "new fd target", after[int(f.Fd())], p)
	if before[int(f.Fd())] == p {
		t.Fatal("marker was open before it was created")
	}
}

func TestProcAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0100007F:1F90", "127.0.0.1:8080"},
		{"00000000000000000000000001000000:0050", "[::1]:80"},
		{"junk", "junk"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) { expect(t, "addr", procAddr(tc.in), tc.want) })
	}
}

func TestParseGoroutine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
		id   int64
		st   string
	}{
		{"normal", "goroutine 17 [chan receive, 2 minutes]:\nmain.f()\n", true, 17, "chan receive, 2 minutes"},
		{"not an entry", "random text", false, 0, ""},
		{"bad id", "goroutine x [running]:\n", false, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, ok := parseGoroutine(tc.in)
			expect(t, "ok", ok, tc.ok)
			expect(t, "id", g.ID, tc.id)
			expect(t, "state", g.State, tc.st)
		})
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func TestCheckNoFilesUnder(t *testing.T) {
	tests := []struct {
		name string
		// setup fills dir; it may start removing what it made
		setup func(t *testing.T, dir string)
		fail  bool
	}{
		{name: "empty", setup: func(t *testing.T, dir string) {}},
		{name: "directories only", setup: func(t *testing.T, dir string) {
			if err := os.MkdirAll(filepath.Join(dir, "1", "23"), 0o700); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "file removed a moment later", setup: func(t *testing.T, dir string) {
			p := filepath.Join(dir, "0000000001")
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { defer close(done); time.Sleep(50 * time.Millisecond); os.Remove(p) }()
			t.Cleanup(func() { <-done })
		}},
		{name: "file left in a level directory", fail: true, setup: func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "1"), 0o700)
			if err := os.WriteFile(filepath.Join(dir, "1", "0000000001"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			f := &fakeTB{}
			CheckNoFilesUnder(f, dir)
			if failed := len(f.errors) > 0; failed != tc.fail {
				t.Fatalf("failed %v, want %v: %q", failed, tc.fail, f.errors)
			}
			if tc.fail && !strings.Contains(f.errors[0], "0000000001") {
				t.Errorf("the failure does not name the file: %q", f.errors[0])
			}
		})
	}
}
