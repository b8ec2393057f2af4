package proxy

import (
	"strings"
	"testing"
)

// TestParseCookie checks the split of Set-Cookie values with nginx's
// trimming (ngx_http_proxy_parse_cookie) and that an unchanged list
// rebuilds as nginx writes it.
func TestParseCookie(t *testing.T) {
	tests := []struct {
		name, in string
		want     []cookieAttr
	}{
		{"plain", "a=b", []cookieAttr{{key: "a", value: "b", hasValue: true}}},
		{"attributes", "a=b; Path=/x; Secure", []cookieAttr{{key: "a", value: "b", hasValue: true}, {key: "Path", value: "/x", hasValue: true}, {key: "Secure"}}},
		{"spaces", "  a = b  ;  domain =  .x  ;httponly ", []cookieAttr{{key: "a", value: "b", hasValue: true}, {key: "domain", value: ".x", hasValue: true}, {key: "httponly"}}},
		{"empty parts", "a=b;;", []cookieAttr{{key: "a", value: "b", hasValue: true}, {}, {}}},
		{"no value", "flag", []cookieAttr{{key: "flag"}}},
		{"equals in value", "a=b=c", []cookieAttr{{key: "a", value: "b=c", hasValue: true}}},
		{"empty value", "a=", []cookieAttr{{key: "a", hasValue: true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := parseCookie(tc.in)
			if len(got) != len(tc.want) {
				t.Fatalf("%d attributes %+v, want %+v", len(got), got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("attribute %d: %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestEditFlags checks proxy_cookie_flags' edits
// (ngx_http_proxy_edit_cookie_flags).
func TestEditFlags(t *testing.T) {
	tests := []struct {
		name, in string
		flags    []string
		want     string
	}{
		{"add all", "a=b", []string{"secure", "httponly", "samesite=strict"}, "a=b; Secure; HttpOnly; SameSite=Strict"},
		{"already there", "a=b; secure; HttpOnly", []string{"secure", "httponly"}, "a=b; secure; HttpOnly"},
		{"remove", "a=b; Secure; HttpOnly; SameSite=Lax", []string{"nosecure", "nohttponly", "nosamesite"}, "a=b"},
		{"replace samesite", "a=b; samesite=none", []string{"samesite=lax"}, "a=b; SameSite=Lax"},
		{"same samesite kept", "a=b; samesite=LAX", []string{"samesite=lax"}, "a=b; samesite=LAX"},
		{"samesite without value", "a=b; samesite", []string{"samesite=none"}, "a=b; SameSite=None"},
		{"last of a kind wins", "a=b", []string{"samesite=none", "samesite=strict"}, "a=b; SameSite=Strict"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f uint
			for _, name := range tc.flags {
				for _, fn := range flagNames {
					if fn.name == name {
						f |= fn.bits
					}
				}
			}
			attrs := editFlags(parseCookie(tc.in), f)
			var parts []string
			for _, a := range attrs {
				if a.deleted {
					continue
				}
				p := a.key
				if a.hasValue {
					p += "=" + a.value
				}
				parts = append(parts, p)
			}
			if got := strings.Join(parts, "; "); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRuleApply checks the rewrite rules of proxy_redirect and the cookie
// directives on literal patterns (the regex form needs a request).
func TestRuleApply(t *testing.T) {
	tests := []struct {
		name   string
		rule   rewriteRule
		value  string
		prefix int
		want   string
		ok     bool
	}{
		{"prefix replaced", rewriteRule{kind: ruleComplex, pattern: cval{lit: "http://b/"}, replacement: cval{lit: "/f/"}}, "http://b/x?y", 0, "/f/x?y", true},
		{"prefix is case-sensitive", rewriteRule{kind: ruleComplex, pattern: cval{lit: "http://b/"}, replacement: cval{lit: "/f/"}}, "HTTP://b/x", 0, "HTTP://b/x", false},
		{"refresh keeps its prefix", rewriteRule{kind: ruleComplex, pattern: cval{lit: "http://b/"}, replacement: cval{lit: "/"}}, "5; url=http://b/z", 7, "5; url=/z", true},
		{"pattern longer than value", rewriteRule{kind: ruleComplex, pattern: cval{lit: "http://b/long"}, replacement: cval{lit: "/"}}, "http://b/", 0, "http://b/", false},
		{"domain equal", rewriteRule{kind: ruleDomain, pattern: cval{lit: "b.example"}, replacement: cval{lit: "f.example"}}, "B.Example", 0, "f.example", true},
		{"domain keeps the dot", rewriteRule{kind: ruleDomain, pattern: cval{lit: "b.example"}, replacement: cval{lit: "f.example"}}, ".b.example", 0, ".f.example", true},
		{"domain suffix is no match", rewriteRule{kind: ruleDomain, pattern: cval{lit: "example"}, replacement: cval{lit: "x"}}, "b.example", 0, "b.example", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.rule.apply(nil, tc.value, tc.prefix)
			if got != tc.want || ok != tc.ok {
				t.Errorf("got %q %v, want %q %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
