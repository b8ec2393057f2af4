package cache

import (
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sluicehq/sluice/internal/ascii"
)

// load indexes the files found under the cache directory (nginx's cache
// loader): files named by a key in their level directories become entries;
// anything else there (temp files a crash left, stray names) is removed.
// Until it is done the zone is cold: a key it does not know yet may still
// be on disk, so lookups look for its file. It reports false when the zone
// was stopped meanwhile.
func (z *Zone) load() bool {
	spec := z.Spec()
	files := spec.LoaderFiles
	if files <= 0 {
		files = 100
	}
	sleep := spec.LoaderSleep
	if sleep <= 0 {
		sleep = 50 * time.Millisecond
	}
	threshold := spec.LoaderThreshold
	if threshold <= 0 {
		threshold = 200 * time.Millisecond
	}
	start, n := time.Now(), 0
	began := start
	stopped := false
	filepath.WalkDir(spec.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		z.loadFile(spec, path, d, began)
		n++
		if n >= files || time.Since(start) >= threshold {
			t := time.NewTimer(sleep)
			select {
			case <-t.C:
			case <-z.quit:
				t.Stop()
				stopped = true
				return fs.SkipAll
			}
			start, n = time.Now(), 0
		}
		return nil
	})
	z.mu.Lock()
	z.cold = false
	z.mu.Unlock()
	return !stopped
}

// loadFile indexes one file of the cache directory, or removes it. Only
// files older than the loader (by a margin: file times are coarse) are
// removed: newer ones are the temp files of responses being stored now
// (use_temp_path=off puts them here).
func (z *Zone) loadFile(spec Spec, path string, d fs.DirEntry, began time.Time) {
	fi, err := d.Info()
	if err != nil || !fi.Mode().IsRegular() {
		return
	}
	old := fi.ModTime().Before(began.Add(-loaderMargin))
	k, ok := keyOfName(d.Name())
	if !ok || pathOf(spec.Dir, spec.Levels, k) != path || fi.Size() < fixedLen {
		if old {
			os.Remove(path)
		}
		return
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if n := z.nodes[k]; n != nil {
		return // a request found it first
	}
	if len(z.nodes) >= z.maxNodes && !z.evictOne() {
		return
	}
	n := &node{key: k, uses: 1, exists: true, fsSize: diskSize(fi),
		expire: time.Now().Add(spec.Inactive), wait: make(chan struct{})}
	z.nodes[k] = n
	z.size += n.fsSize
	// loaded entries are the least recently used
	n.prev = z.tail
	if z.tail != nil {
		z.tail.next = n
	}
	z.tail = n
	if z.head == nil {
		z.head = n
	}
}

// loaderMargin is how much older than the loader a file must be for the
// loader to remove it.
const loaderMargin = 2 * time.Second

func keyOfName(name string) (Key, bool) {
	var k Key
	if len(name) != 32 || ascii.ToLower(name) != name {
		return k, false
	}
	if _, err := hex.Decode(k[:], []byte(name)); err != nil {
		return k, false
	}
	return k, true
}

// manage is the cache manager's loop: entries inactive longer than
// inactive go, then the least recently used ones while the cache is over
// max_size or the file system under min_free
// (ngx_http_file_cache_manager).
func (z *Zone) manage() {
	for {
		spec := z.Spec()
		sleep := spec.ManagerSleep
		if sleep <= 0 {
			sleep = 50 * time.Millisecond
		}
		next := z.Expire(time.Now())
		z.Enforce()
		wait := time.Until(next)
		if wait < sleep {
			wait = sleep
		}
		if wait > 10*time.Second {
			wait = 10 * time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-z.kick:
			t.Stop()
		case <-z.quit:
			t.Stop()
			return
		}
	}
}

// Expire removes the entries inactive at now that no request holds, with
// their files, and returns when the next one expires.
func (z *Zone) Expire(now time.Time) time.Time {
	spec := z.Spec()
	files := spec.ManagerFiles
	if files <= 0 {
		files = 100
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	next := now.Add(spec.Inactive)
	removed := 0
	for n := z.tail; n != nil; {
		prev := n.prev
		if n.expire.After(now) {
			if n.expire.Before(next) {
				next = n.expire
			}
			n = prev
			continue
		}
		if n.count == 0 {
			z.remove(n, true)
			removed++
			if removed >= files {
				break
			}
		}
		n = prev
	}
	return next
}

// Enforce removes least recently used entries while the cache is over
// max_size or its file system has less than min_free available.
func (z *Zone) Enforce() {
	spec := z.Spec()
	if spec.MaxSize <= 0 && spec.MinFree <= 0 {
		return
	}
	for {
		z.mu.Lock()
		over := spec.MaxSize > 0 && z.size > spec.MaxSize
		z.mu.Unlock()
		if !over && spec.MinFree > 0 {
			if free := freeSpace(spec.Dir); free >= 0 && free < spec.MinFree {
				over = true
			}
		}
		if !over {
			return
		}
		z.mu.Lock()
		ok := z.evictOne()
		z.mu.Unlock()
		if !ok {
			return
		}
	}
}
