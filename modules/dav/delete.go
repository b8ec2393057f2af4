package dav

import (
	"os"
	"syscall"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/extrename"
)

// hasBody reports a request body, which DELETE, MKCOL, COPY and MOVE
// refuse.
func hasBody(r *httpd.Request) bool { return r.In.ContentLengthN > 0 || r.In.Chunked }

// depth is the request's Depth header, dflt when absent; an invalid one
// is logged.
func depth(r *httpd.Request, dflt int) int {
	v, ok := r.In.Value("Depth")
	if !ok {
		return dflt
	}
	d := parseDepth(v)
	if d == depthInvalid {
		r.Log().Logf(errlog.Error, r, nil, "client sent invalid \"Depth\" header: \"%s\"", v)
	}
	return d
}

// deleteHandler removes the URI's file, or its directory recursively
// (ngx_http_dav_delete_handler).
func deleteHandler(r *httpd.Request, lc *LocConf) httpd.Status {
	if hasBody(r) {
		r.Log().Logf(errlog.Error, r, nil, "DELETE with body is unsupported")
		return 415
	}
	if min := lc.MinDeleteDepth.Get(); min > 0 {
		d, deep := 0, false
		for i := 0; i < len(r.URI); {
			c := r.URI[i]
			i++
			if c == '/' {
				if d++; d >= min && i < len(r.URI) {
					deep = true
					break
				}
			}
		}
		if !deep {
			r.Log().Logf(errlog.Error, r, nil, "insufficient URI depth:%d to DELETE", d)
			return 409
		}
	}
	path, ok := r.MapURIToPath("")
	if !ok {
		return 500
	}
	fi, err := os.Lstat(path)
	if err != nil {
		rc := httpd.Status(404)
		if errnoOf(err) == syscall.ENOTDIR {
			rc = 409
		}
		return fail(r, err, rc, "lstat()", path)
	}
	dir := fi.IsDir()
	if dir {
		if r.URI[len(r.URI)-1] != '/' {
			r.Log().Logf(errlog.Error, r, syscall.EISDIR, "DELETE \"%s\" failed", path)
			return 409
		}
		if depth(r, depthInfinity) != depthInfinity {
			r.Log().Logf(errlog.Error, r, nil, "\"Depth\" header must be infinity")
			return 400
		}
		path = path[:len(path)-1]
	} else if d := depth(r, 0); d != 0 && d != depthInfinity {
		r.Log().Logf(errlog.Error, r, nil, "\"Depth\" header must be 0 or infinity")
		return 400
	}
	if rc := deletePath(r, path, dir); rc != httpd.OK {
		return rc
	}
	return 204
}

// deletePath removes a file, or a directory and all it holds
// (ngx_http_dav_delete_path); what cannot be removed inside a directory
// is logged and skipped.
func deletePath(r *httpd.Request, path string, dir bool) httpd.Status {
	if !dir {
		if err := syscall.Unlink(path); err != nil {
			return fail(r, err, 404, "unlink()", path)
		}
		return httpd.OK
	}
	unlink := func(p string, _ os.FileInfo) {
		if err := syscall.Unlink(p); err != nil {
			fail(r, err, 0, "unlink()", p)
		}
	}
	t := tree{
		file:    unlink,
		special: unlink,
		pre:     func(string, os.FileInfo) {},
		post: func(p string, _ os.FileInfo) {
			if err := syscall.Rmdir(p); err != nil {
				fail(r, err, 0, "rmdir()", p)
			}
		},
	}
	if !t.walk(r, path) {
		return 500
	}
	if err := syscall.Rmdir(path); err != nil {
		return fail(r, err, 404, "rmdir()", path)
	}
	return httpd.OK
}

// mkcol creates the URI's directory (ngx_http_dav_mkcol_handler).
func mkcol(r *httpd.Request, lc *LocConf) httpd.Status {
	if hasBody(r) {
		r.Log().Logf(errlog.Error, r, nil, "MKCOL with body is unsupported")
		return 415
	}
	if r.URI[len(r.URI)-1] != '/' {
		r.Log().Logf(errlog.Error, r, nil, "MKCOL can create a collection only")
		return 409
	}
	path, ok := r.MapURIToPath("")
	if !ok {
		return 500
	}
	path = path[:len(path)-1]
	if err := syscall.Mkdir(path, extrename.DirAccess(lc.Access.Get())); err != nil {
		return fail(r, err, 409, "mkdir()", path)
	}
	setLocation(r)
	return 201
}
