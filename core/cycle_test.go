package core

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// openFDsTo counts this process's descriptors open on path.
func openFDsTo(t *testing.T, path string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("listing descriptors: %v", err)
	}
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && target == path {
			n++
		}
	}
	return n
}

// TestStartupLogClosedAfterLoad: the -e file serves as the log of the
// loading (nginx's ngx_log_init), and each load opened its own; it was
// left to the garbage collector, a descriptor per start or reload.
func TestStartupLogClosedAfterLoad(t *testing.T) {
	tests := []struct {
		name string
		conf string
		ok   bool
	}{
		// error_log elsewhere: the -e file is not the cycle's log
		{name: "loaded", conf: "error_log other.log;\nevents {}\n", ok: true},
		{name: "failed", conf: "error_log other.log;\nevents {}\nno_such_directive;\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "nginx.conf")
			if err := os.WriteFile(path, []byte(tc.conf), 0o644); err != nil {
				t.Fatal(err)
			}
			o, err := ParseOptions([]string{"-p", dir + "/", "-c", path, "-e", "startup.log"})
			if err != nil {
				t.Fatal(err)
			}
			cy, err := Load(o, nil, nil, nil, nil)
			if (err == nil) != tc.ok {
				t.Fatalf("Load: %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), "no_such_directive") {
				t.Fatalf("Load: %v", err)
			}
			if cy != nil {
				defer cy.Files.CloseAll()
			}
			if _, err := os.Stat(filepath.Join(dir, "startup.log")); err != nil {
				t.Fatalf("the startup log was never opened: %v", err)
			}
			if n := openFDsTo(t, filepath.Join(dir, "startup.log")); n != 0 {
				t.Errorf("%d descriptors still open on the startup log after Load", n)
			}
		})
	}
}
