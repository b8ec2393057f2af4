package dav

import (
	"os"
	"strings"
	"syscall"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/extrename"
)

// copyMove copies or moves the URI's file or directory to the
// Destination (ngx_http_dav_copy_move_handler).
func copyMove(r *httpd.Request, lc *LocConf) httpd.Status {
	log := r.Log()
	if hasBody(r) {
		log.Logf(errlog.Error, r, nil, "COPY and MOVE with body are unsupported")
		return 415
	}
	dest, ok := r.In.Value("Destination")
	if !ok {
		log.Logf(errlog.Error, r, nil, "client sent no \"Destination\" header")
		return 400
	}
	invalid := func() httpd.Status {
		log.Logf(errlog.Error, r, nil, "client sent invalid \"Destination\" header: \"%s\"", dest)
		return 400
	}
	raw, fault := parseDestination(dest, r.In.Server, r.TLS() != nil)
	switch fault {
	case destNoHost:
		log.Logf(errlog.Error, r, nil, "client sent no \"Host\" header")
		return 400
	case destOtherHost:
		log.Logf(errlog.Error, r, nil, "\"Destination\" URI \"%s\" is handled by different repository than the source URI", dest)
		return 400
	case destInvalid:
		return invalid()
	}
	dpath, _, safe := http1.ParseUnsafeURI(nil, []byte(raw))
	if !safe {
		log.Logf(errlog.Error, r, nil, "unsafe URI \"%s\" was detected", unsafeShown(raw))
		return invalid()
	}
	duri := string(dpath)
	srcColl, dstColl := r.URI[len(r.URI)-1] == '/', dest[len(dest)-1] == '/'
	if srcColl != dstColl {
		log.Logf(errlog.Error, r, nil, "both URI \"%s\" and \"Destination\" URI \"%s\" should be either collections or non-collections", r.URI, dest)
		return 409
	}
	if a := r.CoreLoc().AliasLen(); a > 0 && len(duri) < a {
		return invalid()
	}
	if d := depth(r, depthInfinity); d != depthInfinity {
		if r.MethodBit == httpd.MethodCOPY && d == 0 {
			// a shallow copy of a file
		} else {
			if r.MethodBit == httpd.MethodCOPY {
				log.Logf(errlog.Error, r, nil, "\"Depth\" header must be 0 or infinity")
			} else {
				log.Logf(errlog.Error, r, nil, "\"Depth\" header must be infinity")
			}
			return 400
		}
	}
	overwrite := true
	if v, ok := r.In.Value("Overwrite"); ok {
		o, valid := parseOverwrite(v)
		if !valid {
			log.Logf(errlog.Error, r, nil, "client sent invalid \"Overwrite\" header: \"%s\"", v)
			return 400
		}
		overwrite = o
	}
	path, ok := r.MapURIToPath("")
	if !ok {
		return 500
	}
	uri := r.URI
	r.URI = duri
	cpath, ok := r.MapURIToPath("")
	r.URI = uri
	if !ok {
		return 500
	}
	path, cpath = mergeSlashes(path), mergeSlashes(cpath)
	slash := strings.HasSuffix(cpath, "/")
	if slash {
		cpath = cpath[:len(cpath)-1]
	}
	if !validatePaths(r, path, cpath, slash, dest) {
		return 403
	}
	dir := false
	if fi, err := os.Lstat(cpath); err != nil {
		if errnoOf(err) != syscall.ENOENT {
			return fail(r, err, 404, "lstat()", cpath)
		}
		overwrite = false // nothing to replace
	} else {
		if fi.IsDir() && !slash {
			log.Logf(errlog.Error, r, nil, "\"%s\" could not be %sed to collection \"%s\"", r.URI, r.Method, dest)
			return 409
		}
		if !overwrite {
			log.Logf(errlog.Error, r, syscall.EEXIST, "\"%s\" could not be created", cpath)
			return 412
		}
		dir = fi.IsDir()
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return fail(r, err, 404, "lstat()", path)
	}
	if !fi.IsDir() {
		if r.MethodBit == httpd.MethodMOVE {
			o := extrename.Options{PathAccess: lc.Access.Get(), Time: -1, CreatePath: true, Log: r.Log(), Ctx: r}
			if extrename.Rename(path, cpath, &o) {
				return 204
			}
			return 500
		}
		if copyFile(r, path, cpath, fi) == nil {
			return 204
		}
		return 500
	}
	if !srcColl {
		log.Logf(errlog.Error, r, nil, "\"%s\" is collection", r.URI)
		return 400
	}
	if overwrite {
		if rc := deletePath(r, cpath, dir); rc != httpd.OK {
			return rc
		}
	}
	path = path[:len(path)-1]
	if r.MethodBit == httpd.MethodMOVE && os.Rename(path, cpath) == nil {
		return 201
	}
	if err := syscall.Mkdir(cpath, access(fi)); err != nil {
		return fail(r, err, 404, "mkdir()", cpath)
	}
	if !copyTree(r, path, cpath) {
		return 500
	}
	if r.MethodBit == httpd.MethodMOVE {
		if rc := deletePath(r, path, true); rc != httpd.OK {
			return rc
		}
	}
	return 201
}

// copyTree copies the contents of the directory src into dst, which
// exists: directories and regular files with their modes and times;
// anything else is skipped (ngx_http_dav_copy_dir, _copy_dir_time and
// _copy_tree_file).
func copyTree(r *httpd.Request, src, dst string) bool {
	to := func(p string) string { return dst + p[len(src):] }
	t := tree{
		file: func(p string, fi os.FileInfo) {
			copyFile(r, p, to(p), fi)
		},
		special: func(string, os.FileInfo) {},
		pre: func(p string, fi os.FileInfo) {
			d := to(p)
			if err := syscall.Mkdir(d, extrename.DirAccess(access(fi))); err != nil {
				fail(r, err, 0, "mkdir()", d)
			}
		},
		post: func(p string, fi os.FileInfo) {
			d := to(p)
			if err := os.Chtimes(d, fi.ModTime(), fi.ModTime()); err != nil {
				r.Log().Logf(errlog.Alert, r, errnoOf(err), "utimes() \"%s\" failed", d)
			}
		},
	}
	return t.walk(r, src)
}

// mergeSlashes collapses runs of '/' (ngx_http_dav_merge_slashes).
func mergeSlashes(p string) string {
	if !strings.Contains(p, "//") {
		return p
	}
	b := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		b = append(b, p[i])
	}
	return string(b)
}

// validatePaths refuses a destination that is the source, or (for a
// collection) inside it or containing it (ngx_http_dav_validate_paths).
func validatePaths(r *httpd.Request, src, dst string, slash bool, dest string) bool {
	n := len(src)
	if n > 0 && src[n-1] == '/' {
		n--
	}
	if n == len(dst) && src[:n] == dst {
		r.Log().Logf(errlog.Error, r, nil, "both URI \"%s\" and \"Destination\" URI \"%s\" point to the same location", r.URI, dest)
		return false
	}
	m := min(n, len(dst))
	if slash && src[:m] == dst[:m] {
		inside := false
		if n < len(dst) {
			inside = dst[n] == '/'
		} else {
			inside = src[len(dst)] == '/'
		}
		if inside {
			r.Log().Logf(errlog.Error, r, nil, "\"%s\" could not be %sed to collection \"%s\"", r.URI, r.Method, dest)
			return false
		}
	}
	return true
}

// unsafeShown is the Destination path as nginx's "unsafe URI" line shows
// it: decoded when it has escapes (nginx checks the decoded path last).
func unsafeShown(raw string) string {
	p, _, _ := strings.Cut(raw, "?")
	if !strings.Contains(p, "%") {
		return raw
	}
	b, _ := http1.Unescape(nil, []byte(p), http1.UnescapePlain)
	return string(b)
}
