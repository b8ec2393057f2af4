package userid

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestParseCookie(t *testing.T) {
	// words as nginx prints them: 0100007F 5F675D61 ...
	valid := "fwAAAWFdZ18AAAAAAgMDAw"
	for _, tc := range []struct {
		name, value string
		res         ParseResult
		words       string // hexWords when Parsed
	}{
		{"valid", valid + "==", Parsed, "0100007F5F675D610000000003030302"},
		{"marked", valid + "t=", Parsed, "0100007F5F675D610000000003030302"},
		{"no padding", valid, Parsed, "0100007F5F675D610000000003030302"},
		{"trailing garbage", valid + "!!!!", Parsed, "0100007F5F675D610000000003030302"},
		{"short", valid[:21], TooShort, ""},
		{"empty", "", TooShort, ""},
		{"bad character", "!" + valid[1:], Invalid, ""},
		{"url alphabet", "-" + valid[1:], Invalid, ""},
		// "=" ends the decoding: 3 bytes, the rest stays zero
		{"early padding", "fwAA=" + valid[5:], Parsed, "0000007F000000000000000000000000"},
		// 4n+1 characters before "="
		{"bad length", "fwAAA=" + valid[6:], Invalid, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, res := ParseCookie(tc.value)
			if res != tc.res {
				t.Fatalf("result %d, want %d", res, tc.res)
			}
			if tc.res == Parsed {
				if got := hexWords(&u); got != tc.words {
					t.Errorf("words %s, want %s", got, tc.words)
				}
			}
		})
	}
}

func TestEncode(t *testing.T) {
	u := UID{0x7f, 0, 0, 1, 0x61, 0x5d, 0x67, 0x5f, 0, 0, 0, 0, 3, 3, 3, 2}
	for _, tc := range []struct {
		name string
		mark byte
		want string
	}{
		{"no mark", 0, "fwAAAWFdZ18AAAAAAwMDAg=="},
		{"letter", 't', "fwAAAWFdZ18AAAAAAwMDAgt="},
		{"equals", '=', "fwAAAWFdZ18AAAAAAwMDAg=="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(appendEncoded([]byte("x="), &u, tc.mark))
			if got != "x="+tc.want {
				t.Errorf("got %q, want %q", got, "x="+tc.want)
			}
			back, res := ParseCookie(tc.want)
			if res != Parsed || back != u {
				t.Errorf("read back %x %d", back, res)
			}
		})
	}
}

func TestCookieTime(t *testing.T) {
	for _, tc := range []struct {
		name string
		t    int64
		want string
	}{
		{"epoch", 0, "Thu, 01-Jan-70 00:00:00 GMT"},
		{"max", maxExpires, "Thu, 31-Dec-37 23:55:55 GMT"},
		{"2009", 1234567890, "Fri, 13-Feb-09 23:31:30 GMT"},
		{"after 2037", 2208988800, "Sun, 01-Jan-2040 00:00:00 GMT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendCookieTime(nil, tc.t)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzParseCookie checks the cookie reader against encoding/base64: a
// value of at least 22 characters without "=", CR or LF among the first 22
// decodes as RawStdEncoding does (nginx ignores the last character's
// unused bits, so a strict decode that succeeds must agree), and a parsed
// identifier encodes back to the same 22 characters when it came from a
// strict encoding.
func FuzzParseCookie(f *testing.F) {
	for _, s := range []string{"", "fwAAAWFdZ18AAAAAAgMDAw==", "fwAAAWFdZ18AAAAAAgMDAwt=", "fwAA=AWFdZ18AAAAAAgMDAw", "short", "!wAAAWFdZ18AAAAAAgMDAw=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		u, res := ParseCookie(v)
		if len(v) < cookieLen {
			if res != TooShort {
				t.Fatalf("%q: %d for a short value", v, res)
			}
			return
		}
		head := v[:cookieLen]
		if strings.ContainsAny(head, "=\r\n") {
			return
		}
		want, err := base64.RawStdEncoding.Strict().DecodeString(head)
		if err != nil {
			return
		}
		if res != Parsed || string(u[:]) != string(want) {
			t.Fatalf("%q: got %x %d, encoding/base64 %x", v, u, res, want)
		}
		if enc := string(appendEncoded(nil, &u, 0)); enc[:cookieLen] != head {
			t.Fatalf("%q: encodes back as %q", v, enc)
		}
	})
}
