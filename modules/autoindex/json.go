package autoindex

import (
	"strconv"
	"time"
)

// httpTime is the date format of the JSON listing's mtime.
const httpTime = "Mon, 02 Jan 2006 15:04:05 GMT"

// entryType names an entry's kind in the JSON and XML listings.
func entryType(e *Entry) string {
	switch {
	case e.Dir:
		return "directory"
	case e.File:
		return "file"
	}
	return "other"
}

// JSON appends nginx's JSON listing to dst; with jsonp set, wrapped in a
// call of callback.
func JSON(dst []byte, entries []Entry, callback string, jsonp bool) []byte {
	b := dst
	if jsonp {
		b = append(b, "/* callback */\r\n"...)
		b = append(b, callback...)
		b = append(b, '(')
	}
	b = append(b, '[')
	for i := range entries {
		e := &entries[i]
		b = append(b, "\r\n{ \"name\":\""...)
		b = appendJSONEscaped(b, e.Name)
		b = append(b, "\", \"type\":\""...)
		b = append(b, entryType(e)...)
		b = append(b, "\", \"mtime\":\""...)
		b = time.Unix(max(e.Mtime, 0), 0).UTC().AppendFormat(b, httpTime)
		if e.File {
			b = append(b, "\", \"size\":"...)
			b = strconv.AppendInt(b, e.Size, 10)
		} else {
			b = append(b, '"')
		}
		b = append(b, " },"...)
	}
	if len(entries) > 0 {
		b = b[:len(b)-1]
	}
	b = append(b, "\r\n]"...)
	if jsonp {
		b = append(b, ')', ';')
	}
	return b
}
