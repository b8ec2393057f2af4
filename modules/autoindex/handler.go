package autoindex

import (
	"errors"
	"os"
	"sort"
	"syscall"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// Entry is one listed directory entry.
type Entry struct {
	Name string
	// Dir and File tell directories and regular files (after following
	// symbolic links) from anything else.
	Dir, File bool
	// Mtime is the modification time (Unix seconds); Size the size.
	Mtime int64
	Size  int64
}

// handler lists a directory (ngx_http_autoindex_handler).
func handler(r *httpd.Request) httpd.Status {
	if r.URI == "" || r.URI[len(r.URI)-1] != '/' {
		return httpd.Declined
	}
	if r.MethodBit&(httpd.MethodGET|httpd.MethodHEAD) == 0 {
		return httpd.Declined
	}
	lc := httpd.LocConf[LocConf](r, &self)
	if !lc.Enable.Get() {
		return httpd.Declined
	}
	if rc := r.DiscardRequestBody(); rc != httpd.OK {
		return rc
	}
	path, ok := r.MapURIToPath("")
	if !ok {
		return 500
	}
	if len(path) > 1 {
		path = path[:len(path)-1]
	}
	format := lc.Format.Get()
	var callback string
	if format == FormatJSONP {
		cb, ok := jsonpCallback(r)
		if !ok {
			return 400
		}
		callback = cb
		if callback == "" {
			format = FormatJSON
		}
	}
	dir, rc := r.OpenDir(path)
	if rc != httpd.OK {
		return rc
	}
	defer dir.Close()

	out := &r.Out
	out.Status = 200
	switch format {
	case FormatJSON:
		out.ContentType = "application/json"
	case FormatJSONP:
		out.ContentType = "application/javascript"
	case FormatXML:
		out.ContentType = "text/xml"
		out.Charset = "utf-8"
	default:
		out.ContentType = "text/html"
	}
	out.ContentTypeLen = len(out.ContentType)
	if rc := r.SendHeader(); rc == httpd.Error || rc > httpd.OK || r.HeaderOnly {
		return rc
	}

	entries, ok := readEntries(r, dir, path)
	if !ok {
		return httpd.Error
	}
	var body []byte
	switch format {
	case FormatJSON:
		body = JSON(nil, entries, "", false)
	case FormatJSONP:
		body = JSON(nil, entries, callback, true)
	case FormatXML:
		body = XML(nil, entries)
	default:
		utf8 := len(out.Charset) == 5 && ascii.EqualFold(out.Charset, "utf-8")
		body = HTML(nil, r.URI, entries, HTMLOptions{
			UTF8: utf8, ExactSize: lc.ExactSize.Get(), Localtime: lc.Localtime.Get(),
		})
	}
	var c httpd.Chain
	c.Append(body)
	c.Last = true // for a subrequest: the end of its body, not of the response (see passSubrequest)
	return r.Output(&c)
}

// readEntries reads and sorts the directory's entries, skipping names
// that start with a dot. Entries are described after following symbolic
// links; a dangling link is described as itself. ok is false when the
// listing failed (logged).
func readEntries(r *httpd.Request, dir *os.File, path string) ([]Entry, bool) {
	names, err := dir.Readdirnames(-1)
	if err != nil {
		r.Log().Logf(errlog.Crit, r, err, "readdir() \"%s\" failed", path)
		return nil, false
	}
	entries := make([]Entry, 0, len(names))
	for _, name := range names {
		if name[0] == '.' {
			continue
		}
		full := path + "/" + name
		fi, err := os.Stat(full)
		if err != nil {
			var errno syscall.Errno
			errors.As(err, &errno)
			if errno != syscall.ENOENT && errno != syscall.ELOOP {
				r.Log().Logf(errlog.Crit, r, err, "stat() \"%s\" failed", full)
				if errno == syscall.EACCES {
					continue
				}
				return nil, false
			}
			if fi, err = os.Lstat(full); err != nil {
				r.Log().Logf(errlog.Crit, r, err, "lstat() \"%s\" failed", full)
				return nil, false
			}
		}
		entries = append(entries, Entry{
			Name:  name,
			Dir:   fi.IsDir(),
			File:  fi.Mode().IsRegular(),
			Mtime: fi.ModTime().Unix(),
			Size:  fi.Size(),
		})
	}
	Sort(entries)
	return entries, true
}

// Sort orders entries as nginx lists them: directories first, then by
// name, byte by byte.
func Sort(entries []Entry) {
	sort.Slice(entries, func(i, j int) bool {
		a, b := &entries[i], &entries[j]
		if a.Dir != b.Dir {
			return a.Dir
		}
		return a.Name < b.Name
	})
}

// jsonpCallback returns the "callback" argument; ok is false (and the
// reason logged) when it is longer than 128 bytes or holds anything but
// letters, digits, '_' and '.'.
func jsonpCallback(r *httpd.Request) (string, bool) {
	v, found := http1.Arg([]byte(r.Args), []byte("callback"))
	if !found {
		return "", true
	}
	cb := string(v)
	if !ValidCallback(cb) {
		if len(cb) > 128 {
			r.Log().Logf(errlog.Info, r, nil, "client sent too long callback name: \"%s\"", cb)
		} else {
			r.Log().Logf(errlog.Info, r, nil, "client sent invalid callback name: \"%s\"", cb)
		}
		return "", false
	}
	return cb, true
}

// ValidCallback reports whether name may be used as a JSONP callback:
// at most 128 bytes of letters, digits, '_' and '.'.
func ValidCallback(name string) bool {
	if len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if l := c | 0x20; l >= 'a' && l <= 'z' {
			continue
		}
		if c >= '0' && c <= '9' || c == '_' || c == '.' {
			continue
		}
		return false
	}
	return true
}
