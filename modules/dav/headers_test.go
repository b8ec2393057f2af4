package dav

import (
	"strings"
	"testing"
)

func TestParseDepth(t *testing.T) {
	tests := []struct {
		name, v string
		want    int
	}{
		{"zero", "0", 0},
		{"one", "1", 1},
		{"infinity", "infinity", depthInfinity},
		{"capitalised", "Infinity", depthInvalid},
		{"two", "2", depthInvalid},
		{"empty", "", depthInvalid},
		{"padded", " 0", depthInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseDepth(tc.v); got != tc.want {
				t.Errorf("parseDepth(%q) = %d, want %d", tc.v, got, tc.want)
			}
		})
	}
}

func TestParseOverwrite(t *testing.T) {
	tests := []struct {
		name, v      string
		want, wantOK bool
	}{
		{"T", "T", true, true},
		{"t", "t", true, true},
		{"F", "F", false, true},
		{"f", "f", false, true},
		{"word", "true", false, false},
		{"empty", "", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseOverwrite(tc.v)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("parseOverwrite(%q) = %v, %v; want %v, %v", tc.v, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestParseDestination(t *testing.T) {
	tests := []struct {
		name, v, server string
		tls             bool
		want            string
		fault           int
	}{
		{"path", "/a/b", "", false, "/a/b", destOK},
		{"url", "http://localhost/a", "localhost", false, "/a", destOK},
		{"url with port", "http://localhost:8080/a", "localhost", false, "/a", destOK},
		{"https on tls", "https://localhost/a", "localhost", true, "/a", destOK},
		{"http on tls", "http://localhost/a", "localhost", true, "", destInvalid},
		{"https on plain", "https://localhost/a", "localhost", false, "", destInvalid},
		{"no host", "http://localhost/a", "", false, "", destNoHost},
		{"other host", "http://example.com/a", "localhost", false, "", destOtherHost},
		{"host prefix", "http://localhostx/a", "localhost", false, "/a", destOK},
		{"no path", "http://localhost", "localhost", false, "", destInvalid},
		{"relative", "a/b", "localhost", false, "", destInvalid},
		{"empty", "", "localhost", false, "", destInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, fault := parseDestination(tc.v, tc.server, tc.tls)
			if got != tc.want || fault != tc.fault {
				t.Errorf("parseDestination(%q, %q, %v) = %q, %d; want %q, %d", tc.v, tc.server, tc.tls, got, fault, tc.want, tc.fault)
			}
		})
	}
}

func TestMergeSlashes(t *testing.T) {
	for in, want := range map[string]string{"/a//b///c": "/a/b/c", "/a/b": "/a/b", "//": "/", "": ""} {
		if got := mergeSlashes(in); got != want {
			t.Errorf("mergeSlashes(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzHeaders feeds the same value to the three header parsers: none may
// panic, and a Destination path they accept is a suffix of the value that
// starts with '/'.
func FuzzHeaders(f *testing.F) {
	f.Fuzz(func(t *testing.T, v, server string, tls bool) {
		parseDepth(v)
		parseOverwrite(v)
		p, fault := parseDestination(v, server, tls)
		if fault == destOK && (!strings.HasPrefix(p, "/") || !strings.HasSuffix(v, p)) {
			t.Fatalf("parseDestination(%q, %q) = %q", v, server, p)
		}
		mergeSlashes(v)
	})
}
