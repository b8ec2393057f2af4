// Package deadline arms socket deadlines lazily, as nginx arms its timers.
//
// A keepalive connection sets the same timeout (send_timeout,
// proxy_read_timeout, ...) request after request, each time a few
// milliseconds later than the last. Every set is a change to the Go
// runtime's timer heap, and on a busy server those changes are a
// measurable part of a request's cost. nginx leaves a timer alone when the
// new expiry is within NGX_TIMER_LAZY_DELAY (300 ms) of the one already
// armed (ngx_event_add_timer); Lazy does the same for a connection's read
// or write deadline, with the slack also bounded by an eighth of the
// timeout so that short timeouts stay close to what they say.
package deadline

import "time"

// maxSlack is nginx's NGX_TIMER_LAZY_DELAY.
const maxSlack = 300 * time.Millisecond

// Lazy records the deadline armed on one direction of one connection. Its
// zero value knows that none is armed. Every change to that direction's
// deadline must go through Arm, Clear or Forget, or the record is wrong.
type Lazy struct {
	at      time.Time // the armed deadline; zero: none
	unknown bool      // someone else may have changed it
}

// Arm returns the deadline for a timeout d starting at now, and whether
// the caller must set it: ok is false when the deadline armed already is
// within the slack of it (then nothing changes). d must be positive.
func (l *Lazy) Arm(now time.Time, d time.Duration) (t time.Time, ok bool) {
	want := now.Add(d)
	if !l.unknown && !l.at.IsZero() {
		slack := min(maxSlack, d/8)
		if diff := want.Sub(l.at); diff < slack && diff > -slack {
			return time.Time{}, false
		}
	}
	l.at, l.unknown = want, false
	return want, true
}

// Forget records that the deadline is unknown: someone else may change
// it. The next Arm sets one.
func (l *Lazy) Forget() { l.unknown = true }

// Clear reports whether a deadline may be armed, so that the caller must
// clear it to have none, and records that none is.
func (l *Lazy) Clear() bool {
	must := l.unknown || !l.at.IsZero()
	l.at, l.unknown = time.Time{}, false
	return must
}

// Passed reports whether the armed deadline may be at or before now (an
// unknown one may be): an operation started now would fail at once.
func (l *Lazy) Passed(now time.Time) bool {
	return l.unknown || (!l.at.IsZero() && !l.at.After(now))
}
