package http1

import (
	"testing"

	"github.com/sluicehq/sluice/internal/ascii"
)

func TestArg(t *testing.T) {
	tests := []struct {
		name, args, arg string
		ok              bool
		want            string
	}{
		{"first", "a=1&b=2", "a", true, "1"},
		{"last", "a=1&b=2", "b", true, "2"},
		{"case-insensitive", "Name=X", "nAME", true, "X"},
		{"empty value", "a=&b=2", "a", true, ""},
		{"first of repeated", "b=1&b=2", "b", true, "1"},
		{"suffix not matched", "ab=1&b=2", "b", true, "2"},
		{"suffix only", "xb=1", "b", false, ""},
		{"prefix not matched", "bb=1", "b", false, ""},
		{"no equals", "b&c=1", "b", false, ""},
		{"no equals at end", "a=1&b", "b", false, ""},
		{"value with equals", "a=b=c&d", "a", true, "b=c"},
		{"after semicolon not matched", "x=1;b=2", "b", false, ""},
		{"empty args", "", "a", false, ""},
		{"empty name", "a=1", "", false, ""},
		{"name longer than args", "a", "abc", false, ""},
		{"value not decoded", "q=a%20b+c", "q", true, "a%20b+c"},
		{"double ampersand", "a=1&&b=2", "b", true, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := Arg([]byte(tt.args), []byte(tt.arg))
			if ok != tt.ok || string(v) != tt.want {
				t.Errorf("Arg = %q, %v; want %q, %v", v, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		name, uri, path string
		args            *string
	}{
		{"none", "/a/b", "/a/b", nil},
		{"args", "/a?b=1?c", "/a", ptr("b=1?c")},
		{"empty", "/a?", "/a", ptr("")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, a := SplitArgs([]byte(tt.uri))
			if string(p) != tt.path || (a == nil) != (tt.args == nil) || tt.args != nil && string(a) != *tt.args {
				t.Errorf("SplitArgs = %q, %q", p, a)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestCookie(t *testing.T) {
	tests := []struct {
		name, value, cookie string
		ok                  bool
		want                string
	}{
		{"first", "a=1; b=2", "a", true, "1"},
		{"second", "a=1; b=2", "b", true, "2"},
		{"no space", "a=1;b=2", "b", true, "2"},
		{"many spaces", "a=1;    b=2", "b", true, "2"},
		{"case-insensitive", "SID=x", "sid", true, "x"},
		{"spaces around equals", "a = 1 ; b", "a", true, "1 "},
		{"empty value", "a=; b=2", "a", true, ""},
		{"longer name skipped", "ab=1; b=2", "b", true, "2"},
		{"prefix not matched", "a=1", "ab", false, ""},
		{"name alone", "a; b=2", "a", false, ""},
		{"name alone then same name", "a;a=1", "a", false, ""},
		{"name alone then other", "a;b=1", "b", true, "1"},
		{"name then space then same", "a ;a=1", "a", false, ""},
		{"comma not a separator", "a=1, b=2", "b", false, ""},
		{"value with equals", "t=a=b; c", "t", true, "a=b"},
		{"quoted value kept", `q="x y"`, "q", true, `"x y"`},
		{"name longer than value", "a", "abc", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := Cookie([]byte(tt.value), []byte(tt.cookie))
			if ok != tt.ok || string(v) != tt.want {
				t.Errorf("Cookie = %q, %v; want %q, %v", v, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestListHeaders(t *testing.T) {
	tests := []struct {
		name, value, item string
		token             bool
		param             string
		paramOK           bool
	}{
		{"private", "no-cache, private", "private", true, "", false},
		{"no-cache first", "no-cache, private", "No-Cache", true, "", false},
		{"token with value", "private=\"x\", max-age=0", "private", false, "\"x\"", true},
		{"max-age", "public, max-age=60", "max-age", false, "60", true},
		{"trailing spaces", "no-store  , x", "no-store", true, "", false},
		{"longer token", "no-cache-x", "no-cache", false, "", false},
		{"absent", "public", "private", false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ListHasToken([]byte(tt.value), []byte(tt.item)); got != tt.token {
				t.Errorf("ListHasToken = %v", got)
			}
			v, ok := ListParam([]byte(tt.value), []byte(tt.item))
			if ok != tt.paramOK || string(v) != tt.param {
				t.Errorf("ListParam = %q, %v", v, ok)
			}
		})
	}
}

func TestSetCookie(t *testing.T) {
	tests := []struct {
		name, value, cookie string
		ok                  bool
		want                string
	}{
		{"plain", "sid=abc; Path=/; HttpOnly", "sid", true, "abc"},
		{"case-insensitive", "SID=abc", "sid", true, "abc"},
		{"spaces", "sid = abc ;x", "sid", true, "abc "},
		{"empty value", "sid=; Path=/", "sid", true, ""},
		{"other cookie", "sidx=1", "sid", false, ""},
		{"attribute not searched", "a=1; sid=2", "sid", false, ""},
		{"name only", "sid", "sid", false, ""},
		{"name and equals only", "sid=", "sid", true, ""},
		{"name and spaces", "sid  ", "sid", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := SetCookie([]byte(tt.value), []byte(tt.cookie))
			if ok != tt.ok || string(v) != tt.want {
				t.Errorf("SetCookie = %q, %v; want %q, %v", v, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestValidateHost(t *testing.T) {
	tests := []struct {
		name, host string
		ok         bool
		want       string
		port       int
	}{
		{"name", "example.com", true, "example.com", 0},
		{"uppercase", "Example.COM", true, "example.com", 0},
		{"trailing dot", "example.com.", true, "example.com", 0},
		{"trailing dot and port", "Example.com.:8080", true, "example.com", 8080},
		{"port", "localhost:80", true, "localhost", 80},
		{"empty port", "localhost:", true, "localhost", 0},
		{"max port", "a:65535", true, "a", 65535},
		{"port too big", "a:65536", false, "", 0},
		{"port huge", "a:99999999999999999999", false, "", 0},
		{"port letter", "a:8x", false, "", 0},
		{"second colon", "a:80:81", false, "", 0},
		{"ipv4", "127.0.0.1:8080", true, "127.0.0.1", 8080},
		{"ipv6", "[::1]", true, "[::1]", 0},
		{"ipv6 port", "[::1]:443", true, "[::1]", 443},
		{"ipv6 upper", "[FE80::1]", true, "[fe80::1]", 0},
		{"ipv6 unclosed", "[::1", false, "", 0},
		{"ipv6 junk after", "[::1]x", false, "", 0},
		{"ipv6 bad byte", "[::1/]", false, "", 0},
		{"bracket inside name", "a[b]", false, "", 0},
		{"underscore", "a_b.example", true, "a_b.example", 0},
		{"sub-delims", "a!$&'()*+,;=~%", true, "a!$&'()*+,;=~%", 0},
		{"leading dot", ".example.com", true, ".example.com", 0},
		{"double dot", "a..b", false, "", 0},
		{"only dot", ".", false, "", 0},
		{"double dot end", "a..", false, "", 0},
		{"empty", "", false, "", 0},
		{"port only", ":80", false, "", 0},
		{"slash", "a/b", false, "", 0},
		{"backslash", "a\\b", false, "", 0},
		{"space", "a b", false, "", 0},
		{"NUL", "a\x00", false, "", 0},
		{"at", "user@host", false, "", 0},
		{"high byte", "\xc3\xa9.com", false, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, port, ok := ValidateHost(make([]byte, 0, 64), []byte(tt.host))
			if ok != tt.ok || string(h) != tt.want || port != tt.port {
				t.Errorf("ValidateHost = %q, %d, %v; want %q, %d, %v", h, port, ok, tt.want, tt.port, tt.ok)
			}
		})
	}
}

func TestLookupHeader(t *testing.T) {
	for h := Header(1); h < headerCount; h++ {
		name := h.String()
		t.Run(name, func(t *testing.T) {
			if got := LookupHeader([]byte(name)); got != h {
				t.Errorf("LookupHeader(%q) = %v", name, got)
			}
			if got := LookupHeader(ascii.AppendLower(nil, []byte(name))); got != h {
				t.Errorf("lowercase lookup = %v", got)
			}
		})
	}
	for _, name := range []string{"", "X-Custom", "Hos", "Hostx", "If-Unmodified-Sincex", "content_length", "Content-Length "} {
		t.Run("other "+name, func(t *testing.T) {
			if got := LookupHeader([]byte(name)); got != HeaderOther {
				t.Errorf("LookupHeader(%q) = %v", name, got)
			}
		})
	}
}

func TestLookupMethod(t *testing.T) {
	for m := MethodGet; m <= MethodConnect; m <<= 1 {
		if got := LookupMethod([]byte(m.String())); got != m {
			t.Errorf("LookupMethod(%q) = %v", m.String(), got)
		}
	}
	if got := LookupMethod([]byte("get")); got != MethodOther {
		t.Errorf("lowercase get = %v", got)
	}
}

func TestEqualFold(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"Content-Length", "content-length", true},
		{"a", "b", false},
		{"ab", "a", false},
		{"\xc3\x89", "\xc3\xa9", false},
		{"@", "`", false},
	}
	for _, tt := range tests {
		if got := equalFold([]byte(tt.a), []byte(tt.b)); got != tt.want {
			t.Errorf("equalFold(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}
