package httpd

import (
	"sync"

	"github.com/sluicehq/sluice/conf"
)

// Conf levels: which of a module's conf objects a directive's setter
// receives (conf.Directive.Level), like nginx's NGX_HTTP_LOC_CONF_OFFSET,
// NGX_HTTP_SRV_CONF_OFFSET and NGX_HTTP_MAIN_CONF_OFFSET. The zero value is
// the location conf, which most directives use.
const (
	LocLevel = iota
	SrvLevel
	MainLevel
)

// Module is an HTTP module: the Go form of ngx_module_t with
// ngx_http_module_t. Modules are plain values listed explicitly by the
// program; none registers itself.
//
// Each level's conf is created per block: CreateMain once per http block,
// CreateSrv per server block (and once at http level, as the parent of every
// server), CreateLoc per location (and at server and http levels). After the
// whole http block is read, MergeSrv and MergeLoc fold each parent into its
// children, top-down, so a child inherits what it did not set.
type Module struct {
	// Name identifies the module ("proxy", "rewrite", ...).
	Name string
	// Directives is the module's directive table.
	Directives []conf.Directive

	CreateMain func(cf *Config) any
	InitMain   func(cf *Config, main any) error
	CreateSrv  func(cf *Config) any
	MergeSrv   func(cf *Config, parent, child any) error
	CreateLoc  func(cf *Config) any
	MergeLoc   func(cf *Config, parent, child any) error

	// Preconfiguration runs before the http block is read (register
	// variables here). Postconfiguration runs after every conf is merged
	// (add phase handlers and filters here).
	Preconfiguration  func(cf *Config) error
	Postconfiguration func(cf *Config) error

	// Handle, when set, is the module's identity for conf and context
	// lookups. A module whose handlers look up its own conf declares
	// `var self httpd.Handle`, sets Handle: &self, and passes &self to
	// LocConf/SrvConf/MainConf/Ctx: referring to the Module value from code
	// its own Directives reach would be an initialization cycle in Go.
	Handle *Handle

	own Handle
}

// Handle identifies a module in per-level conf slices and request
// contexts. Its zero value is ready; IDs are assigned on first use.
type Handle struct {
	once sync.Once
	id   int
}

// ID returns the handle's index, assigned once per process.
func (h *Handle) ID() int {
	h.once.Do(func() {
		idMu.Lock()
		h.id = nextID
		nextID++
		idMu.Unlock()
	})
	return h.id
}

// Keyed is a module or its Handle: anything with a module index.
type Keyed interface{ ID() int }

var (
	idMu   sync.Mutex
	nextID int
)

// ID is the module's index into per-level conf and per-request context
// slices; assigned once per process on first use.
func (m *Module) ID() int {
	if m.Handle != nil {
		return m.Handle.ID()
	}
	return m.own.ID()
}

// confs holds one conf object per module, indexed by Module.ID.
type confs []any

func (c *confs) get(m Keyed) any {
	if id := m.ID(); id < len(*c) {
		return (*c)[id]
	}
	return nil
}

func (c *confs) set(m Keyed, v any) {
	id := m.ID()
	for len(*c) <= id {
		*c = append(*c, nil)
	}
	(*c)[id] = v
}

// LocConf returns module m's location conf for request r, typed.
func LocConf[T any](r *Request, m Keyed) *T {
	v, _ := r.Loc.confs.get(m).(*T)
	return v
}

// SrvConf returns module m's server conf for request r, typed.
func SrvConf[T any](r *Request, m Keyed) *T {
	v, _ := r.Srv.confs.get(m).(*T)
	return v
}

// MainConf returns module m's main conf for request r, typed.
func MainConf[T any](r *Request, m Keyed) *T {
	v, _ := r.Config.main.get(m).(*T)
	return v
}

// Ctx returns module m's per-request context (nginx's
// ngx_http_get_module_ctx), or nil.
func Ctx[T any](r *Request, m Keyed) *T {
	v, _ := r.ctx.get(m).(*T)
	return v
}

// SetCtx stores module m's per-request context (ngx_http_set_ctx).
func SetCtx[T any](r *Request, m Keyed, v *T) { r.ctx.set(m, v) }
