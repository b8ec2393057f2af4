// Package extrename moves a finished temporary file into place the way
// nginx does (ngx_ext_rename_file and ngx_copy_file in
// src/core/ngx_file.c): it gives the file its mode and time, renames it,
// creates the missing directories of the destination, and copies it
// across file systems, logging each failed step with nginx's words
// (chmod(), utimes(), mkdir(), rename(), unlink(), open(), read(),
// write(), close()). proxy_store and its kin, and dav's PUT, COPY and
// MOVE, use it.
package extrename

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/internal/tempfile"
)

// Options says how Rename moves a file (ngx_ext_rename_file_t).
type Options struct {
	// Access is the mode the file gets before the rename; 0 keeps its own.
	Access uint32
	// PathAccess is the file mode the missing directories are made for;
	// they get search permission where it allows reading (ngx_dir_access).
	PathAccess uint32
	// Time is the modification time the file gets, in Unix seconds; -1
	// keeps its own.
	Time int64
	// CreatePath makes the missing directories of the destination.
	CreatePath bool
	// DeleteFile removes the source when the move fails.
	DeleteFile bool
	// Log and Ctx are where the failures are written.
	Log *errlog.Log
	Ctx errlog.Context
}

// CopyOptions says how Copy writes the new file (ngx_copy_file_t).
type CopyOptions struct {
	// Size is how many bytes are copied; -1 copies the file's size.
	Size int64
	// Access is the mode of the new file; 0 takes the source's.
	Access uint32
	// Time is the modification time of the new file; -1 takes the
	// source's.
	Time int64
	// Log and Ctx are where the failures are written.
	Log *errlog.Log
	Ctx errlog.Context
}

// copyBuf is the size of Copy's buffer (ngx_copy_file's default).
const copyBuf = 65536

// DirAccess is the mode of a directory made for files of mode m: search
// permission where reading is allowed (ngx_dir_access).
func DirAccess(m uint32) uint32 { return m | (m&0o444)>>2 }

// Rename moves src to dst as o says and reports whether it did. On
// failure each failed step has been logged, and src is removed when
// o.DeleteFile.
func Rename(src, dst string, o *Options) bool {
	var err error
	if o.Access != 0 {
		if e := syscall.Chmod(src, o.Access); e != nil {
			o.Log.Logf(errlog.Crit, o.Ctx, e, "chmod() \"%s\" failed", src)
			return o.failed(src, dst, nil)
		}
	}
	if o.Time != -1 {
		if e := setTime(src, o.Time); e != nil {
			o.Log.Logf(errlog.Crit, o.Ctx, e, "utimes() \"%s\" failed", src)
			return o.failed(src, dst, nil)
		}
	}
	if err = syscall.Rename(src, dst); err == nil {
		return true
	}
	if err == syscall.ENOENT {
		if !o.CreatePath {
			return o.failed(src, dst, err)
		}
		if e := createFullPath(dst, DirAccess(o.PathAccess)); e != 0 {
			o.Log.Logf(errlog.Crit, o.Ctx, e, "mkdir() \"%s\" failed", dst)
			return o.failed(src, dst, nil)
		}
		if err = syscall.Rename(src, dst); err == nil {
			return true
		}
	}
	if err == syscall.EXDEV {
		return o.copyAcross(src, dst)
	}
	return o.failed(src, dst, err)
}

// copyAcross moves src to dst on another file system: a copy next to dst
// renamed over it, then src removed.
func (o *Options) copyAcross(src, dst string) bool {
	name := fmt.Sprintf("%s.%010d", dst, tempfile.Next())
	co := CopyOptions{Size: -1, Access: o.Access, Time: o.Time, Log: o.Log, Ctx: o.Ctx}
	if Copy(src, name, &co) == nil {
		err := syscall.Rename(name, dst)
		if err == nil {
			if err := syscall.Unlink(src); err != nil {
				o.Log.Logf(errlog.Crit, o.Ctx, err, "unlink() \"%s\" failed", src)
				return false
			}
			return true
		}
		o.Log.Logf(errlog.Crit, o.Ctx, err, "rename() \"%s\" to \"%s\" failed", name, dst)
		if err := syscall.Unlink(name); err != nil {
			o.Log.Logf(errlog.Crit, o.Ctx, err, "unlink() \"%s\" failed", name)
		}
	} else {
		// nginx leaves a partial copy behind; it is removed here, quietly,
		// since Copy has logged why it failed
		syscall.Unlink(name)
	}
	return o.failed(src, dst, nil)
}

// failed removes src when o.DeleteFile and logs err, the rename's own
// failure, when there is one (the failed: label of ngx_ext_rename_file).
func (o *Options) failed(src, dst string, err error) bool {
	if o.DeleteFile {
		if e := syscall.Unlink(src); e != nil {
			o.Log.Logf(errlog.Crit, o.Ctx, e, "unlink() \"%s\" failed", src)
		}
	}
	if err != nil {
		o.Log.Logf(errlog.Crit, o.Ctx, err, "rename() \"%s\" to \"%s\" failed", src, dst)
	}
	return false
}

// createFullPath makes the directories leading to path, each of mode
// access (ngx_create_full_path): an existing one is fine, a denied one is
// passed over, and any other failure stops it. It returns the last
// failure that counts, 0 for none.
func createFullPath(path string, access uint32) syscall.Errno {
	var err syscall.Errno
	for i := 1; i < len(path); i++ {
		if path[i] != '/' {
			continue
		}
		if e := syscall.Mkdir(path[:i], access); e != nil {
			err, _ = e.(syscall.Errno)
			switch err {
			case syscall.EEXIST:
				err = 0
			case syscall.EACCES:
			default:
				return err
			}
		}
	}
	return err
}

// Copy copies src to a new file dst as o says (ngx_copy_file): exactly
// o.Size bytes, or the file's size, a source shorter than that being an
// error. Each failure is logged; the error returned is the first one.
func Copy(src, dst string, o *CopyOptions) (err error) {
	in, err := os.Open(src)
	if err != nil {
		o.Log.Logf(errlog.Crit, o.Ctx, err, "open() \"%s\" failed", src)
		return err
	}
	defer func() {
		if e := in.Close(); e != nil {
			o.Log.Logf(errlog.Alert, o.Ctx, e, "close() \"%s\" failed", src)
		}
	}()
	size, access, mtime := o.Size, o.Access, o.Time
	if size == -1 || access == 0 || mtime == -1 {
		fi, e := in.Stat()
		if e != nil {
			o.Log.Logf(errlog.Alert, o.Ctx, e, "fstat() \"%s\" failed", src)
			return e
		}
		if size == -1 {
			size = fi.Size()
		}
		if access == 0 {
			access = uint32(fi.Mode().Perm())
		}
		if mtime == -1 {
			mtime = fi.ModTime().Unix()
		}
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, os.FileMode(access))
	if err != nil {
		o.Log.Logf(errlog.Crit, o.Ctx, err, "open() \"%s\" failed", dst)
		return err
	}
	defer func() {
		if e := out.Close(); e != nil {
			o.Log.Logf(errlog.Alert, o.Ctx, e, "close() \"%s\" failed", dst)
			if err == nil {
				err = e
			}
		}
	}()
	buf := make([]byte, min(copyBuf, max(size, 0)))
	for size > 0 {
		n := int(min(int64(len(buf)), size))
		got, e := in.Read(buf[:n])
		if e != nil && e != io.EOF {
			o.Log.Logf(errlog.Alert, o.Ctx, e, "read() \"%s\" failed", src)
			return e
		}
		if got != n {
			o.Log.Logf(errlog.Alert, o.Ctx, nil, "read() has read only %d of %d from %s", got, size, src)
			return errShort
		}
		if _, e := out.Write(buf[:n]); e != nil {
			o.Log.Logf(errlog.Alert, o.Ctx, e, "write() \"%s\" failed", dst)
			return e
		}
		size -= int64(n)
	}
	if e := setTime(dst, mtime); e != nil {
		o.Log.Logf(errlog.Alert, o.Ctx, e, "utimes() \"%s\" failed", dst)
		return e
	}
	return nil
}

// errShort is Copy's error for a source shorter than the size asked.
var errShort = errors.New("short read")

// setTime gives the file path the modification time mtime and the access
// time now (ngx_set_file_time).
func setTime(path string, mtime int64) error {
	tv := []syscall.Timeval{
		syscall.NsecToTimeval(time.Now().Unix() * int64(time.Second)),
		syscall.NsecToTimeval(mtime * int64(time.Second)),
	}
	return syscall.Utimes(path, tv)
}
