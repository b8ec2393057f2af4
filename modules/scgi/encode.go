package scgi

import (
	"strconv"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/modules/internal/cgi"
)

// The SCGI request head is one netstring, "LEN:" + pairs + ",", whose
// pairs are NUL-terminated names and values: CONTENT_LENGTH first (the
// protocol requires it), then the scgi_param lines, then the client's
// headers as HTTP_* pairs (ngx_http_scgi_create_request). The body follows
// the comma.

// lenRoom is the room kept before the pairs for the netstring's length
// and colon: the pairs are written first, the length then goes right
// before them.
const lenRoom = 21

// appendHead appends the request head to dst: the netstring of
// CONTENT_LENGTH, the params of set evaluated for r, and r's headers when
// headers is set.
func appendHead(dst []byte, r *httpd.Request, set *cgi.Set, headers bool, contentLength int64) []byte {
	start := len(dst)
	for i := 0; i < lenRoom; i++ {
		dst = append(dst, 0)
	}
	dst = append(dst, "CONTENT_LENGTH\x00"...)
	dst = strconv.AppendInt(dst, contentLength, 10)
	dst = append(dst, 0)
	set.Each(r, func(key, value string) {
		dst = appendPair(dst, key, value)
	})
	if headers {
		list := r.In.List
		set.EachHeader(list, func(i int) {
			dst = cgi.AppendHTTPName(dst, list[i].Key)
			dst = append(dst, 0)
			dst = cgi.AppendJoined(dst, list, i)
			dst = append(dst, 0)
		})
	}
	dst = append(dst, ',')
	return frame(dst, start)
}

// appendPair appends one NUL-terminated name and value.
func appendPair(dst []byte, key, value string) []byte {
	dst = append(dst, key...)
	dst = append(dst, 0)
	dst = append(dst, value...)
	return append(dst, 0)
}

// frame writes the netstring's length and colon into the room kept at
// dst[start:start+lenRoom] for the pairs that follow it (up to the
// trailing comma), and returns dst without the unused room.
func frame(dst []byte, start int) []byte {
	n := len(dst) - start - lenRoom - 1
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], int64(n), 10)
	at := start + lenRoom - 1 - len(d)
	copy(dst[at:], d)
	dst[start+lenRoom-1] = ':'
	// move the netstring to start
	m := copy(dst[start:], dst[at:])
	return dst[:start+m]
}
