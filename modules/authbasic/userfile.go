package authbasic

import (
	"errors"
	"io"
	"sync"
)

// bufSize is nginx's NGX_HTTP_AUTH_BUF_SIZE: the file is read in pieces
// of this size, and a password field is cut at this length.
const bufSize = 2048

var bufPool = sync.Pool{New: func() any { return new([bufSize]byte) }}

// lookup finds user's password field in the password file, as nginx's
// ngx_http_auth_basic_handler scans it: a line is "name:password", the
// password ending at the line's end (LF or CR) or at a ":" (a comment
// field may follow); lines starting with "#" or CR are skipped, empty ones
// ignored. The name is compared byte for byte from the line's start up to
// the ":" after it. The field is cut at bufSize bytes, as nginx's buffer
// is. The returned field is a slice of buf.
func lookup(f io.ReaderAt, user string, buf *[bufSize]byte) (pwd []byte, found bool, err error) {
	const (
		swLogin = iota
		swPasswd
		swSkip
	)
	state := swLogin
	// login counts the name's bytes matched; nginx compares the byte
	// after the name with the ":" that follows it in the header
	login := 0
	passwd, left := 0, 0
	var off int64
	for {
		i := left
		n, rerr := f.ReadAt(buf[left:], off)
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return nil, false, rerr
		}
		if n == 0 {
			break
		}
		for i = left; i < left+n; i++ {
			c := buf[i]
			switch state {
			case swLogin:
				if login == 0 {
					if c == '#' || c == '\r' {
						state = swSkip
						continue
					}
					if c == '\n' {
						continue
					}
				}
				want := byte(':')
				if login < len(user) {
					want = user[login]
				}
				if c != want {
					state = swSkip
					continue
				}
				if login == len(user) {
					state = swPasswd
					passwd = i + 1
				}
				login++
			case swPasswd:
				if c == '\n' || c == '\r' || c == ':' {
					return buf[passwd:i], true, nil
				}
			case swSkip:
				if c == '\n' {
					state = swLogin
					login = 0
				}
			}
		}
		if state == swPasswd {
			left = left + n - passwd
			copy(buf[:], buf[passwd:passwd+left])
			passwd = 0
		} else {
			left = 0
		}
		off += int64(n)
		_ = i
	}
	if state == swPasswd {
		return buf[passwd:left], true, nil
	}
	return nil, false, nil
}
