package autoindex

import (
	"strconv"
	"time"
)

// XML appends nginx's XML listing to dst.
func XML(dst []byte, entries []Entry) []byte {
	b := dst
	b = append(b, "<?xml version=\"1.0\"?>\r\n<list>\r\n"...)
	for i := range entries {
		e := &entries[i]
		typ := entryType(e)
		b = append(b, '<')
		b = append(b, typ...)
		b = append(b, " mtime=\""...)
		b = time.Unix(max(e.Mtime, 0), 0).UTC().AppendFormat(b, "2006-01-02T15:04:05Z")
		if e.File {
			b = append(b, "\" size=\""...)
			b = strconv.AppendInt(b, e.Size, 10)
		}
		b = append(b, '"', '>')
		b = appendHTMLEscaped(b, e.Name)
		b = append(b, '<', '/')
		b = append(b, typ...)
		b = append(b, '>', '\r', '\n')
	}
	return append(b, "</list>\r\n"...)
}
