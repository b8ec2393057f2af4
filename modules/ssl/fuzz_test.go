package ssl

import (
	"strings"
	"testing"
	"time"
)

// FuzzSessionCache: parseSessionCache never panics, and what it accepts
// is made only of the words nginx knows.
func FuzzSessionCache(f *testing.F) {
	for _, s := range []string{"off", "none", "builtin", "builtin:1000", "shared:SSL:10m", "builtin:1000 shared:SSL:10m", "shared:x:1k", "shared::1m", "shared:x:", "builtin:", "foo"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Fields(s)
		sc, err := parseSessionCache(args)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "invalid session cache \"") && !strings.HasSuffix(err.Error(), "\" is too small") {
				t.Fatalf("%q: unexpected error %v", s, err)
			}
			return
		}
		for _, a := range args {
			if a != "off" && a != "none" && !strings.HasPrefix(a, "builtin") && !strings.HasPrefix(a, "shared:") {
				t.Fatalf("%q accepted", a)
			}
		}
		if sc.shared != "" && sc.size < 8*4096 {
			t.Fatalf("%q: size %d accepted", s, sc.size)
		}
	})
}

// FuzzCurves: ssl_ecdh_curve lists never panic; an accepted list has a
// group for each name.
func FuzzCurves(f *testing.F) {
	for _, s := range []string{"auto", "X25519", "X25519:prime256v1:secp384r1", "P-256:P-384", "X25519MLKEM768", "foo", "", ":", "X25519:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := curves(s)
		if err != nil || s == "auto" {
			return
		}
		if len(ids) != strings.Count(s, ":")+1 {
			t.Fatalf("%q: %d groups", s, len(ids))
		}
	})
}

// FuzzTicket: a ticket from a client never panics open, and only one
// sealed with the key opens.
func FuzzTicket(f *testing.F) {
	tk := &ticketer{timeout: time.Hour, keys: []ticketKey{randomKey()}}
	f.Add(make([]byte, 96))
	f.Add(make([]byte, 16))
	f.Add(append(tk.keys[0].name[:], make([]byte, 80)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		if ss := tk.open(b); ss != nil {
			t.Fatalf("%x opened: %v", b, ss)
		}
	})
}
