package testutil

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// DefaultLeakTimeout is how long CheckLeaks waits, polling, for goroutines,
// descriptors and files to return to their baseline.
const DefaultLeakTimeout = 5 * time.Second

// leakPoll is the polling interval while waiting for the baseline.
const leakPoll = 10 * time.Millisecond

// LeakOptions tunes CheckLeaksWith.
type LeakOptions struct {
	// Dirs are directories whose file lists (recursive) must return to
	// their baseline, e.g. a temp_path.
	Dirs []string
	// Timeout bounds the wait; zero means DefaultLeakTimeout.
	Timeout time.Duration
	// IgnoreGoroutines lists substrings; a new goroutine whose stack
	// contains one of them is not a leak.
	IgnoreGoroutines []string
	// IgnoreFDs lists substrings; a new descriptor whose target (or
	// description) contains one of them is not a leak.
	IgnoreFDs []string
	// NoGoroutines and NoFDs switch those checks off.
	NoGoroutines, NoFDs bool
}

// CheckLeaks takes a baseline of goroutines and open file descriptors now
// and, at cleanup, waits up to DefaultLeakTimeout for both to return to it,
// failing the test with the stacks of leaked goroutines and the targets of
// leaked descriptors.
//
// Call it first in the test, before anything that registers its own cleanup
// (servers, clients): cleanups run last-registered first, so the check then
// runs after everything else has shut down. It compares against goroutines
// and descriptors of the whole process, so do not use it in tests that call
// t.Parallel, nor while such tests run.
func CheckLeaks(t testing.TB) {
	t.Helper()
	CheckLeaksWith(t, LeakOptions{})
}

// CheckLeaksWith is CheckLeaks with options, e.g. directories whose files
// must be cleaned up (temp files).
func CheckLeaksWith(t testing.TB, opts LeakOptions) {
	t.Helper()
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultLeakTimeout
	}
	var (
		baseG  map[int64]bool
		baseFD map[int]string
		baseD  = map[string]map[string]bool{}
	)
	if !opts.NoGoroutines {
		baseG = map[int64]bool{}
		for _, g := range Goroutines() {
			baseG[g.ID] = true
		}
	}
	if !opts.NoFDs {
		fds, err := OpenFDs()
		if err != nil {
			t.Fatalf("testutil: leak check: %v", err)
		}
		baseFD = fds
	}
	for _, d := range opts.Dirs {
		files, err := listFiles(d)
		if err != nil {
			t.Fatalf("testutil: leak check: %v", err)
		}
		baseD[d] = files
	}

	t.Cleanup(func() {
		if report := waitReport(timeout, func() string { return leakReport(opts, baseG, baseFD, baseD) }); report != "" {
			t.Errorf("testutil: leaks still present %v after the test:\n%s", timeout, report)
		}
	})
}

// WaitFDs waits (up to DefaultLeakTimeout) until the descriptors open are
// those of base (from OpenFDs) again, failing the test with the others:
// for a check in the middle of a test that something was closed.
func WaitFDs(t testing.TB, base map[int]string) {
	t.Helper()
	if report := waitReport(DefaultLeakTimeout, func() string { return leakReport(LeakOptions{}, nil, base, nil) }); report != "" {
		t.Fatalf("testutil: descriptors still open after %v:\n%s", DefaultLeakTimeout, report)
	}
}

// waitReport polls report until it returns "" or timeout passes, and
// returns its last answer.
func waitReport(timeout time.Duration, report func() string) string {
	deadline := time.Now().Add(timeout)
	for {
		r := report()
		if r == "" || time.Now().After(deadline) {
			return r
		}
		time.Sleep(leakPoll) // polling for a condition, bounded by deadline
	}
}

// leakReport describes everything that differs from the baseline, or returns
// "" when nothing does.
func leakReport(opts LeakOptions, baseG map[int64]bool, baseFD map[int]string, baseD map[string]map[string]bool) string {
	var b strings.Builder
	if baseG != nil {
		var leaked []Goroutine
		for _, g := range Goroutines() {
			if !baseG[g.ID] && !ignorableGoroutine(g, opts.IgnoreGoroutines) {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) > 0 {
			fmt.Fprintf(&b, "%d leaked goroutine(s) (runtime.NumGoroutine %d, %d at baseline):\n", len(leaked), runtime.NumGoroutine(), len(baseG))
			for _, g := range leaked {
				b.WriteString(g.Stack)
				b.WriteString("\n\n")
			}
		}
	}
	if baseFD != nil {
		fds, err := OpenFDs()
		if err != nil {
			fmt.Fprintf(&b, "cannot list descriptors: %v\n", err)
		}
		var leaked []int
		for fd, target := range fds {
			if baseFD[fd] != target && !ignorableFD(target, opts.IgnoreFDs) {
				leaked = append(leaked, fd)
			}
		}
		if len(leaked) > 0 {
			slices.Sort(leaked)
			fmt.Fprintf(&b, "%d leaked file descriptor(s) (%d open, %d at baseline):\n", len(leaked), len(fds), len(baseFD))
			for _, fd := range leaked {
				fmt.Fprintf(&b, "  fd %d -> %s\n", fd, DescribeFD(fds[fd]))
			}
		}
	}
	for d, before := range baseD {
		now, err := listFiles(d)
		if err != nil {
			fmt.Fprintf(&b, "cannot list %s: %v\n", d, err)
			continue
		}
		var extra []string
		for f := range now {
			if !before[f] {
				extra = append(extra, f)
			}
		}
		if len(extra) > 0 {
			slices.Sort(extra)
			fmt.Fprintf(&b, "%d leaked file(s) under %s:\n  %s\n", len(extra), d, strings.Join(extra, "\n  "))
		}
	}
	return b.String()
}

// listFiles returns the paths (relative to dir) of every entry under dir.
func listFiles(dir string) (map[string]bool, error) {
	files := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			files[rel] = true
		}
		return nil
	})
	return files, err
}
