package static

import (
	"strconv"

	"github.com/sluicehq/sluice/httpd"
)

// SetContentType sets the response's Content-Type from the URI's
// extension and the location's "types" table, else default_type, unless
// it is set already (ngx_http_set_content_type). Extensions are looked up
// in lower case.
func SetContentType(r *httpd.Request) {
	out := &r.Out
	if out.ContentType != "" {
		return
	}
	cl := r.CoreLoc()
	if ext := r.Exten; ext != "" {
		if t, ok := cl.Types[lower(ext)]; ok {
			out.ContentType, out.ContentTypeLen = t, len(t)
			return
		}
	}
	t := cl.DefaultType.Get()
	out.ContentType, out.ContentTypeLen = t, len(t)
}

// lower returns s in ASCII lower case, without copying when it has no
// upper-case letter.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// SetETag adds an ETag built from the response's Last-Modified time and
// Content-Length, "<mtime hex>-<length hex>" in quotes, unless "etag off"
// (ngx_http_set_etag). Call it after setting both.
func SetETag(r *httpd.Request) {
	if !r.CoreLoc().Etag.Get() {
		return
	}
	out := &r.Out
	b := make([]byte, 0, 2+16+1+16)
	b = append(b, '"')
	b = strconv.AppendInt(b, out.LastModifiedTime, 16)
	b = append(b, '-')
	b = strconv.AppendInt(b, out.ContentLengthN, 16)
	b = append(b, '"')
	out.ClearETag()
	out.ETag = out.Add("ETag", string(b))
}
