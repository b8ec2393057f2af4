package dav

import (
	"errors"
	"os"
	"syscall"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/extrename"
)

// errnoOf is the system error number of err, 0 when it has none.
func errnoOf(err error) syscall.Errno {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return 0
}

// fail logs a failed file operation and maps its error to a status
// (ngx_http_dav_error): notFound for a missing path, 403 for a denied
// one, 405 for an existing one, 507 for a full disk, else 500.
func fail(r *httpd.Request, err error, notFound httpd.Status, failed, path string) httpd.Status {
	level, rc := errlog.Error, notFound
	errno := errnoOf(err)
	switch errno {
	case syscall.ENOENT, syscall.ENOTDIR, syscall.ENAMETOOLONG:
	case syscall.EACCES, syscall.EPERM:
		rc = 403
	case syscall.EEXIST:
		rc = 405
	case syscall.ENOSPC:
		level, rc = errlog.Crit, 507
	default:
		level, rc = errlog.Crit, 500
	}
	var logged error = errno
	if errno == 0 {
		logged = err
	}
	r.Log().Logf(level, r, logged, "%s \"%s\" failed", failed, path)
	return rc
}

// copyFile copies the file src, described by fi, to a new dst with its
// size, mode and time (ngx_copy_file as dav calls it), logging what fails.
func copyFile(r *httpd.Request, src, dst string, fi os.FileInfo) error {
	return extrename.Copy(src, dst, &extrename.CopyOptions{
		Size: fi.Size(), Access: access(fi), Time: fi.ModTime().Unix(), Log: r.Log(), Ctx: r,
	})
}

// tree is the walk of a directory (ngx_tree_ctx_t): file is called for
// regular files, special for anything else that is not a directory, pre
// and post around a directory's contents. Callbacks log their own
// failures and the walk goes on; only an unreadable directory stops it.
type tree struct {
	file, special func(path string, fi os.FileInfo)
	pre, post     func(path string, fi os.FileInfo)
}

// walk visits the contents of dir (ngx_walk_tree); a missing dir is
// empty.
func (t *tree) walk(r *httpd.Request, dir string) bool {
	d, err := os.Open(dir)
	if err != nil {
		if errnoOf(err) == syscall.ENOENT {
			return true
		}
		r.Log().Logf(errlog.Crit, r, errnoOf(err), "opendir() \"%s\" failed", dir)
		return false
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		r.Log().Logf(errlog.Crit, r, errnoOf(err), "readdir() \"%s\" failed", dir)
		return false
	}
	for _, name := range names {
		path := dir + "/" + name
		fi, err := os.Lstat(path)
		if err != nil {
			r.Log().Logf(errlog.Crit, r, errnoOf(err), "lstat() \"%s\" failed", path)
			return false
		}
		switch {
		case fi.Mode().IsRegular():
			t.file(path, fi)
		case fi.IsDir():
			t.pre(path, fi)
			if !t.walk(r, path) {
				return false
			}
			t.post(path, fi)
		default:
			t.special(path, fi)
		}
	}
	return true
}

// access is the permission bits of fi.
func access(fi os.FileInfo) uint32 { return uint32(fi.Mode().Perm()) }
