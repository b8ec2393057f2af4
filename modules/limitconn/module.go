package limitconn

import (
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/shmzone"
)

// self is the module's identity for conf lookups (see httpd.Handle).
var self httpd.Handle

const contexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Module is the limit_conn HTTP module (ngx_http_limit_conn_module).
var Module = &httpd.Module{
	Name:   "limit_conn",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "limit_conn_zone", Context: conf.HTTPMain, Args: conf.Take2, Level: httpd.MainLevel, Set: setZone,
			Syntax: "limit_conn_zone key zone=name:size;",
			Doc: "Declares a zone counting, per value of the key, the requests in progress; an empty key is not counted. " +
				"The size bounds the number of keys as nginx's slab allocator does (see above)."},
		{Name: "limit_conn", Context: contexts, Args: conf.Take2, Set: setLimit,
			Syntax: "limit_conn zone number;",
			Doc:    "Limits the requests in progress per key of the zone to number; further ones are rejected with limit_conn_status."},
		{Name: "limit_conn_log_level", Context: contexts, Args: conf.Take1,
			Set:    conf.SetEnum(shmzone.LogLevels, func(c *LocConf) *conf.Val[errlog.Level] { return &c.logLevel }),
			Syntax: "limit_conn_log_level info | notice | warn | error;", Default: "limit_conn_log_level error;",
			Doc: "The level of the rejections' log lines."},
		{Name: "limit_conn_status", Context: contexts, Args: conf.Take1, Set: setStatus,
			Syntax: "limit_conn_status code;", Default: "limit_conn_status 503;",
			Doc: "The status of rejected requests (400 to 599)."},
		{Name: "limit_conn_dry_run", Context: contexts, Args: conf.FlagArg,
			Set:    conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.dryRun }),
			Syntax: "limit_conn_dry_run on | off;", Default: "limit_conn_dry_run off;",
			Doc: "With on, requests over the limit are logged but not rejected ($limit_conn_status says REJECTED_DRY_RUN)."},
	},
	CreateMain: func(*httpd.Config) any { return &MainConf{zones: map[string]*zone{}} },
	InitMain:   initMain,
	CreateLoc:  func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		p, c := parent.(*LocConf), child.(*LocConf)
		if c.limits == nil {
			c.limits = p.limits
		}
		c.logLevel.Inherit(p.logLevel, errlog.Error)
		c.status.Inherit(p.status, 503)
		c.dryRun.Inherit(p.dryRun, false)
		return nil
	},
	Preconfiguration: func(cf *httpd.Config) error {
		_, err := cf.AddVariable(&httpd.Variable{Name: "limit_conn_status", Get: statusVariable, Flags: httpd.VarNoCacheable})
		return err
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHandler(httpd.Preaccess, handler)
		return nil
	},
}

// MainConf is the zones of an http block, by name and in the order they
// were first named (by limit_conn_zone or by a limit_conn).
type MainConf struct {
	zones map[string]*zone
	order []*zone
}

// zone is one zone of a configuration (nginx's shared memory zone with
// its ngx_http_limit_conn_ctx_t). The counts are in st, which the
// configuration may have taken over from the one before.
type zone struct {
	name string
	// size is 0 while only limit_conn named the zone
	size int64
	key  *httpd.Complex
	st   *store
	// log is the main error log, where nginx's slab allocator logs
	log *errlog.Log
}

// LocConf is the limit_conn settings of one level.
type LocConf struct {
	// limits is nil on a level without limit_conn (it inherits)
	limits   []limit
	logLevel conf.Val[errlog.Level]
	status   conf.Num
	dryRun   conf.Flag
}

// limit is one limit_conn.
type limit struct {
	z    *zone
	conn int
}

// zoneNamed returns the zone called name, adding it (nginx's
// ngx_shared_memory_add): a size that differs from the one declared
// before is an error.
func zoneNamed(c *conf.Cmd, name string, size int64) (*zone, error) {
	m := httpd.ConfigOf(c).MainConf(&self).(*MainConf)
	z := m.zones[name]
	if z == nil {
		z = &zone{name: name}
		m.zones[name] = z
		m.order = append(m.order, z)
	}
	if z.size == 0 {
		z.size = size
	}
	if size != 0 && size != z.size {
		return nil, c.Errorf("the size %d of shared memory zone \"%s\" conflicts with already declared size %d", size, name, z.size)
	}
	return z, nil
}

// setZone is "limit_conn_zone" (ngx_http_limit_conn_zone).
func setZone(c *conf.Cmd) error {
	key, err := httpd.ConfigOf(c).Compile(c, c.Arg(0))
	if err != nil {
		return err
	}
	var name string
	var size int64
	for _, a := range c.Args[1:] {
		if !strings.HasPrefix(a, "zone=") {
			return c.Errorf("invalid parameter \"%s\"", a)
		}
		if name, size, err = shmzone.ParseZone(c, a); err != nil {
			return err
		}
	}
	if name == "" {
		return c.Errorf("\"%s\" must have \"zone\" parameter", c.Name)
	}
	z, err := zoneNamed(c, name, size)
	if err != nil {
		return err
	}
	if z.key != nil {
		return c.Errorf("%s \"%s\" is already bound to key \"%s\"", c.Name, name, z.key.Source())
	}
	z.key = key
	return nil
}

// setLimit is "limit_conn" (ngx_http_limit_conn).
func setLimit(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	z, err := zoneNamed(c, c.Arg(0), 0)
	if err != nil {
		return err
	}
	for _, l := range lc.limits {
		if l.z == z {
			return conf.ErrDuplicate
		}
	}
	n, ok := conf.Atoi(c.Arg(1))
	if !ok || n <= 0 {
		return c.Errorf("invalid number of connections \"%s\"", c.Arg(1))
	}
	if n > 65535 {
		return c.Errorf("connection limit must be less 65536")
	}
	if lc.limits == nil {
		lc.limits = []limit{}
	}
	lc.limits = append(lc.limits, limit{z: z, conn: int(n)})
	return nil
}

// setStatus is "limit_conn_status": a number from 400 to 599
// (ngx_conf_set_num_slot with bounds).
func setStatus(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.status.IsSet() {
		return conf.ErrDuplicate
	}
	n, ok := conf.Atoi(c.Arg(0))
	if !ok || n > 1<<31-1 {
		return fmt.Errorf("invalid number")
	}
	if err := conf.CheckBounds(c, n, 400, 599); err != nil {
		return err
	}
	lc.status.Set(int(n))
	return nil
}

// registry keeps the zones of a running server across reloads (see
// shmzone.Registry).
var registry shmzone.Registry[*published]

// published is a zone of the last configuration loaded.
type published struct {
	size int64
	key  string // the key's text, for the check on reload
	st   *store
}

// initMain checks the zones once the http block is read and gives each its
// state: the one of the configuration before when the zone's name and size
// are the same (then the key must be too), else a new one
// (ngx_init_cycle's shared memory pass with ngx_http_limit_conn_init_zone).
func initMain(cf *httpd.Config, main any) error {
	m := main.(*MainConf)
	var files *errlog.Files
	var log *errlog.Log
	if cf.Cycle != nil {
		files, log = cf.Cycle.Files, cf.Cycle.Log
	}
	prev := registry.Previous(files)
	next := make(map[string]*published, len(m.order))
	for _, z := range m.order {
		if z.size == 0 {
			return &conf.Error{NoPos: true, Msg: fmt.Sprintf("zero size shared memory zone \"%s\"", z.name)}
		}
		z.log = log
		if p := prev[z.name]; p != nil && p.size == z.size {
			if p.key != z.key.Source() {
				return &conf.Error{NoPos: true, Msg: fmt.Sprintf("limit_conn_zone \"%s\" uses the \"%s\" key while previously it used the \"%s\" key",
					z.name, z.key.Source(), p.key)}
			}
			z.st = p.st
		} else {
			z.st = newStore(z.size, z.name)
		}
		next[z.name] = &published{size: z.size, key: z.key.Source(), st: z.st}
	}
	registry.Publish(files, next)
	return nil
}

// Names of $limit_conn_status, by the value of Request.LimitConn.
var statusNames = [...]string{"", "PASSED", "REJECTED", "REJECTED_DRY_RUN"}

// The values of Request.LimitConn (nginx's NGX_HTTP_LIMIT_CONN_*).
const (
	statusPassed = iota + 1
	statusRejected
	statusRejectedDryRun
)

// statusVariable is $limit_conn_status: not found until a limit had a key.
func statusVariable(r *httpd.Request, _ string, _ int) (string, bool) {
	s := r.Main.LimitConn
	if s == 0 || int(s) >= len(statusNames) {
		return "", false
	}
	return statusNames[s], true
}
