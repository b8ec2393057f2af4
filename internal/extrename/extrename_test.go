package extrename

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/errlog"
)

// lines collects a Log's lines.
type lines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lines) WriteLog(_ time.Time, _ errlog.Level, line []byte, _ *errlog.Chain) {
	l.mu.Lock()
	l.b.Write(line)
	l.mu.Unlock()
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLog() (*errlog.Log, *lines) {
	l := &lines{}
	return errlog.New(errlog.Sink{Writer: l, Level: errlog.Info}), l
}

// write makes a file of mode 0600 holding s.
func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// otherFS is a directory on another file system than t.TempDir(), for the
// copy across file systems.
func otherFS(t *testing.T, dir string) string {
	t.Helper()
	var a, b syscall.Stat_t
	if err := syscall.Stat(dir, &a); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat("/dev/shm", &b); err != nil || a.Dev == b.Dev {
		t.Fatalf("the EXDEV cases need /dev/shm on another file system than %s (%v)", dir, err)
	}
	d, err := os.MkdirTemp("/dev/shm", "extrename")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// TestRename runs ngx_ext_rename_file's paths: each case prepares src and
// dst, moves, and checks the result, the log and what is left.
func TestRename(t *testing.T) {
	const mtime = 1136214245 // Mon, 02 Jan 2006 15:04:05 GMT
	tests := []struct {
		name string
		// prep makes the files in dir (and other, on another file
		// system) and returns src and dst
		prep func(t *testing.T, dir, other string) (src, dst string)
		o    Options
		ok   bool
		log  string // regexp of the whole log; "" for none
		// srcLeft: src must still exist afterwards
		srcLeft bool
	}{
		{
			name: "plain",
			prep: func(t *testing.T, dir, _ string) (string, string) {
				write(t, dir+"/src", "data")
				return dir + "/src", dir + "/dst"
			},
			o:  Options{Access: 0o644, Time: mtime},
			ok: true,
		},
		{
			name: "missing directory, not created",
			prep: func(t *testing.T, dir, _ string) (string, string) {
				write(t, dir+"/src", "data")
				return dir + "/src", dir + "/a/b/dst"
			},
			o:   Options{Access: 0o644, Time: -1, DeleteFile: true},
			log: `^\S+ \S+ \[crit\] \d+#\d+: rename\(\) "DIR/src" to "DIR/a/b/dst" failed \(2: No such file or directory\)\n$`,
		},
		{
			name: "missing directory kept when not deleting",
			prep: func(t *testing.T, dir, _ string) (string, string) {
				write(t, dir+"/src", "data")
				return dir + "/src", dir + "/a/dst"
			},
			o:       Options{Time: -1},
			log:     `rename\(\) "DIR/src" to "DIR/a/dst" failed \(2: No such file or directory\)\n$`,
			srcLeft: true,
		},
		{
			name: "missing directories created",
			prep: func(t *testing.T, dir, _ string) (string, string) {
				write(t, dir+"/src", "data")
				return dir + "/src", dir + "/a/b/dst"
			},
			o:  Options{Access: 0o640, PathAccess: 0o640, Time: mtime, CreatePath: true, DeleteFile: true},
			ok: true,
		},
		{
			name: "file where the directory should be",
			prep: func(t *testing.T, dir, _ string) (string, string) {
				write(t, dir+"/src", "data")
				write(t, dir+"/f", "")
				return dir + "/src", dir + "/f/dst"
			},
			o:   Options{Access: 0o644, Time: -1, CreatePath: true, DeleteFile: true},
			log: `^\S+ \S+ \[crit\] \d+#\d+: rename\(\) "DIR/src" to "DIR/f/dst" failed \(20: Not a directory\)\n$`,
		},
		{
			// sysfs refuses mkdir (EPERM) where the rename found no directory
			name: "directory cannot be made",
			prep: func(t *testing.T, dir, _ string) (string, string) {
				write(t, dir+"/src", "data")
				return dir + "/src", "/sys/sluice-extrename-test/dst"
			},
			o:   Options{Access: 0o644, Time: -1, CreatePath: true, DeleteFile: true},
			log: `^\S+ \S+ \[crit\] \d+#\d+: mkdir\(\) "/sys/sluice-extrename-test/dst" failed \(1: Operation not permitted\)\n$`,
		},
		{
			name: "chmod fails",
			prep: func(t *testing.T, dir, _ string) (string, string) {
				return dir + "/gone", dir + "/dst"
			},
			o: Options{Access: 0o644, Time: mtime, DeleteFile: true},
			log: `^\S+ \S+ \[crit\] \d+#\d+: chmod\(\) "DIR/gone" failed \(2: No such file or directory\)\n` +
				`\S+ \S+ \[crit\] \d+#\d+: unlink\(\) "DIR/gone" failed \(2: No such file or directory\)\n$`,
		},
		{
			name: "utimes fails",
			prep: func(t *testing.T, dir, _ string) (string, string) {
				return dir + "/gone", dir + "/dst"
			},
			o:   Options{Time: mtime},
			log: `^\S+ \S+ \[crit\] \d+#\d+: utimes\(\) "DIR/gone" failed \(2: No such file or directory\)\n$`,
		},
		{
			name: "across file systems",
			prep: func(t *testing.T, dir, other string) (string, string) {
				write(t, other+"/src", "data")
				return other + "/src", dir + "/dst"
			},
			o:  Options{Access: 0o604, Time: mtime, DeleteFile: true},
			ok: true,
		},
		{
			name: "across file systems into missing directories",
			prep: func(t *testing.T, dir, other string) (string, string) {
				write(t, other+"/src", "data")
				return other + "/src", dir + "/a/b/dst"
			},
			o:  Options{Access: 0o644, PathAccess: 0o644, Time: -1, CreatePath: true, DeleteFile: true},
			ok: true,
		},
		{
			name: "across file systems onto a directory",
			prep: func(t *testing.T, dir, other string) (string, string) {
				write(t, other+"/src", "data")
				os.MkdirAll(dir+"/d/x", 0o755)
				return other + "/src", dir + "/d"
			},
			o:   Options{Access: 0o644, Time: mtime, DeleteFile: true},
			log: `^\S+ \S+ \[crit\] \d+#\d+: rename\(\) "DIR/d\.\d{10}" to "DIR/d" failed \(21: Is a directory\)\n$`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			other := ""
			if strings.Contains(tc.name, "across") {
				other = otherFS(t, dir)
			}
			src, dst := tc.prep(t, dir, other)
			log, got := newLog()
			o := tc.o
			o.Log = log
			before := time.Now().Unix()
			if ok := Rename(src, dst, &o); ok != tc.ok {
				t.Fatalf("Rename = %v, want %v; log:\n%s", ok, tc.ok, got)
			}
			want := "^$"
			if tc.log != "" {
				want = strings.ReplaceAll(tc.log, "DIR", regexp.QuoteMeta(dir))
			}
			if !regexp.MustCompile(want).MatchString(got.String()) {
				t.Errorf("log:\n%s\nwant %s", got, want)
			}
			if _, err := os.Stat(src); (err == nil) != tc.srcLeft {
				t.Errorf("src left: %v, want %v", err == nil, tc.srcLeft)
			}
			for _, d := range []string{dir, other} {
				if d == "" {
					continue
				}
				filepath.Walk(d, func(p string, fi os.FileInfo, _ error) error {
					if regexp.MustCompile(`\.\d{10}$`).MatchString(p) {
						t.Errorf("copy left: %s", p)
					}
					return nil
				})
			}
			if !tc.ok {
				return
			}
			b, err := os.ReadFile(dst)
			if err != nil || string(b) != "data" {
				t.Fatalf("dst holds %q, %v", b, err)
			}
			fi, _ := os.Stat(dst)
			if perm := uint32(fi.Mode().Perm()); tc.o.Access != 0 && perm != tc.o.Access {
				t.Errorf("mode %o, want %o", perm, tc.o.Access)
			}
			st := fi.Sys().(*syscall.Stat_t)
			if tc.o.Time != -1 {
				if fi.ModTime().Unix() != tc.o.Time {
					t.Errorf("mtime %d, want %d", fi.ModTime().Unix(), tc.o.Time)
				}
				// ngx_set_file_time: the access time is now
				if st.Atim.Sec < before {
					t.Errorf("atime %d, want now (%d)", st.Atim.Sec, before)
				}
			}
			if tc.o.CreatePath {
				want := DirAccess(tc.o.PathAccess) &^ umask()
				di, _ := os.Stat(filepath.Dir(dst))
				if got := uint32(di.Mode().Perm()); got != want {
					t.Errorf("directory mode %o, want %o", got, want)
				}
			}
		})
	}
}

// umask is the process's file mode creation mask.
func umask() uint32 {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return uint32(m)
}

// TestCopy runs ngx_copy_file's paths.
func TestCopy(t *testing.T) {
	tests := []struct {
		name string
		o    CopyOptions
		dst  string // under the temp dir; "" for "dst"
		err  bool
		log  string
		mode uint32
		time int64
	}{
		{name: "from the file", o: CopyOptions{Size: -1, Time: -1}, mode: 0o600, time: 1000},
		{name: "given", o: CopyOptions{Size: 4, Access: 0o640, Time: 2000}, mode: 0o640, time: 2000},
		{name: "first bytes", o: CopyOptions{Size: 2, Access: 0o640, Time: 2000}, mode: 0o640, time: 2000},
		{
			name: "short",
			o:    CopyOptions{Size: 9, Access: 0o644, Time: 2000},
			err:  true,
			log:  `^\S+ \S+ \[alert\] \d+#\d+: read\(\) has read only 4 of 9 from DIR/src\n$`,
		},
		{
			name: "no directory",
			o:    CopyOptions{Size: -1, Time: -1},
			dst:  "a/dst",
			err:  true,
			log:  `^\S+ \S+ \[crit\] \d+#\d+: open\(\) "DIR/a/dst" failed \(2: No such file or directory\)\n$`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := dir + "/src"
			write(t, src, "data")
			os.Chtimes(src, time.Unix(1000, 0), time.Unix(1000, 0))
			dst := dir + "/dst"
			if tc.dst != "" {
				dst = dir + "/" + tc.dst
			}
			log, got := newLog()
			o := tc.o
			o.Log = log
			if err := Copy(src, dst, &o); (err != nil) != tc.err {
				t.Fatalf("Copy: %v, want error %v; log:\n%s", err, tc.err, got)
			}
			want := "^$"
			if tc.log != "" {
				want = strings.ReplaceAll(tc.log, "DIR", regexp.QuoteMeta(dir))
			}
			if !regexp.MustCompile(want).MatchString(got.String()) {
				t.Errorf("log:\n%s\nwant %s", got, want)
			}
			if tc.err {
				return
			}
			b, _ := os.ReadFile(dst)
			if n := tc.o.Size; n >= 0 && string(b) != "data"[:n] || n < 0 && string(b) != "data" {
				t.Errorf("dst holds %q", b)
			}
			fi, _ := os.Stat(dst)
			if perm := uint32(fi.Mode().Perm()); perm != tc.mode&^umask() {
				t.Errorf("mode %o, want %o", perm, tc.mode)
			}
			if fi.ModTime().Unix() != tc.time {
				t.Errorf("mtime %d, want %d", fi.ModTime().Unix(), tc.time)
			}
		})
	}
}
