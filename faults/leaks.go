package faults

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/testutil"
)

// Baseline is a snapshot of the process's goroutines and descriptors and
// of the files in some directories, taken between cases so that each case
// can be checked for leaks on its own (testutil.CheckLeaks checks a whole
// test at its end).
//
// A baseline of another process (SnapshotProcess) covers its descriptors
// only: waiting for them to settle is how the suite knows that nginx has
// finished with a connection (closed it, and so written its log lines).
type Baseline struct {
	pid        int // 0 for this process
	goroutines map[int64]bool
	fds        map[int]string
	dirs       map[string][]string
}

// harnessGoroutines are stacks that belong to the test harness or the
// runtime, not to the server under test.
var harnessGoroutines = []string{"created by testing.", "created by os/signal.", "created by runtime."}

// Snapshot takes a baseline now; dirs are directories (temp paths) whose
// entries must return to what they are now.
func Snapshot(dirs ...string) (*Baseline, error) {
	b := &Baseline{goroutines: map[int64]bool{}, dirs: map[string][]string{}}
	for _, g := range testutil.Goroutines() {
		b.goroutines[g.ID] = true
	}
	fds, err := testutil.OpenFDs()
	if err != nil {
		return nil, err
	}
	b.fds = fds
	for _, d := range dirs {
		b.dirs[d] = listDir(d)
	}
	return b, nil
}

// SnapshotProcess takes a baseline of another process's descriptors and of
// the files in dirs.
func SnapshotProcess(pid int, dirs ...string) (*Baseline, error) {
	fds, err := ProcessFDs(pid)
	if err != nil {
		return nil, err
	}
	b := &Baseline{pid: pid, fds: fds, dirs: map[string][]string{}}
	for _, d := range dirs {
		b.dirs[d] = listDir(d)
	}
	return b, nil
}

// ProcessFDs returns another process's open descriptors and their targets
// (readable for processes of the same user, or as root).
func ProcessFDs(pid int) (map[int]string, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing the descriptors of process %d: %w", pid, err)
	}
	fds := make(map[int]string, len(ents))
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		target, err := os.Readlink(dir + "/" + e.Name())
		if err != nil {
			continue // closed while we looked
		}
		fds[fd] = target
	}
	return fds, nil
}

// Children returns the ids of the processes whose parent is pid (nginx's
// workers, for its master).
func Children(pid int) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var kids []int
	for _, e := range ents {
		id, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if ppid, ok := parentOf(string(b)); ok && ppid == pid {
			kids = append(kids, id)
		}
	}
	slices.Sort(kids)
	return kids, nil
}

// parentOf reads the parent id from a /proc/PID/stat line:
// "pid (comm) state ppid ...", where comm may hold spaces and parentheses.
func parentOf(stat string) (int, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

// listDir returns the entry names of d, sorted; a missing directory is
// empty.
func listDir(d string) []string {
	ents, err := os.ReadDir(d)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// Leaks describes what differs from the baseline now, or returns "".
func (b *Baseline) Leaks() string {
	var sb strings.Builder
	var leaked []testutil.Goroutine
	if b.pid == 0 {
		for _, g := range testutil.Goroutines() {
			if b.goroutines[g.ID] || harness(g.Stack) {
				continue
			}
			leaked = append(leaked, g)
		}
	}
	if len(leaked) > 0 {
		fmt.Fprintf(&sb, "%d goroutine(s) more than before the case:\n", len(leaked))
		for _, g := range leaked {
			sb.WriteString(g.Stack + "\n\n")
		}
	}
	var (
		fds map[int]string
		err error
	)
	if b.pid == 0 {
		fds, err = testutil.OpenFDs()
	} else {
		fds, err = ProcessFDs(b.pid)
	}
	if err != nil {
		fmt.Fprintf(&sb, "cannot list descriptors: %v\n", err)
	}
	var extra []int
	for fd, target := range fds {
		if b.fds[fd] != target && !strings.HasPrefix(target, "anon_inode:") {
			extra = append(extra, fd)
		}
	}
	slices.Sort(extra)
	for _, fd := range extra {
		desc := fds[fd]
		if b.pid == 0 {
			desc = testutil.DescribeFD(desc)
		}
		fmt.Fprintf(&sb, "descriptor %d open: %s\n", fd, desc)
	}
	for d, before := range b.dirs {
		for _, name := range listDir(d) {
			if !slices.Contains(before, name) {
				fmt.Fprintf(&sb, "file left behind: %s/%s\n", d, name)
			}
		}
	}
	return sb.String()
}

func harness(stack string) bool {
	for _, s := range harnessGoroutines {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return false
}

// Settle waits up to timeout for the leaks to go away (connections being
// torn down, temp files being removed) and returns what is left, or "".
func (b *Baseline) Settle(timeout time.Duration) string {
	deadline := time.Now().Add(timeout)
	for {
		l := b.Leaks()
		if l == "" || time.Now().After(deadline) {
			return l
		}
		time.Sleep(10 * time.Millisecond) // polling for a condition, bounded by deadline
	}
}
