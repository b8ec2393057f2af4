package ssl

import (
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/ocspc"
)

// TestRefreshAt: nginx's refresh times for a staple.
func TestRefreshAt(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	cases := []struct {
		name  string
		valid time.Time
		ok    bool
		want  time.Duration
	}{
		{"valid for a day", now.Add(24 * time.Hour), true, time.Hour},
		{"valid for 30 minutes", now.Add(30 * time.Minute), true, 25 * time.Minute},
		{"valid for 7 minutes", now.Add(7 * time.Minute), true, 5 * time.Minute},
		{"expired within the leeway", now.Add(-2 * time.Minute), true, 5 * time.Minute},
		{"no nextUpdate", ocspc.NoExpiry, true, time.Hour},
		{"failed", time.Time{}, false, 5 * time.Minute},
	}
	for _, tc := range cases {
		if got := refreshAt(now, tc.valid, tc.ok).Sub(now); got != tc.want {
			t.Errorf("%s: in %v, want %v", tc.name, got, tc.want)
		}
	}
}
