package ngxurl

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzParse checks Parse on any text: no panic, and a parsed address
// is consistent with its text.
func FuzzParse(f *testing.F) {
	f.Add("127.0.0.1:8080", false)
	f.Fuzz(func(t *testing.T, text string, uriPart bool) {
		u, err := Parse(text, Options{DefaultPort: 80, URIPart: uriPart, NoResolve: true})
		if err != nil {
			return
		}
		if u.Host == "" {
			t.Fatalf("%q: empty host", text)
		}
		if !uriPart && u.URI != "" {
			t.Fatalf("%q: URI %q without URIPart", text, u.URI)
		}
		if u.Unix {
			if !strings.HasPrefix(text[5:], u.Host) || len(u.Addrs) != 1 || u.Addrs[0].Address != u.Host {
				t.Fatalf("%q: unix %+v", text, u)
			}
			return
		}
		if !strings.HasPrefix(text, u.Host) {
			t.Fatalf("%q: host %q is not its start", text, u.Host)
		}
		if u.Port < 1 || u.Port > 65535 {
			t.Fatalf("%q: port %d", text, u.Port)
		}
		for _, a := range u.Addrs {
			ap, err := netip.ParseAddrPort(a.Address)
			if err != nil || int(ap.Port()) != u.Port || a.Name != a.Address {
				t.Fatalf("%q: address %+v", text, a)
			}
		}
	})
}
