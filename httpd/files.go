package httpd

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
)

// defaultTypes is nginx's built-in types table, used when no "types"
// block is configured (ngx_http_core_default_types).
var defaultTypes = map[string]string{
	"html": "text/html",
	"gif":  "image/gif",
	"jpg":  "image/jpeg",
}

// DocumentRoot is the root (or alias) in effect, evaluated ($document_root).
func (r *Request) DocumentRoot() string {
	cl := r.Loc.core
	root := cl.Root.Eval(r)
	if !strings.HasPrefix(root, "/") {
		root = r.Config.Cycle.Prefix + root
	}
	return root
}

// MapURIToPath maps the URI to a file path under root or alias
// (ngx_http_map_uri_to_path), with suffix appended (gzip_static's ".gz",
// nginx's reserved bytes), in one allocation. It fails, logging an alert,
// for an alias in a location whose URI was rewritten.
func (r *Request) MapURIToPath(suffix string) (string, bool) {
	p, _, ok := r.mapURIToPathSuffix(suffix)
	return p, ok
}

// mapURIToPath also returns the length of the root part of the path.
func (r *Request) mapURIToPath() (path string, rootLen int, ok bool) {
	return r.mapURIToPathSuffix("")
}

func (r *Request) mapURIToPathSuffix(suffix string) (path string, rootLen int, ok bool) {
	cl := r.Loc.core
	alias := 0
	if cl.Alias {
		alias = cl.aliasLen
		if !r.validLocation {
			r.Log().Logf(errlog.Alert, r, nil, "\"alias\" cannot be used in location \"%s\" where URI was rewritten", r.Loc.Name)
			return "", 0, false
		}
	}
	root := cl.Root.Eval(r)
	if _, lit := cl.Root.Literal(); !lit && !strings.HasPrefix(root, "/") {
		root = r.Config.Cycle.Prefix + root
	}
	uri := r.URI
	switch {
	case alias < 0:
		// regex location alias: the alias is the whole path
		if !r.addURIToAlias {
			return root + suffix, len(root), true
		}
	case alias > 0:
		if alias <= len(uri) {
			uri = uri[alias:]
		} else {
			uri = ""
		}
	}
	return root + uri + suffix, len(root), true
}

// tryFile is one try_files argument.
type tryFile struct {
	name    *Complex
	testDir bool
	code    int
}

// setTryFiles is the "try_files" directive.
func setTryFiles(c *conf.Cmd) error {
	l := clcf(c)
	if l.TryFiles != nil {
		return conf.ErrDuplicate
	}
	cf := ConfigOf(c)
	n := len(c.Args)
	for i, a := range c.Args {
		tf := &tryFile{}
		if i < n-1 && strings.HasSuffix(a, "/") && len(a) > 0 {
			tf.testDir = true
			a = a[:len(a)-1]
		}
		if i == n-1 && strings.HasPrefix(a, "=") {
			code, ok := conf.Atoi(a[1:])
			if !ok || code > 999 {
				return c.Errorf("invalid code \"%s\"", a)
			}
			tf.code = int(code)
		}
		x, err := cf.Compile(c, a)
		if err != nil {
			return err
		}
		tf.name = x
		l.TryFiles = append(l.TryFiles, tf)
	}
	return nil
}

// tryFilesPhase is the precontent handler of try_files
// (ngx_http_try_files_handler).
func tryFilesPhase(r *Request) Status {
	cl := r.Loc.core
	if cl.TryFiles == nil {
		return Declined
	}
	alias := 0
	if cl.Alias {
		alias = cl.aliasLen
	}
	last := len(cl.TryFiles) - 1
	for i, tf := range cl.TryFiles {
		name := tf.name.Eval(r)
		if i == last {
			if tf.code != 0 {
				return Status(tf.code)
			}
			if strings.HasPrefix(name, "@") {
				r.NamedLocation(name)
			} else {
				uri, args := splitArgs(name)
				r.InternalRedirect(uri, args)
			}
			return Done
		}
		root, _, ok := r.mapURIToPathRoot()
		if !ok {
			return 500
		}
		if alias > 0 && strings.HasPrefix(name, r.URI[:min(alias, len(r.URI))]) {
			name = name[min(alias, len(name)):]
		}
		path := root + name
		fi, failed, err := r.StatFile(path)
		if err != nil {
			var errno syscall.Errno
			if errors.As(err, &errno) && errno != syscall.ENOENT && errno != syscall.ENOTDIR && errno != syscall.ENAMETOOLONG {
				r.Log().Logf(errlog.Crit, r, errno, "%s \"%s\" failed", failed, path)
			} else if !errors.Is(err, fs.ErrNotExist) && !errors.As(err, &errno) {
				r.Log().Logf(errlog.Crit, r, err, "%s \"%s\" failed", failed, path)
			}
			continue
		}
		if fi.IsDir() != tf.testDir {
			continue
		}
		switch {
		case alias == 0:
			r.URI = name
		case alias < 0:
			if !tf.testDir {
				r.URI = name
				r.addURIToAlias = true
			}
		default:
			r.URI = r.URI[:min(alias, len(r.URI))] + name
		}
		r.setExten()
		return Declined
	}
	return Declined
}

// mapURIToPathRoot returns the root (or alias) directory only.
func (r *Request) mapURIToPathRoot() (string, int, bool) {
	cl := r.Loc.core
	if cl.Alias && !r.validLocation {
		r.Log().Logf(errlog.Alert, r, nil, "\"alias\" cannot be used in location \"%s\" where URI was rewritten", r.Loc.Name)
		return "", 0, false
	}
	root := cl.Root.Eval(r)
	if _, lit := cl.Root.Literal(); !lit && !strings.HasPrefix(root, "/") {
		root = r.Config.Cycle.Prefix + root
	}
	return root, len(root), true
}

// setErrorPage is the "error_page" directive.
func setErrorPage(c *conf.Cmd) error {
	l := clcf(c)
	cf := ConfigOf(c)
	args := c.Args
	n := len(args)
	overwrite := -1
	codesEnd := n - 1
	if v := args[n-2]; strings.HasPrefix(v, "=") {
		if n-2 == 0 {
			return c.Errorf("invalid value \"%s\"", v)
		}
		overwrite = 0
		if len(v) > 1 {
			o, ok := conf.Atoi(v[1:])
			if !ok {
				return c.Errorf("invalid value \"%s\"", v)
			}
			overwrite = int(o)
		}
		codesEnd = n - 2
	}
	uri := args[n-1]
	x, err := cf.Compile(c, uri)
	if err != nil {
		return err
	}
	ep := &ErrorPage{Value: x}
	if lit, ok := x.Literal(); ok && strings.HasPrefix(lit, "/") {
		if i := strings.IndexByte(lit, '?'); i >= 0 {
			ep.Value = literalComplex(lit[:i])
			ep.Args, ep.hasArgs = lit[i+1:], true
		}
	}
	for _, a := range args[:codesEnd] {
		code, ok := conf.Atoi(a)
		if !ok || code == 499 {
			return c.Errorf("invalid value \"%s\"", a)
		}
		if code < 300 || code > 599 {
			return c.Errorf("value \"%s\" must be between 300 and 599", a)
		}
		o := overwrite
		if o == -1 {
			switch code {
			case 497, 495, 496, 494:
				o = 400
			}
		}
		ep.Codes = append(ep.Codes, int(code))
		ep.Overwrite = append(ep.Overwrite, o)
	}
	conf.Append(&l.ErrorPages, ep)
	return nil
}

// AliasLen is the length of the location prefix an "alias" replaces, 0
// without alias, -1 for a regex location's alias, which replaces the
// whole URI (nginx's clcf->alias, NGX_MAX_SIZE_T_VALUE).
func (c *CoreLocConf) AliasLen() int {
	if !c.Alias {
		return 0
	}
	return c.aliasLen
}

// OpenDir opens a directory to read its entries (ngx_open_dir), answering
// a failure as nginx's autoindex and random_index do: a missing path
// (or one through a file, or too long) is 404 and a denied one 403,
// logged at error level; anything else is 500, logged at crit. path is
// the directory without its final slash.
func (r *Request) OpenDir(path string) (*os.File, Status) {
	dir, err := os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err == nil {
		return dir, OK
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		r.Log().Logf(errlog.Crit, r, err, "opendir() \"%s\" failed", path)
		return nil, 500
	}
	level, rc := errlog.Error, Status(404)
	switch errno {
	case syscall.ENOENT, syscall.ENOTDIR, syscall.ENAMETOOLONG:
	case syscall.EACCES:
		rc = 403
	default:
		level, rc = errlog.Crit, 500
	}
	r.Log().Logf(level, r, errno, "opendir() \"%s\" failed", path)
	return nil, rc
}
