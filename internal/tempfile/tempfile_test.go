package tempfile

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestCreate(t *testing.T) {
	cases := []struct {
		name   string
		levels []int
		dirRE  string
	}{
		{"flat", nil, `^$`},
		{"one level", []int{1}, `^\d$`},
		{"two levels", []int{1, 2}, `^\d/\d\d$`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "missing", "temp")
			f, err := Create(dir, c.levels)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rel, _ := filepath.Rel(dir, f.Name())
			base := filepath.Base(rel)
			if !regexp.MustCompile(`^\d{10}$`).MatchString(base) {
				t.Errorf("name %q is not ten digits", base)
			}
			sub := filepath.Dir(rel)
			if sub == "." {
				sub = ""
			}
			if !regexp.MustCompile(c.dirRE).MatchString(sub) {
				t.Errorf("level directories %q, want %s", sub, c.dirRE)
			}
			if sub != "" && !strings.HasSuffix(base, strings.ReplaceAll(reverseLevels(sub), "/", "")) {
				t.Errorf("levels %q are not the tail of %q", sub, base)
			}
		})
	}
}

// reverseLevels turns "3/12" into "12/3": the first level holds the last
// characters of the name.
func reverseLevels(s string) string {
	p := strings.Split(s, "/")
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
	return strings.Join(p, "/")
}

// TestCreateCollision: a taken name moves the counter on.
func TestCreateCollision(t *testing.T) {
	dir := t.TempDir()
	next := number.Load() + 1
	taken := filepath.Join(dir, fmt.Sprintf("%010d", next))
	if err := os.WriteFile(taken, nil, 0600); err != nil {
		t.Fatal(err)
	}
	f, err := Create(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Name() == taken {
		t.Fatalf("Create reused the taken name %s", taken)
	}
}

// TestCreateError names the file that could not be created.
func TestCreateError(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0600); err != nil {
		t.Fatal(err)
	}
	_, err := Create(filepath.Join(blocker, "sub"), nil)
	if err == nil || !strings.Contains(err.Error(), blocker) {
		t.Fatalf("error %v does not name the path", err)
	}
}
