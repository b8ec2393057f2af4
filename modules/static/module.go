package static

import (
	"errors"
	"os"
	"syscall"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
)

// Module is the static module. It has no directives; it adds its handler
// to the content phase.
var Module = &httpd.Module{
	Name: "static",
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHandler(httpd.Content, handler)
		return nil
	},
}

// handler serves the file the URI maps to (ngx_http_static_handler).
func handler(r *httpd.Request) httpd.Status {
	if r.MethodBit&(httpd.MethodGET|httpd.MethodHEAD|httpd.MethodPOST) == 0 {
		return 405
	}
	if r.URI == "" || r.URI[len(r.URI)-1] == '/' {
		return httpd.Declined
	}
	path, ok := r.MapURIToPath("")
	if !ok {
		return 500
	}
	f, failed, err := r.OpenFile(path)
	if err != nil {
		return OpenFailed(r, path, failed, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		r.Log().Logf(errlog.Crit, r, err, "fstat() \"%s\" failed", path)
		return 500
	}
	if fi.IsDir() {
		r.Out.SetLocation(dirLocation(r))
		return 301
	}
	if !fi.Mode().IsRegular() {
		r.Log().Logf(errlog.Crit, r, nil, "\"%s\" is not a regular file", path)
		return 404
	}
	if r.MethodBit == httpd.MethodPOST {
		return 405
	}
	if rc := r.DiscardRequestBody(); rc != httpd.OK {
		return rc
	}
	r.SetAction("sending response to client")
	return SendFile(r, f, fi, "", 0)
}

// SendFile answers 200 with the file f (fi its info) from offset start,
// preceded by head: Content-Length, Last-Modified, ETag and Content-Type
// set, byte ranges allowed (the end of ngx_http_static_handler, which
// flv repeats with its header). The caller keeps f open until it returns.
func SendFile(r *httpd.Request, f *os.File, fi os.FileInfo, head string, start int64) httpd.Status {
	if rc, done := SendHeader(r, fi, int64(len(head))+fi.Size()-start); done {
		return rc
	}
	var c httpd.Chain
	var pieces [2]httpd.Piece
	c.Pieces = pieces[:0]
	if head != "" {
		c.AppendString(head)
	}
	c.AppendFile(f, start, fi.Size()-start)
	c.Last = true // for a subrequest: the end of its body, not of the response (see passSubrequest)
	return r.Output(&c)
}

// SendHeader sends the head of a 200 answer of length bytes made from
// the file whose info is fi: Content-Length, Last-Modified, ETag and
// Content-Type set, byte ranges allowed. done: the caller returns rc
// (an error, a status, or the answer has no body); otherwise it sends the
// body. SendFile and mp4 share it.
func SendHeader(r *httpd.Request, fi os.FileInfo, length int64) (rc httpd.Status, done bool) {
	out := &r.Out
	out.Status = 200
	out.ContentLengthN = length
	out.LastModifiedTime = fi.ModTime().Unix()
	r.SetETag()
	r.SetContentType()
	r.AllowRanges = true
	if rc := r.SendHeader(); rc == httpd.Error || rc > httpd.OK || r.HeaderOnly {
		return rc, true
	}
	return httpd.OK, false
}

// OpenFailed maps a failed open of path (failed names the system call,
// as Request.OpenFile returns it) to nginx's answer and log line: 404 for
// a missing path (logged unless log_not_found is off), 403 for a denied
// one, 500 otherwise (at crit level). flv shares it.
func OpenFailed(r *httpd.Request, path, failed string, err error) httpd.Status {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		r.Log().Logf(errlog.Crit, r, err, "%s \"%s\" failed", failed, path)
		return 500
	}
	level, rc := errlog.Error, httpd.Status(404)
	switch errno {
	case syscall.ENOENT, syscall.ENOTDIR, syscall.ENAMETOOLONG:
	case syscall.EACCES, syscall.EMLINK, syscall.ELOOP:
		rc = 403
	default:
		level, rc = errlog.Crit, 500
	}
	if rc != 404 || r.CoreLoc().LogNotFound.Get() {
		r.Log().Logf(level, r, errno, "%s \"%s\" failed", failed, path)
	}
	return rc
}

// dirLocation is the redirect target for a directory: the URI, escaped,
// with a slash added, and the arguments.
func dirLocation(r *httpd.Request) string {
	b := make([]byte, 0, len(r.URI)+2+len(r.Args))
	b = http1.Escape(b, []byte(r.URI), http1.EscapeURI)
	b = append(b, '/')
	if r.Args != "" {
		b = append(b, '?')
		b = append(b, r.Args...)
	}
	return string(b)
}

// OpenMedia opens the file a GET or HEAD request's URI maps to, for the
// pseudo-streaming handlers (the start of ngx_http_flv_handler and
// ngx_http_mp4_handler): 405 for other methods; Declined for a URI
// ending in '/' or a path that is not a regular file; the request body
// is discarded. It answers OK with the file open (the caller closes it),
// its path and its info, or the status to return.
func OpenMedia(r *httpd.Request) (f *os.File, path string, fi os.FileInfo, rc httpd.Status) {
	if r.MethodBit&(httpd.MethodGET|httpd.MethodHEAD) == 0 {
		return nil, "", nil, 405
	}
	if r.URI == "" || r.URI[len(r.URI)-1] == '/' {
		return nil, "", nil, httpd.Declined
	}
	if rc := r.DiscardRequestBody(); rc != httpd.OK {
		return nil, "", nil, rc
	}
	path, ok := r.MapURIToPath("")
	if !ok {
		return nil, "", nil, 500
	}
	f, failed, err := r.OpenFile(path)
	if err != nil {
		return nil, "", nil, OpenFailed(r, path, failed, err)
	}
	fi, err = f.Stat()
	if err != nil {
		f.Close()
		r.Log().Logf(errlog.Crit, r, err, "fstat() \"%s\" failed", path)
		return nil, "", nil, 500
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, "", nil, httpd.Declined
	}
	return f, path, fi, httpd.OK
}
