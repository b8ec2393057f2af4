package ssl

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCertCache checks the cache's rules as ngx_ssl_cache has them: kept
// entries are not read again while valid, an entry past valid is read
// again only when its file changed, the least recently used entry goes
// when max are kept, entries not used for inactive go when another is
// added, a failed load drops the entry, and invalidate reads again.
func TestCertCache(t *testing.T) {
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	loads := 0
	load := func(p string) func() (any, error) {
		return func() (any, error) {
			loads++
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			return string(b), nil
		}
	}
	get := func(c *certCache, p string, invalidate bool) string {
		v, err := c.fetch(cacheKey{name: p}, invalidate, load(p))
		if err != nil {
			return "error"
		}
		return v.(string)
	}
	a, b, c3 := file("a", "A1"), file("b", "B1"), file("c", "C1")

	t.Run("kept while valid", func(t *testing.T) {
		c := newCertCache(4, time.Hour, time.Hour)
		loads = 0
		get(c, a, false)
		file("a", "A2")
		if got := get(c, a, false); got != "A1" || loads != 1 {
			t.Errorf("got %q after %d loads, want the kept A1 after 1", got, loads)
		}
		if got := get(c, a, true); got != "A2" || loads != 2 {
			t.Errorf("invalidated: got %q after %d loads, want A2 after 2", got, loads)
		}
		file("a", "A1")
	})
	t.Run("past valid, read again only when changed", func(t *testing.T) {
		c := newCertCache(4, 0, time.Hour)
		loads = 0
		get(c, a, false)
		time.Sleep(2 * time.Millisecond)
		get(c, a, false)
		if loads != 1 {
			t.Errorf("%d loads of an unchanged file, want 1", loads)
		}
		os.Remove(a)
		file("a", "A3") // a new inode
		if got := get(c, a, false); got != "A3" || loads != 2 {
			t.Errorf("got %q after %d loads, want A3 after 2", got, loads)
		}
		os.Remove(a)
		if got := get(c, a, false); got != "error" {
			t.Errorf("removed file: got %q, want an error", got)
		}
		if _, ok := c.nodes[cacheKey{name: a}]; ok {
			t.Error("a failed load kept the entry")
		}
		file("a", "A1")
	})
	t.Run("least recently used goes at max", func(t *testing.T) {
		c := newCertCache(2, time.Hour, time.Hour)
		get(c, a, false)
		get(c, b, false)
		get(c, a, false) // b is now the least recently used
		get(c, c3, false)
		if _, ok := c.nodes[cacheKey{name: b}]; ok || len(c.nodes) != 2 {
			t.Errorf("kept %d entries, b among them: %v", len(c.nodes), ok)
		}
	})
	t.Run("inactive entries go when one is added", func(t *testing.T) {
		c := newCertCache(10, time.Hour, 0)
		get(c, a, false)
		get(c, b, false)
		time.Sleep(2 * time.Millisecond)
		get(c, c3, false)
		if len(c.nodes) != 1 {
			t.Errorf("%d entries, want only the new one", len(c.nodes))
		}
	})
	t.Run("a failed first load keeps nothing", func(t *testing.T) {
		c := newCertCache(4, time.Hour, time.Hour)
		_, err := c.fetch(cacheKey{name: "x"}, false, func() (any, error) { return nil, errors.New("no") })
		if err == nil || len(c.nodes) != 0 {
			t.Errorf("err %v, %d entries", err, len(c.nodes))
		}
	})
}
