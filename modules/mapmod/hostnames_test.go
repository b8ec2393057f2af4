package mapmod

import (
	"strings"
	"testing"
)

func TestKeys(t *testing.T) {
	k := newKeys()
	for _, kv := range []struct {
		key, val string
	}{
		{"example.com", "exact"},
		{"example.*", "right-wildcard"},
		{"www.example.*", "www-tail"},
		{"*.example.com", "left-wildcard"},
		{"*.deep.example.com", "deep"},
		{".dot.example.com", "dot"},
		{"*.x.dot.example.com", "x-under-dot"},
		{"MiXeD.org", "mixed"},
		{"", "empty"},
	} {
		if err := k.add(kv.key, &value{text: kv.val}, true); err != nil {
			t.Fatalf("add %q: %v", kv.key, err)
		}
	}
	tests := []struct{ name, in, want string }{
		{"exact", "example.com", "exact"},
		{"left wildcard", "foo.example.com", "left-wildcard"},
		{"left wildcard depth", "a.b.example.com", "left-wildcard"},
		{"more specific", "a.deep.example.com", "deep"},
		{"star needs a label", "deep.example.com", "left-wildcard"},
		{"dot matches itself", "dot.example.com", "dot"},
		{"dot matches below", "www.dot.example.com", "dot"},
		{"under dot", "y.x.dot.example.com", "x-under-dot"},
		{"under dot, star needs a label", "x.dot.example.com", "dot"},
		{"right wildcard", "example.org", "right-wildcard"},
		{"right wildcard many labels", "example.co.uk", "right-wildcard"},
		{"longer tail wins", "www.example.net", "www-tail"},
		{"tail needs a label", "www.example", ""},
		{"head before tail", "example.example.com", "left-wildcard"},
		{"lowercased key", "mixed.org", "mixed"},
		{"empty key", "", "empty"},
		{"no match", "other.net", ""},
		{"empty label", "a..example.com", "left-wildcard"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if v := k.find(tc.in); v != nil {
				got = v.text
			}
			if got != tc.want {
				t.Errorf("find(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestKeyErrors(t *testing.T) {
	tests := []struct {
		name      string
		keys      []string
		wildcards bool
		err       error
	}{
		{"duplicate", []string{"a", "a"}, false, errConflicting},
		{"duplicate case", []string{"a", "A"}, false, errConflicting},
		{"star is plain without hostnames", []string{"*.a", "*"}, false, nil},
		{"dot then exact", []string{".a.com", "a.com"}, true, errConflicting},
		{"exact then dot", []string{"a.com", ".a.com"}, true, errConflicting},
		{"dot and star", []string{".a.com", "*.a.com"}, true, errConflicting},
		{"star and dot", []string{"*.a.com", ".a.com"}, true, errConflicting},
		{"star and exact", []string{"*.a.com", "a.com"}, true, nil},
		{"tail twice", []string{"a.*", "A.*"}, true, errConflicting},
		{"two stars", []string{"*.a.*"}, true, errInvalidKey},
		{"double dot", []string{"a..b"}, true, errInvalidKey},
		{"inner star", []string{"a.*.b"}, true, errInvalidKey},
		{"lone star", []string{"*"}, true, errInvalidKey},
		{"star dot", []string{"*."}, true, errInvalidKey},
		{"lone dot is exact", []string{"."}, true, nil},
		{"nul", []string{"a\x00b"}, true, errInvalidKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := newKeys()
			var err error
			for _, key := range tc.keys {
				if err = k.add(key, &value{}, tc.wildcards); err != nil {
					break
				}
			}
			if err != tc.err {
				t.Errorf("error %v, want %v", err, tc.err)
			}
		})
	}
}

// FuzzKeys adds two keys and looks names up: nothing panics, an exact key
// always finds itself, and a wildcard finds a name it covers unless a
// more specific key was added.
func FuzzKeys(f *testing.F) {
	f.Add("*.example.com", "www.example.*", "a.example.com")
	f.Add(".example.com", "example.com", "example.com")
	f.Add("a.*", "a.b.*", "a.b.c")
	f.Fuzz(func(t *testing.T, k1, k2, name string) {
		k := newKeys()
		v1, v2 := &value{text: "1"}, &value{text: "2"}
		err1 := k.add(k1, v1, true)
		k.add(k2, v2, true)
		k.find(name)
		k.find(strings.ToLower(k1))
		if err1 != nil || strings.ContainsAny(k1, "*") || strings.HasPrefix(k1, ".") && len(k1) > 1 {
			return
		}
		if got := k.find(strings.ToLower(k1)); got != v1 {
			t.Fatalf("exact key %q not found (second key %q)", k1, k2)
		}
	})
}
