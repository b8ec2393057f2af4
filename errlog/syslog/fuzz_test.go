package syslog

import (
	"strings"
	"testing"
	"time"
)

// FuzzParse checks the parameter parser on any argument (seeds in
// testdata/fuzz/FuzzParse): no panic, an error for anything nginx
// refuses, and a parsed peer whose parameters are in range and whose
// header reads back.
func FuzzParse(f *testing.F) {
	f.Add("syslog:server=127.0.0.1")
	f.Fuzz(func(t *testing.T, arg string) {
		if !strings.HasPrefix(arg, Prefix) {
			arg = Prefix + arg
		}
		p, err := parse(arg, nil, lookupStub)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: empty error", arg)
			}
			return
		}
		if !strings.Contains(arg, "server=") {
			t.Fatalf("%q: parsed without a server", arg)
		}
		if p.Facility < 0 || p.Facility >= len(facilities) || p.Severity < 0 || p.Severity >= len(severities) {
			t.Fatalf("%q: facility %d severity %d", arg, p.Facility, p.Severity)
		}
		if len(p.Tag) > maxTag {
			t.Fatalf("%q: tag %q", arg, p.Tag)
		}
		for i := 0; i < len(p.Tag); i++ {
			if !tagByte(p.Tag[i]) {
				t.Fatalf("%q: tag %q", arg, p.Tag)
			}
		}
		if p.sa == nil || p.Server.Name == "" {
			t.Fatalf("%q: no address", arg)
		}
		h := string(p.AppendHeader(nil, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), p.Severity))
		m := stampRE.FindStringSubmatch(h)
		if m == nil || len(h) != len(m[0]) || m[4] != p.Tag || (m[3] == "") != p.NoHostname || len(h) > p.HeaderLen() {
			t.Fatalf("%q: header %q", arg, h)
		}
	})
}
