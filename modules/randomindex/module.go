package randomindex

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"syscall"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// self is the module's identity for conf lookups.
var self httpd.Handle

// Module is the random index HTTP module (ngx_http_random_index_module).
var Module = &httpd.Module{
	Name:   "random_index",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "random_index", Context: conf.HTTPLoc, Args: conf.FlagArg,
			Syntax: "random_index on | off;", Default: "random_index off;",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.enable }),
			Doc: "Serves a file of the directory picked at random for a URI ending in \"/\"."},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		child.(*LocConf).enable.Inherit(parent.(*LocConf).enable, false)
		return nil
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHandler(httpd.Content, handler)
		return nil
	},
}

// LocConf is the random index module's configuration of a level.
type LocConf struct {
	enable conf.Flag
}

// handler picks the file (ngx_http_random_index_handler).
func handler(r *httpd.Request) httpd.Status {
	if r.URI == "" || r.URI[len(r.URI)-1] != '/' {
		return httpd.Declined
	}
	if r.MethodBit&(httpd.MethodGET|httpd.MethodHEAD|httpd.MethodPOST) == 0 {
		return httpd.Declined
	}
	if !httpd.LocConf[LocConf](r, &self).enable.Get() {
		return httpd.Declined
	}
	path, ok := r.MapURIToPath("")
	if !ok {
		return 500
	}
	if len(path) > 1 {
		path = path[:len(path)-1]
	}
	dir, rc := r.OpenDir(path)
	if rc != httpd.OK {
		return rc
	}
	names, rc := files(r, dir, path)
	if err := dir.Close(); err != nil {
		r.Log().Logf(errlog.Alert, r, err, "closedir() \"%s\" failed", path)
	}
	if rc != httpd.OK {
		return rc
	}
	if len(names) == 0 {
		return httpd.Declined
	}
	return r.InternalRedirect(r.URI+names[rand.IntN(len(names))], r.Args)
}

// files returns the names of the directory's regular files (after
// following symbolic links), skipping names that start with a dot.
func files(r *httpd.Request, dir *os.File, path string) ([]string, httpd.Status) {
	entries, err := dir.ReadDir(-1)
	if err != nil {
		r.Log().Logf(errlog.Crit, r, err, "readdir() \"%s\" failed", path)
		return nil, 500
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if name[0] == '.' {
			continue
		}
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			full := path + "/" + name
			fi, err := os.Stat(full)
			if err != nil {
				if !errors.Is(err, syscall.ENOENT) {
					r.Log().Logf(errlog.Crit, r, err, "stat() \"%s\" failed", full)
					return nil, 500
				}
				// a dangling link: described as itself, not a file
				if fi, err = os.Lstat(full); err != nil {
					r.Log().Logf(errlog.Crit, r, err, "lstat() \"%s\" failed", full)
					return nil, 500
				}
			}
			typ = fi.Mode().Type()
		}
		if typ.IsRegular() {
			names = append(names, name)
		}
	}
	return names, httpd.OK
}
