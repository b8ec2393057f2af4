package index

import (
	"errors"
	"strings"
	"syscall"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// self is the module's identity for conf lookups.
var self httpd.Handle

// Module is the index module.
var Module = &httpd.Module{
	Name:   "index",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "index", Context: conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc, Args: conf.OneMore,
			Syntax: "index file ...;", Default: "index index.html;", Set: setIndex,
			Doc: "Files tried, in order, as the index of a directory; the names may contain variables, and the last may be an absolute URI."},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc:  mergeLoc,
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHandler(httpd.Content, handler)
		return nil
	},
}

// LocConf is the index module's configuration of a block.
type LocConf struct {
	// Indices are the index names in order; nil when unset. Every
	// "index" directive of a block adds to the list.
	Indices []Index
}

// Index is one index name: literal, or with variables (Value set).
type Index struct {
	Name  string
	Value *httpd.Complex
}

func mergeLoc(_ *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	if c.Indices == nil {
		c.Indices = p.Indices
	}
	if c.Indices == nil {
		c.Indices = []Index{{Name: "index.html"}}
	}
	return nil
}

// setIndex is the "index" directive (ngx_http_index_set_index).
func setIndex(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.Indices == nil {
		lc.Indices = []Index{}
	}
	for i, a := range c.Args {
		if a == "" {
			return c.Errorf("index \"%s\" in \"index\" directive is invalid", a)
		}
		if a[0] == '/' && i != len(c.Args)-1 {
			c.Warnf("only the last index in \"index\" directive should be absolute")
		}
		ix := Index{Name: a}
		if strings.IndexByte(a, '$') >= 0 {
			x, err := httpd.ConfigOf(c).Compile(c, a)
			if err != nil {
				return err
			}
			ix.Value = x
		}
		lc.Indices = append(lc.Indices, ix)
	}
	return nil
}

// handler looks for an index file (ngx_http_index_handler). It tries the
// names first and tests the directory only when one is missing, so that
// valid requests cost one stat.
func handler(r *httpd.Request) httpd.Status {
	if r.URI == "" || r.URI[len(r.URI)-1] != '/' {
		return httpd.Declined
	}
	if r.MethodBit&(httpd.MethodGET|httpd.MethodHEAD|httpd.MethodPOST) == 0 {
		return httpd.Declined
	}
	lc := httpd.LocConf[LocConf](r, &self)
	dirTested := false
	for _, ix := range lc.Indices {
		name := ix.Name
		if ix.Value != nil {
			name = ix.Value.Eval(r)
		}
		if strings.HasPrefix(name, "/") {
			return r.InternalRedirect(name, r.Args)
		}
		dir, ok := r.MapURIToPath("")
		if !ok {
			return 500
		}
		path := dir + name
		_, failed, err := r.StatFile(path)
		if err == nil {
			return r.InternalRedirect(r.URI+name, r.Args)
		}
		var errno syscall.Errno
		if !errors.As(err, &errno) {
			r.Log().Logf(errlog.Crit, r, err, "%s \"%s\" failed", failed, path)
			return 500
		}
		switch errno {
		case syscall.EMLINK, syscall.ELOOP:
			return 403
		case syscall.ENOTDIR, syscall.ENAMETOOLONG, syscall.EACCES:
			return indexError(r, path, errno)
		}
		if !dirTested {
			if rc := testDir(r, dir, path); rc != httpd.OK {
				return rc
			}
			dirTested = true
		}
		if errno == syscall.ENOENT {
			continue
		}
		r.Log().Logf(errlog.Crit, r, errno, "%s \"%s\" failed", failed, path)
		return 500
	}
	return httpd.Declined
}

// testDir checks the directory an index was looked for in, after an index
// was missing: a missing directory is a 404 (logged with the index path,
// as nginx does), a denied one is fine (the index test already got past
// it), a file is an error.
func testDir(r *httpd.Request, dir, path string) httpd.Status {
	if len(dir) > 1 && dir[len(dir)-1] == '/' {
		dir = dir[:len(dir)-1]
	}
	fi, failed, err := r.StatFile(dir)
	if err != nil {
		var errno syscall.Errno
		if !errors.As(err, &errno) {
			r.Log().Logf(errlog.Crit, r, err, "%s \"%s\" failed", failed, dir)
			return 500
		}
		switch errno {
		case syscall.EMLINK, syscall.ELOOP:
			return 403
		case syscall.ENOENT:
			return indexError(r, path, errno)
		case syscall.EACCES:
			return httpd.OK
		}
		r.Log().Logf(errlog.Crit, r, errno, "%s \"%s\" failed", failed, dir)
		return 500
	}
	if fi.IsDir() {
		return httpd.OK
	}
	r.Log().Logf(errlog.Alert, r, nil, "\"%s\" is not a directory", dir)
	return 500
}

// indexError answers a failed index lookup (ngx_http_index_error).
func indexError(r *httpd.Request, file string, errno syscall.Errno) httpd.Status {
	if errno == syscall.EACCES {
		r.Log().Logf(errlog.Error, r, errno, "\"%s\" is forbidden", file)
		return 403
	}
	if r.CoreLoc().LogNotFound.Get() {
		r.Log().Logf(errlog.Error, r, errno, "\"%s\" is not found", file)
	}
	return 404
}
