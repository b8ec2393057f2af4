package dav

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
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

// dirAccess is the mode of a directory made for files of mode m: search
// where read is allowed (ngx_dir_access).
func dirAccess(m uint32) os.FileMode { return os.FileMode(m | (m&0o444)>>2) }

// rename is ngx_ext_rename_file: it gives src the mode access (when not
// 0) and the time mtime (when not -1), renames it to dst, creating the
// missing directories of dst when createPath, and copies across file
// systems. On failure src is removed when deleteSrc.
func rename(r *httpd.Request, src, dst string, access, pathAccess uint32, mtime int64, createPath, deleteSrc bool) bool {
	log := r.Log()
	var err error
	if access != 0 {
		if err = os.Chmod(src, os.FileMode(access)); err != nil {
			log.Logf(errlog.Crit, r, errnoOf(err), "chmod() \"%s\" failed", src)
			err = nil
			goto failed
		}
	}
	if mtime != -1 {
		t := time.Unix(mtime, 0)
		if err = os.Chtimes(src, t, t); err != nil {
			log.Logf(errlog.Crit, r, errnoOf(err), "utimes() \"%s\" failed", src)
			err = nil
			goto failed
		}
	}
	if err = os.Rename(src, dst); err == nil {
		return true
	}
	if errnoOf(err) == syscall.ENOENT {
		if !createPath {
			goto failed
		}
		if mk := os.MkdirAll(filepath.Dir(dst), dirAccess(pathAccess)); mk != nil {
			log.Logf(errlog.Crit, r, errnoOf(mk), "mkdir() \"%s\" failed", dst)
			err = nil
			goto failed
		}
		if err = os.Rename(src, dst); err == nil {
			return true
		}
	}
	if errnoOf(err) == syscall.EXDEV {
		if cerr := copyFile(r, src, dst, access, mtime); cerr == nil {
			if rerr := os.Remove(src); rerr != nil {
				log.Logf(errlog.Crit, r, errnoOf(rerr), "unlink() \"%s\" failed", src)
			}
			return true
		}
		err = nil
	}
failed:
	if deleteSrc {
		if rerr := os.Remove(src); rerr != nil {
			log.Logf(errlog.Crit, r, errnoOf(rerr), "unlink() \"%s\" failed", src)
		}
	}
	if err != nil {
		log.Logf(errlog.Crit, r, errnoOf(err), "rename() \"%s\" to \"%s\" failed", src, dst)
	}
	return false
}

// copyFile copies src to a new dst of mode access with time mtime
// (ngx_copy_file), logging what fails.
func copyFile(r *httpd.Request, src, dst string, access uint32, mtime int64) error {
	in, err := os.Open(src)
	if err != nil {
		r.Log().Logf(errlog.Crit, r, errnoOf(err), "open() \"%s\" failed", src)
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, os.FileMode(access))
	if err != nil {
		r.Log().Logf(errlog.Crit, r, errnoOf(err), "open() \"%s\" failed", dst)
		return err
	}
	if _, err = io.Copy(out, in); err != nil {
		r.Log().Logf(errlog.Crit, r, errnoOf(err), "write() \"%s\" failed", dst)
	}
	if cerr := out.Close(); err == nil && cerr != nil {
		r.Log().Logf(errlog.Alert, r, errnoOf(cerr), "close() \"%s\" failed", dst)
		err = cerr
	}
	if err == nil && mtime != -1 {
		t := time.Unix(mtime, 0)
		if terr := os.Chtimes(dst, t, t); terr != nil {
			r.Log().Logf(errlog.Alert, r, errnoOf(terr), "utimes() \"%s\" failed", dst)
		}
	}
	return err
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
