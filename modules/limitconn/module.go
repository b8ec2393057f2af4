package limitconn

import (
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
		{Name: "limit_conn_status", Context: contexts, Args: conf.Take1,
			Set:    shmzone.SetStatus(func(c *LocConf) *conf.Num { return &c.status }),
			Syntax: "limit_conn_status code;", Default: "limit_conn_status 503;",
			Doc: "The status of rejected requests (400 to 599)."},
		{Name: "limit_conn_dry_run", Context: contexts, Args: conf.FlagArg,
			Set:    conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.dryRun }),
			Syntax: "limit_conn_dry_run on | off;", Default: "limit_conn_dry_run off;",
			Doc: "With on, requests over the limit are logged but not rejected ($limit_conn_status says REJECTED_DRY_RUN)."},
	},
	CreateMain: func(*httpd.Config) any { return &MainConf{} },
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

// MainConf is the zones of an http block (declared by limit_conn_zone or
// named by a limit_conn).
type MainConf struct {
	zones shmzone.Zones[*store, struct{}]
}

// zone is one zone of a configuration (nginx's shared memory zone with
// its ngx_http_limit_conn_ctx_t); the counts are in its St.
type zone = shmzone.Zone[*store, struct{}]

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

// zones is the zones of the http block being read.
func zones(c *conf.Cmd) *shmzone.Zones[*store, struct{}] {
	return &httpd.ConfigOf(c).MainConf(&self).(*MainConf).zones
}

// setZone is "limit_conn_zone" (ngx_http_limit_conn_zone).
func setZone(c *conf.Cmd) error {
	_, err := zones(c).Declare(c, nil)
	return err
}

// setLimit is "limit_conn" (ngx_http_limit_conn).
func setLimit(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	z, err := zones(c).Named(c, c.Arg(0), 0)
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

// registry keeps the zones of a running server across reloads (see
// shmzone.Registry).
var registry shmzone.Registry[*shmzone.Published[*store]]

// initMain gives the zones their state once the http block is read (see
// shmzone.Zones.Init; ngx_http_limit_conn_init_zone).
func initMain(cf *httpd.Config, main any) error {
	return main.(*MainConf).zones.Init(cf, &registry, "limit_conn_zone", newStore)
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
