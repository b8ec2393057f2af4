package autoindex

import (
	"strconv"
	"time"

	"github.com/sluicehq/sluice/http1"
)

// nameWidth is the width of the name column of the HTML listing (nginx's
// NGX_HTTP_AUTOINDEX_NAME_LEN): longer names are cut to nameWidth-3
// characters and "..>".
const nameWidth = 50

// HTMLOptions shape the HTML listing.
type HTMLOptions struct {
	// UTF8 counts name widths in UTF-8 characters (the response charset
	// is utf-8) rather than bytes.
	UTF8 bool
	// ExactSize prints sizes in bytes; otherwise rounded with K, M, G.
	ExactSize bool
	// Localtime shifts times by the local zone's current offset.
	Localtime bool
}

var months = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// HTML appends nginx's HTML listing of uri to dst.
func HTML(dst []byte, uri string, entries []Entry, o HTMLOptions) []byte {
	b := dst
	b = append(b, "<html>\r\n<head><title>Index of "...)
	b = appendHTMLEscaped(b, uri)
	b = append(b, "</title></head>\r\n<body>\r\n<h1>Index of "...)
	b = appendHTMLEscaped(b, uri)
	b = append(b, "</h1>"...)
	b = append(b, "<hr><pre><a href=\"../\">../</a>\r\n"...)
	var offset int64
	if o.Localtime {
		_, off := time.Now().Zone()
		offset = int64(off)
	}
	for i := range entries {
		b = appendHTMLEntry(b, &entries[i], o, offset)
	}
	b = append(b, "</pre><hr>"...)
	b = append(b, "</body>\r\n</html>\r\n"...)
	return b
}

// appendHTMLEntry appends one line of the listing: the link, the name
// padded or cut to the column, the time and the size.
func appendHTMLEntry(b []byte, e *Entry, o HTMLOptions, offset int64) []byte {
	name := e.Name
	b = append(b, "<a href=\""...)
	b = http1.Escape(b, []byte(name), http1.EscapeURIComponent)
	if e.Dir {
		b = append(b, '/')
	}
	b = append(b, '"', '>')

	width := len(name)
	if o.UTF8 {
		width = utf8Length(name)
	}
	escapes := needsHTMLEscape(name)
	var cut int // where "..>" goes for a name too long
	if width != len(name) {
		// multi-byte names: copy whole characters
		chars := nameWidth
		if width > nameWidth {
			chars = nameWidth - 3
		}
		n := utf8Prefix(name, chars)
		if escapes {
			b = appendHTMLEscaped(b, name[:n])
		} else {
			b = append(b, name[:n]...)
		}
		cut = len(b)
	} else if escapes {
		n := width
		if width > nameWidth {
			n = nameWidth - 3
		}
		b = appendHTMLEscaped(b, name[:n])
		cut = len(b)
	} else {
		n := min(len(name), nameWidth)
		b = append(b, name[:n]...)
		cut = len(b) - 3
	}
	if width > nameWidth {
		b = append(b[:cut], "..&gt;</a>"...)
	} else {
		if e.Dir && nameWidth-width > 0 {
			b = append(b, '/')
			width++
		}
		b = append(b, "</a>"...)
		for ; width < nameWidth; width++ {
			b = append(b, ' ')
		}
	}
	b = append(b, ' ')

	t := time.Unix(max(e.Mtime+offset, 0), 0).UTC()
	b = append2(b, t.Day())
	b = append(b, '-')
	b = append(b, months[t.Month()-1]...)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(t.Year()), 10)
	b = append(b, ' ')
	b = append2(b, t.Hour())
	b = append(b, ':')
	b = append2(b, t.Minute())
	b = append(b, ' ')

	switch {
	case o.ExactSize && e.Dir:
		b = append(b, "                  -"...)
	case o.ExactSize:
		b = appendPadded(b, strconv.FormatInt(e.Size, 10), 19)
	case e.Dir:
		b = append(b, "      -"...)
	default:
		b = appendRoundedSize(b, e.Size)
	}
	return append(b, '\r', '\n')
}

// appendRoundedSize appends a size as nginx's inexact listing shows it:
// bytes up to 9999, else kilobytes, megabytes or gigabytes rounded half
// up, in six columns after a space or before the unit letter.
func appendRoundedSize(b []byte, n int64) []byte {
	const k, m, g = 1024, 1024 * 1024, 1024 * 1024 * 1024
	var size int64
	var unit byte
	switch {
	case n > g-1:
		size, unit = n/g, 'G'
		if n%g > g/2-1 {
			size++
		}
	case n > m-1:
		size, unit = n/m, 'M'
		if n%m > m/2-1 {
			size++
		}
	case n > 9999:
		size, unit = n/k, 'K'
		if n%k > 511 {
			size++
		}
	default:
		size = n
	}
	if unit != 0 {
		b = appendPadded(b, strconv.FormatInt(size, 10), 6)
		return append(b, unit)
	}
	b = append(b, ' ')
	return appendPadded(b, strconv.FormatInt(size, 10), 6)
}

// appendPadded appends s right-aligned in width columns.
func appendPadded(b []byte, s string, width int) []byte {
	for i := len(s); i < width; i++ {
		b = append(b, ' ')
	}
	return append(b, s...)
}

// append2 appends n with at least two digits.
func append2(b []byte, n int) []byte {
	if n < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(n), 10)
}
