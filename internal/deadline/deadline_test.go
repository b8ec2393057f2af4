package deadline

import (
	"testing"
	"time"
)

func TestArm(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name   string
		prep   func(l *Lazy)
		now    time.Time
		d      time.Duration
		wantOK bool
	}{
		{"nothing armed", func(*Lazy) {}, t0, time.Minute, true},
		{"unknown", func(l *Lazy) { l.Arm(t0, time.Minute); l.Forget() }, t0, time.Minute, true},
		{"same deadline", func(l *Lazy) { l.Arm(t0, time.Minute) }, t0, time.Minute, false},
		{"60 ms later", func(l *Lazy) { l.Arm(t0, time.Minute) }, t0.Add(60 * time.Millisecond), time.Minute, false},
		{"299 ms later", func(l *Lazy) { l.Arm(t0, time.Minute) }, t0.Add(299 * time.Millisecond), time.Minute, false},
		{"300 ms later", func(l *Lazy) { l.Arm(t0, time.Minute) }, t0.Add(300 * time.Millisecond), time.Minute, true},
		{"shorter timeout by 200 ms", func(l *Lazy) { l.Arm(t0, time.Minute) }, t0, time.Minute - 200*time.Millisecond, false},
		{"much shorter timeout", func(l *Lazy) { l.Arm(t0, time.Minute) }, t0, time.Second, true},
		{"short timeout: slack an eighth", func(l *Lazy) { l.Arm(t0, 100*time.Millisecond) }, t0.Add(13 * time.Millisecond), 100 * time.Millisecond, true},
		{"short timeout within its eighth", func(l *Lazy) { l.Arm(t0, 100*time.Millisecond) }, t0.Add(12 * time.Millisecond), 100 * time.Millisecond, false},
		{"cleared", func(l *Lazy) { l.Arm(t0, time.Minute); l.Clear() }, t0, time.Minute, true},
		{"passed deadline", func(l *Lazy) { l.Arm(t0.Add(-2*time.Millisecond), time.Millisecond) }, t0, time.Millisecond, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var l Lazy
			tc.prep(&l)
			before := l
			got, ok := l.Arm(tc.now, tc.d)
			if ok != tc.wantOK {
				t.Fatalf("Arm ok = %v, want %v", ok, tc.wantOK)
			}
			if ok {
				if want := tc.now.Add(tc.d); !got.Equal(want) || !l.at.Equal(want) || l.unknown {
					t.Fatalf("Arm = %v (recorded %v), want %v", got, l.at, want)
				}
			} else if l != before {
				t.Fatalf("a skipped Arm changed the record: %+v -> %+v", before, l)
			}
		})
	}
}

func TestClearAndPassed(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var l Lazy
	if l.Passed(t0) {
		t.Error("nothing armed: Passed")
	}
	if l.Clear() {
		t.Error("nothing armed: Clear asks for a clear")
	}
	l.Arm(t0.Add(-time.Second), time.Second)
	if !l.Passed(t0) || l.Passed(t0.Add(-time.Nanosecond)) {
		t.Error("Passed is wrong around the deadline")
	}
	if !l.Clear() || l.Clear() {
		t.Error("Clear asks for a clear once only")
	}
	l.Forget()
	if !l.Passed(t0) || !l.Clear() {
		t.Error("an unknown deadline is neither assumed future nor clear")
	}
}
