package userid

import (
	"encoding/base64"
	"encoding/binary"
	"time"

	"github.com/sluicehq/sluice/httpd"
)

// UID is a user identifier: 16 bytes, read by nginx as four 32-bit words
// (service or server address, time, start value, sequence).
type UID [16]byte

// Word returns word i (0..3) as nginx prints it in $uid_got, $uid_set and
// the reset log line: the word's bytes read in a little-endian host's
// memory order (nginx prints its in-memory words; sluice always prints
// them as nginx on x86 and arm64 does).
func (u *UID) Word(i int) uint32 { return binary.LittleEndian.Uint32(u[i*4:]) }

// Present reports whether the identifier is set: nginx tests the last
// word only.
func (u *UID) Present() bool { return u.Word(3) != 0 }

// ParseResult is what ParseCookie made of a cookie value.
type ParseResult uint8

// The ParseCookie outcomes.
const (
	// Parsed: the first 22 characters decoded (into up to 16 bytes; a "="
	// among them ends the decoding early and leaves the rest zero).
	Parsed ParseResult = iota
	// TooShort: fewer than 22 characters ("client sent too short userid
	// cookie").
	TooShort
	// Invalid: the 22 characters are not base64 ("client sent invalid
	// userid cookie").
	Invalid
)

// cookieLen is the base64 length nginx reads: 16 bytes without padding.
// The characters after it (a userid_mark and "=", or "==") are not
// decoded.
const cookieLen = 22

// ParseCookie reads a userid cookie value as nginx's
// ngx_http_userid_get_uid does.
func ParseCookie(v string) (UID, ParseResult) {
	var u UID
	if len(v) < cookieLen {
		return u, TooShort
	}
	d, ok := httpd.DecodeBase64(v[:cookieLen])
	if !ok {
		return u, Invalid
	}
	copy(u[:], d)
	return u, Parsed
}

// encodedLen is the cookie value as sent: base64 with padding.
const encodedLen = 24

// appendEncoded appends u in base64 with padding; a mark replaces the
// first padding character, as nginx does.
func appendEncoded(b []byte, u *UID, mark byte) []byte {
	n := len(b)
	b = base64.StdEncoding.AppendEncode(b, u[:])
	if mark != 0 {
		b[n+encodedLen-2] = mark
	}
	return b
}

var (
	weekdays = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	months   = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// appendCookieTime appends t as nginx's ngx_http_cookie_time: a two-digit
// year up to 2037 (for Netscape 3), four digits after.
func appendCookieTime(b []byte, t int64) []byte {
	tm := time.Unix(t, 0).UTC()
	b = append(b, weekdays[tm.Weekday()]...)
	b = append(b, ", "...)
	b = append2(b, tm.Day())
	b = append(b, '-')
	b = append(b, months[tm.Month()-1]...)
	b = append(b, '-')
	if y := tm.Year(); y > 2037 {
		b = tm.AppendFormat(b, "2006")
	} else {
		b = append2(b, y%100)
	}
	b = append(b, ' ')
	b = append2(b, tm.Hour())
	b = append(b, ':')
	b = append2(b, tm.Minute())
	b = append(b, ':')
	b = append2(b, tm.Second())
	return append(b, " GMT"...)
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }
