package limitreq

import (
	"runtime"
	"sync"
	"weak"

	"github.com/sluicehq/sluice/errlog"
)

// The zones of a running server outlive reloads, as nginx's shared memory
// zones do: a configuration that declares a zone with the same name and
// size as the configuration before it takes over its state (and must use
// the same key); a zone whose size changed starts empty.
//
// A server is identified by its log files set (core.Cycle.Files), the one
// object core.Load hands from a configuration to the next: each process
// has one, and each in-process test server its own, so that tests running
// side by side do not share zones. The entry goes when the set is garbage.
var registry = struct {
	mu sync.Mutex
	m  map[weak.Pointer[errlog.Files]]map[string]*published
}{m: map[weak.Pointer[errlog.Files]]map[string]*published{}}

// published is a zone of the last configuration loaded.
type published struct {
	size int64
	key  string // the key's text, for the check on reload
	st   *store
}

// previous returns the zones of the configuration loaded before, by name.
func previous(files *errlog.Files) map[string]*published {
	if files == nil {
		return nil
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return registry.m[weak.Make(files)]
}

// publish records a configuration's zones for the next one; zones it does
// not declare are forgotten (nginx frees them with the old cycle).
//
// It runs once the http block is complete, so a reload that fails later
// (an unknown variable, a log file that cannot be opened) leaves its zones
// here in place of the running configuration's: the next reload then
// compares itself with the failed one. nginx compares with the running
// one; the difference shows only in a zone whose size or key changed in
// the failed reload and back in the next.
func publish(files *errlog.Files, zones map[string]*published) {
	if files == nil {
		return
	}
	k := weak.Make(files)
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if _, ok := registry.m[k]; !ok {
		runtime.AddCleanup(files, forget, k)
	}
	registry.m[k] = zones
}

func forget(k weak.Pointer[errlog.Files]) {
	registry.mu.Lock()
	delete(registry.m, k)
	registry.mu.Unlock()
}
