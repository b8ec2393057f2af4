package securelink

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseLink checks ParseLink against encoding/base64 and strconv: a
// link without '=' and of 22 characters decodes as RawURLEncoding does
// (nginx ignores the last character's unused bits, so only the decoded
// bytes of a strict decode are compared), and the expiry is a plain
// positive decimal.
func FuzzParseLink(f *testing.F) {
	sum := md5.Sum([]byte("x"))
	h := base64.RawURLEncoding.EncodeToString(sum[:])
	for _, s := range []string{"", h, h + ",1", h + ",0", h + ",-1", h + "==,5", h + ",99999999999999999999", ",1", "AAAA", h + "A", "+/+/", h + ",1,2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, link string) {
		hash, exp, expText, ok := ParseLink(link)
		val, rest, comma := strings.Cut(link, ",")
		if comma {
			n, err := strconv.ParseInt(rest, 10, 64)
			digits := rest != "" && strings.Trim(rest, "0123456789") == ""
			if (err == nil && digits && n > 0) != (expText != "") {
				t.Fatalf("%q: expires %q parsed as %v", link, rest, expText != "")
			}
			if expText != "" && (exp != n || expText != rest) {
				t.Fatalf("%q: expires %d %q", link, exp, expText)
			}
			if expText == "" && ok {
				t.Fatalf("%q: ok without a valid expiry", link)
			}
		}
		if ok && len(hash) != 16 {
			t.Fatalf("%q: %d bytes", link, len(hash))
		}
		// (encoding/base64 skips CR and LF, nginx refuses them)
		if !strings.ContainsAny(val, "=\r\n") && len(val) == 22 && (!comma || expText != "") {
			want, err := base64.RawURLEncoding.Strict().DecodeString(val)
			if err == nil && (!ok || string(want) != string(hash)) {
				t.Fatalf("%q: got %x %v, encoding/base64 %x", link, hash, ok, want)
			}
		}
	})
}

// FuzzOldLink checks the secure_link_secret parser: a target built as
// /prefix/<md5 hex>/link is accepted with link as the value, and any
// answer it gives is a suffix of the target whose checksum matches.
func FuzzOldLink(f *testing.F) {
	for _, s := range []string{"", "/", "/p/", "/p/" + strings.Repeat("0", 32) + "/x", "/p/x/y", "p//x"} {
		f.Add(s, "word")
	}
	f.Fuzz(func(t *testing.T, uri, secret string) {
		if v, ok := OldLink(uri, secret); ok {
			if !strings.HasSuffix(uri, "/"+v) || v == "" {
				t.Fatalf("%q: value %q", uri, v)
			}
			d := uri[:len(uri)-len(v)-1]
			d = d[strings.LastIndexByte(d, '/')+1:]
			sum := md5.Sum([]byte(v + secret))
			if !strings.EqualFold(d, hex.EncodeToString(sum[:])) {
				t.Fatalf("%q: checksum %q", uri, d)
			}
		}
		if strings.Contains(uri, "/") || uri == "" {
			return
		}
		link := uri
		sum := md5.Sum([]byte(link + secret))
		target := "/p/" + hex.EncodeToString(sum[:]) + "/" + link
		if v, ok := OldLink(target, secret); !ok || v != link {
			t.Fatalf("%q: got %q %v", target, v, ok)
		}
	})
}
