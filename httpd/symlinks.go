package httpd

import (
	"os"
	"strings"
	"syscall"

	"github.com/sluicehq/sluice/conf"
)

// SymlinkMode is what disable_symlinks allows when a file is opened.
type SymlinkMode uint8

// The modes of disable_symlinks.
const (
	// SymlinksOff follows symbolic links (the default).
	SymlinksOff SymlinkMode = iota
	// SymlinksOn refuses a path any component of which is a symbolic link.
	SymlinksOn
	// SymlinksIfNotOwner refuses a symbolic link whose owner is not the
	// owner of what it points to.
	SymlinksIfNotOwner
)

// Symlinks is the disable_symlinks setting of a location: the mode, and
// the part of the path (from=, a complex value) that is not checked.
type Symlinks struct {
	Mode SymlinkMode
	From *Complex
}

// setDisableSymlinks is "disable_symlinks off | on | if_not_owner
// [from=part]" (ngx_http_disable_symlinks).
func setDisableSymlinks(c *conf.Cmd) error {
	lc := c.Conf.(*CoreLocConf)
	if lc.DisableSymlinks.IsSet() {
		return conf.ErrDuplicate
	}
	var s Symlinks
	mode, from := false, false
	for _, a := range c.Args {
		switch {
		case a == "off":
			s.Mode, mode = SymlinksOff, true
		case a == "on":
			s.Mode, mode = SymlinksOn, true
		case a == "if_not_owner":
			s.Mode, mode = SymlinksIfNotOwner, true
		case strings.HasPrefix(a, "from="):
			cx, err := ConfigOf(c).Compile(c, a[len("from="):])
			if err != nil {
				return err
			}
			s.From, from = cx, true
		default:
			return c.Errorf("invalid parameter \"%s\"", a)
		}
	}
	switch {
	case !mode:
		return c.Errorf("\"%s\" must have \"off\", \"on\" or \"if_not_owner\" parameter", c.Name)
	case len(c.Args) == 2 && !from:
		return c.Errorf("duplicate parameters \"%s %s\"", c.Arg(0), c.Arg(1))
	case from && s.Mode == SymlinksOff:
		return c.Errorf("\"from=\" cannot be used with \"off\" parameter")
	}
	lc.DisableSymlinks.Set(s)
	return nil
}

// symlinkCheck is disable_symlinks applied to one path
// (ngx_http_set_disable_symlinks): the mode, and how many leading bytes of
// the path (from=) are opened without checks, 0 for none.
func (r *Request) symlinkCheck(path string) (SymlinkMode, int) {
	s := r.Loc.core.DisableSymlinks.Get()
	if s.Mode == SymlinksOff || s.From == nil {
		return s.Mode, 0
	}
	from := s.From.Eval(r)
	if from == "" || len(from) > len(path) || path[:len(from)] != from {
		return s.Mode, 0
	}
	if len(from) == len(path) {
		return SymlinksOff, 0
	}
	if path[len(from)] == '/' {
		return s.Mode, len(from)
	}
	if from[len(from)-1] == '/' {
		return s.Mode, len(from) - 1
	}
	return s.Mode, 0
}

// OpenFile opens path read-only (and non-blocking, as nginx opens the
// files it serves) as the location's disable_symlinks allows
// (ngx_open_file_wrapper): directly when symbolic links are allowed, else
// one component at a time. A symbolic link refused fails with ELOOP (or
// ENOTDIR for a directory component). failed names the system call for
// the log line: "open()" or "openat()".
func (r *Request) OpenFile(path string) (f *os.File, failed string, err error) {
	mode, from := r.symlinkCheck(path)
	return openChecked(path, mode, from)
}

func openChecked(path string, mode SymlinkMode, from int) (*os.File, string, error) {
	if mode == SymlinksOff {
		f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		return f, "open()", err
	}
	fd, failed, err := openNoSymlinks(path, mode, from, syscall.O_RDONLY|syscall.O_NONBLOCK)
	if err != nil {
		return nil, failed, &os.PathError{Op: failed[:len(failed)-2], Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), "", nil
}

// StatFile returns what path is, as the location's disable_symlinks
// allows (ngx_file_info_wrapper): stat() when symbolic links are allowed,
// else the file opened as OpenFile opens it and fstat(). failed names the
// system call for the log line.
func (r *Request) StatFile(path string) (fi os.FileInfo, failed string, err error) {
	mode, from := r.symlinkCheck(path)
	if mode == SymlinksOff {
		fi, err := os.Stat(path)
		return fi, "stat()", err
	}
	f, failed, err := openChecked(path, mode, from)
	if err != nil {
		return nil, failed, err
	}
	defer f.Close()
	fi, err = f.Stat()
	if err != nil {
		return nil, "fstat()", err
	}
	return fi, "", nil
}

// oPath is Linux's O_PATH: a descriptor that only names a place in the
// file system (the syscall package does not define it).
const oPath = 0x200000

// searchFlags open a directory component to look up the next one in.
const searchFlags = oPath | syscall.O_DIRECTORY | syscall.O_NONBLOCK | syscall.O_CLOEXEC

// openNoSymlinks walks path one component at a time with openat, each
// component either opened with O_NOFOLLOW (on) or checked to have the
// owner of what it names (if_not_owner); the first from bytes are opened
// as they are. It returns the final descriptor, or the error and the name
// of the call that failed.
func openNoSymlinks(path string, mode SymlinkMode, from int, flags int) (int, string, error) {
	dir := atFDCWD
	rest := path
	switch {
	case from > 0:
		fd, err := syscall.Open(path[:from], searchFlags, 0)
		if err != nil {
			return -1, "open()", err
		}
		dir, rest = fd, path[from+1:]
	case strings.HasPrefix(path, "/"):
		fd, err := syscall.Open("/", searchFlags, 0)
		if err != nil {
			return -1, "openat()", err
		}
		dir, rest = fd, path[1:]
	}
	closeDir := func() {
		if dir != atFDCWD {
			syscall.Close(dir)
		}
	}
	for {
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			break
		}
		if i == 0 {
			rest = rest[1:]
			continue
		}
		fd, err := openComponent(dir, rest[:i], mode, searchFlags)
		closeDir()
		if err != nil {
			return -1, "openat()", err
		}
		dir, rest = fd, rest[i+1:]
	}
	var fd int
	var err error
	if rest == "" {
		// a trailing slash: the last component is a directory, opened
		// again with the flags asked for
		fd, err = syscall.Openat(dir, ".", flags|syscall.O_CLOEXEC, 0)
	} else {
		fd, err = openComponent(dir, rest, mode, flags|syscall.O_CLOEXEC)
	}
	closeDir()
	if err != nil {
		return -1, "openat()", err
	}
	return fd, "", nil
}

// atFDCWD is AT_FDCWD: openat relative to the working directory.
const atFDCWD = -100

// openComponent opens name in dir: with O_NOFOLLOW (on), or following a
// link only when the link's owner owns what it names (if_not_owner,
// ngx_openat_file_owner: the owners are compared even when the name is no
// link now, as it may have been one when it was opened).
func openComponent(dir int, name string, mode SymlinkMode, flags int) (int, error) {
	if mode != SymlinksIfNotOwner {
		return syscall.Openat(dir, name, flags|syscall.O_NOFOLLOW, 0)
	}
	fd, err := syscall.Openat(dir, name, flags, 0)
	if err != nil {
		return -1, err
	}
	// the name itself, not followed: O_PATH|O_NOFOLLOW opens a link
	// as it is, and fstat reports its owner
	self, err := syscall.Openat(dir, name, oPath|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		syscall.Close(fd)
		return -1, err
	}
	var at, st syscall.Stat_t
	err = syscall.Fstat(self, &at)
	syscall.Close(self)
	if err == nil {
		err = syscall.Fstat(fd, &st)
	}
	if err == nil && at.Uid != st.Uid {
		err = syscall.ELOOP
	}
	if err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}
