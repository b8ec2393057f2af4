package uwsgi

import (
	"errors"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/modules/internal/cgi"
)

// The uwsgi request head is a packet: modifier1, the size of what follows
// as a 16-bit little-endian number, modifier2; then each name and value
// with its 16-bit little-endian length — the uwsgi_param lines, the
// client's headers as HTTP_* — then uwsgi_string as it is
// (ngx_http_uwsgi_create_request). The body follows the packet.

// maxPacket is the largest size the header can say.
const maxPacket = 65535

// errTooBig is a packet whose size does not fit its 16 bits.
var errTooBig = errors.New("uwsgi request is too big")

// appendPacket appends the request packet to dst. It returns the packet's
// size (without the 4-byte header) and errTooBig when it exceeds
// maxPacket (dst then holds what was built, for the log line's size).
func appendPacket(dst []byte, r *httpd.Request, set *cgi.Set, headers bool, mod1, mod2 byte, extra string) ([]byte, int, error) {
	start := len(dst)
	dst = append(dst, mod1, 0, 0, mod2)
	set.Each(r, func(key, value string) {
		dst = appendVar(dst, key, value)
	})
	if headers {
		list := r.In.List
		set.EachHeader(list, func(i int) {
			dst = appendLen(dst, cgi.HTTPNameLen(list[i].Key))
			dst = cgi.AppendHTTPName(dst, list[i].Key)
			dst = appendLen(dst, cgi.JoinedLen(list, i))
			dst = cgi.AppendJoined(dst, list, i)
		})
	}
	dst = append(dst, extra...)
	size := len(dst) - start - 4
	if size > maxPacket {
		return dst, size, errTooBig
	}
	dst[start+1], dst[start+2] = byte(size), byte(size>>8)
	return dst, size, nil
}

// appendVar appends one name and value with their lengths.
func appendVar(dst []byte, key, value string) []byte {
	dst = appendLen(dst, len(key))
	dst = append(dst, key...)
	dst = appendLen(dst, len(value))
	return append(dst, value...)
}

// appendLen appends a 16-bit little-endian length (nginx keeps its low 16
// bits; a longer name or value makes the packet too big anyway).
func appendLen(dst []byte, n int) []byte {
	return append(dst, byte(n), byte(n>>8))
}
