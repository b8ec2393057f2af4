package authbasic

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/httpd"
)

// refLookup is nginx's scan of the password file over the whole file at
// once, without its 2048-byte buffer.
func refLookup(file []byte, user string) ([]byte, bool) {
	state, login, passwd := 0, 0, 0
	for i, c := range file {
		switch state {
		case 0:
			if login == 0 && (c == '#' || c == '\r') {
				state = 2
				continue
			}
			if login == 0 && c == '\n' {
				continue
			}
			want := byte(':')
			if login < len(user) {
				want = user[login]
			}
			if c != want {
				state = 2
				continue
			}
			if login == len(user) {
				state, passwd = 1, i+1
			}
			login++
		case 1:
			if c == '\n' || c == '\r' || c == ':' {
				return file[passwd:i], true
			}
		case 2:
			if c == '\n' {
				state, login = 0, 0
			}
		}
	}
	if state == 1 {
		return file[passwd:], true
	}
	return nil, false
}

// TestLookup: lines across the 2048-byte reads, and fields cut there.
func TestLookup(t *testing.T) {
	pad := "#" + strings.Repeat("p", 2040) + "\n"
	cases := []struct {
		name, file, user, want string
		found                  bool
	}{
		{"simple", "u:pw\n", "u", "pw", true},
		{"no newline", "u:pw", "u", "pw", true},
		{"comment field", "u:pw:c\n", "u", "pw", true},
		{"crlf", "u:pw\r\n", "u", "pw", true},
		{"empty lines", "\n\n\nu:pw\n", "u", "pw", true},
		{"comment", "#u:pw\n", "u", "", false},
		{"cr line", "\ru:pw\n", "u", "", false},
		{"prefix", "us:pw\n", "u", "", false},
		{"longer user", "u:pw\n", "us", "", false},
		{"no colon", "u\n", "u", "", false},
		{"empty field", "u:\n", "u", "", true},
		{"first of two", "u:a\nu:b\n", "u", "a", true},
		{"line across reads", pad + "u:pw\n", "u", "pw", true},
		{"name across reads", pad[:len(pad)-3] + "\nuser:pw\n", "user", "pw", true},
		{"field across reads", pad[:len(pad)-10] + "\nu:" + strings.Repeat("f", 20) + "\n", "u", strings.Repeat("f", 20), true},
		{"field cut at 2048", "u:" + strings.Repeat("f", 3000) + "\n", "u", strings.Repeat("f", 2048), true},
		{"user with newline", "a\nb:pw\n", "a\nb", "pw", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf [bufSize]byte
			pwd, found, err := lookup(bytes.NewReader([]byte(c.file)), c.user, &buf)
			if err != nil || found != c.found || string(pwd) != c.want {
				t.Errorf("lookup = %q, %v, %v; want %q, %v", pwd, found, err, c.want, c.found)
			}
		})
	}
}

// FuzzLookup: the scan by 2048-byte reads finds what a scan of the whole
// file finds, the field cut at 2048 bytes.
func FuzzLookup(f *testing.F) {
	f.Add([]byte("u:pw\n"), "u")
	f.Add([]byte("#c\n\r\nu:pw:comment\r\nv:x"), "v")
	f.Add(bytes.Repeat([]byte("a:b\n"), 600), "a")
	f.Fuzz(func(t *testing.T, file []byte, user string) {
		if user == "" {
			return // BasicUser never gives an empty name
		}
		var buf [bufSize]byte
		got, found, err := lookup(bytes.NewReader(file), user, &buf)
		if err != nil {
			t.Fatal(err)
		}
		want, wfound := refLookup(file, user)
		if len(want) > bufSize {
			want = want[:bufSize]
		}
		if found != wfound || !bytes.Equal(got, want) {
			t.Fatalf("lookup = %q, %v; whole-file scan %q, %v", got, found, want, wfound)
		}
	})
}

// FuzzParseBasic: nginx's base64 decoding is Go's unpadded decoding of
// what comes before the first "=" (length 4n+1 refused), and the
// credentials split at the first ":". Go's decoder skips CR and LF, which
// ngx_decode_base64 refuses as any byte outside the alphabet.
func FuzzParseBasic(f *testing.F) {
	f.Add("Basic dXNlcjpwYXNz")
	f.Add("basic    dXNlcjpwYXNz==junk")
	f.Add("Basic dXNlcjpwYXN")
	f.Add("Basic !!")
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, v string) {
		user, passwd, ok := httpd.ParseBasic(v)
		wok := false
		var wuser, wpasswd string
		if len(v) >= 6 && strings.EqualFold(v[:6], "Basic ") {
			enc := strings.TrimLeft(v[6:], " ")
			if i := strings.IndexByte(enc, '='); i >= 0 {
				enc = enc[:i]
			}
			if dec, err := base64.RawStdEncoding.DecodeString(enc); err == nil && len(enc)%4 != 1 && strings.TrimLeft(v[6:], " ") != "" && !strings.ContainsAny(enc, "\r\n") {
				u, p, found := strings.Cut(string(dec), ":")
				if found && u != "" {
					wok, wuser, wpasswd = true, u, p
				}
			}
		}
		if ok != wok || user != wuser || passwd != wpasswd {
			t.Fatalf("ParseBasic(%q) = %q, %q, %v; want %q, %q, %v", v, user, passwd, ok, wuser, wpasswd, wok)
		}
	})
}
