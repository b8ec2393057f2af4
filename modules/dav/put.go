package dav

import (
	"os"
	"syscall"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/extrename"
)

// put stores the request body at the URI's path (ngx_http_dav_handler's
// PUT case and ngx_http_dav_put_handler).
func put(r *httpd.Request, lc *LocConf) httpd.Status {
	if r.URI[len(r.URI)-1] == '/' {
		r.Log().Logf(errlog.Error, r, nil, "cannot PUT to a collection")
		return 409
	}
	if r.In.ContentRange >= 0 {
		r.Log().Logf(errlog.Error, r, nil, "PUT with range is unsupported")
		return 501
	}
	r.BodyInFileOnly = true
	if st := r.ReadBody(); st != httpd.OK {
		return st
	}
	if r.Body == nil || r.Body.File == nil {
		// no Content-Length and not chunked: nginx has no body file then
		r.Log().Logf(errlog.Error, r, nil, "PUT request body must be in a file")
		return 500
	}
	path, ok := r.MapURIToPath("")
	if !ok {
		return 500
	}
	temp := r.Body.File.Name()
	status := httpd.Status(204)
	if fi, err := os.Stat(path); err != nil {
		status = 201
	} else if fi.IsDir() {
		r.Log().Logf(errlog.Error, r, syscall.EISDIR, "\"%s\" could not be created", path)
		if err := os.Remove(temp); err != nil {
			r.Log().Logf(errlog.Crit, r, errnoOf(err), "unlink() \"%s\" failed", temp)
		}
		return 409
	}
	mtime := int64(-1)
	if v, ok := r.In.Value("Date"); ok {
		if t := http1.ParseHTTPTime(v); t != -1 {
			mtime = t
		}
	}
	access := lc.Access.Get()
	o := extrename.Options{
		Access: access, PathAccess: access, Time: mtime,
		CreatePath: lc.CreateFullPutPath.Get(), DeleteFile: true, Log: r.Log(), Ctx: r,
	}
	if !extrename.Rename(temp, path, &o) {
		return 500
	}
	if status == 201 {
		setLocation(r)
		r.Out.ContentLengthN = 0
	}
	r.Out.Status = int(status)
	r.HeaderOnly = true
	return r.SendHeader()
}

// setLocation sets Location to the escaped URI (ngx_http_dav_location);
// the header filter makes it absolute as absolute_redirect says.
func setLocation(r *httpd.Request) {
	r.Out.SetLocation(string(http1.Escape(nil, []byte(r.URI), http1.EscapeURI)))
}
