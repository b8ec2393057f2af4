package cgiup

import (
	"strings"

	"github.com/sluicehq/sluice/httpd"
)

// A client header sent more than once becomes one HTTP_* param whose value
// joins the values in order, with "; " for Cookie and ", " for the others
// (ngx_http_link_multi_headers, nginx 1.23.0 on; nginx 1.22 sent each
// line as a param of its own).
//
// TODO(cgi): move to modules/internal/cgi (fastcgi joins them too).

// FirstOfName reports whether list[i] is the first header of its name
// (case-insensitively): the one that carries the joined value. Deleted
// headers do not count.
func FirstOfName(list []httpd.Header, i int) bool {
	h := &list[i]
	for j := 0; j < i; j++ {
		if p := &list[j]; !p.Deleted && len(p.Key) == len(h.Key) && strings.EqualFold(p.Key, h.Key) {
			return false
		}
	}
	return true
}

// JoinedLen is the length of the joined value of the header list[i] and
// those of its name after it.
func JoinedLen(list []httpd.Header, i int) int {
	h := &list[i]
	n := len(h.Value)
	for j := i + 1; j < len(list); j++ {
		if p := &list[j]; !p.Deleted && len(p.Key) == len(h.Key) && strings.EqualFold(p.Key, h.Key) {
			n += 2 + len(p.Value)
		}
	}
	return n
}

// AppendJoined appends the joined value of the header list[i] and those of
// its name after it.
func AppendJoined(dst []byte, list []httpd.Header, i int) []byte {
	h := &list[i]
	dst = append(dst, h.Value...)
	sep := byte(',')
	if strings.EqualFold(h.Key, "Cookie") {
		sep = ';'
	}
	for j := i + 1; j < len(list); j++ {
		if p := &list[j]; !p.Deleted && len(p.Key) == len(h.Key) && strings.EqualFold(p.Key, h.Key) {
			dst = append(dst, sep, ' ')
			dst = append(dst, p.Value...)
		}
	}
	return dst
}
