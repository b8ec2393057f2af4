package core

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/errlog"
)

// lineLog collects log lines.
type lineLog struct{ lines []string }

func (l *lineLog) WriteLog(_ time.Time, _ errlog.Level, line []byte, _ *errlog.Chain) {
	l.lines = append(l.lines, string(line))
}

type reuser struct {
	name string
	got  *[]string
}

func (r reuser) Reuse() { *r.got = append(*r.got, r.name) }

// TestSlotDrain: the reusable queue gives up its oldest connections first,
// only when at most a sixteenth of the slots are free, max(min(32, n/8), 1)
// at a time; a slot made busy or released leaves the queue, and one taken
// for reuse cannot be made busy again.
func TestSlotDrain(t *testing.T) {
	ls := NewListeners()
	var reused []string
	slots := map[string]*Slot{}
	for _, name := range []string{"a", "b", "c", "d"} {
		s := &Slot{ls: ls}
		ls.active.Add(1)
		slots[name] = s
		s.SetReusable(reuser{name, &reused})
	}
	slots["a"].SetReusable(reuser{"a", &reused}) // already queued: keeps its place
	if !slots["b"].SetBusy() {
		t.Fatal("a queued slot could not be made busy")
	}
	slots["c"].Release()
	if ls.active.Load() != 3 || ls.reusable.n != 2 {
		t.Fatalf("active %d, reusable %d; want 3, 2", ls.active.Load(), ls.reusable.n)
	}
	lines := &lineLog{}
	log := errlog.New(errlog.Sink{Writer: lines, Level: errlog.Info})
	for _, tc := range []struct {
		name        string
		free, limit int64
		want        string
	}{
		{"plenty free", 40, 512, ""},
		{"a sixteenth free", 32, 512, "a"},
		{"the next oldest", 0, 512, "d"},
		{"nothing left", 0, 512, ""},
	} {
		reused = reused[:0]
		ls.drain(tc.free, tc.limit, log)
		if got := strings.Join(reused, ","); got != tc.want {
			t.Errorf("%s: reused %q, want %q", tc.name, got, tc.want)
		}
	}
	if slots["a"].SetBusy() {
		t.Error("a slot taken for reuse was made busy")
	}
	if len(lines.lines) == 0 || !strings.Contains(lines.lines[0], "[warn] ") || !strings.Contains(lines.lines[0], "512 worker_connections are not enough, reusing connections") {
		t.Errorf("no warning: %q", lines.lines)
	}
	// at most one warning a second: a drain in the second of the last
	// warning logs nothing (tried again if the second turned meanwhile)
	for {
		s := &Slot{ls: ls}
		ls.active.Add(1)
		s.SetReusable(reuser{"e", &reused})
		lines.lines = nil
		sec := time.Now().Unix()
		ls.reusable.warned = sec
		ls.drain(0, 512, log)
		if time.Now().Unix() != sec {
			continue
		}
		if len(lines.lines) != 0 {
			t.Errorf("a second warning within the second: %q", lines.lines)
		}
		break
	}
}
