package limitreq

import (
	"math"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/shmzone"
)

// self is the module's identity for conf lookups (see httpd.Handle).
var self httpd.Handle

const contexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Module is the limit_req HTTP module (ngx_http_limit_req_module).
var Module = &httpd.Module{
	Name:   "limit_req",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "limit_req_zone", Context: conf.HTTPMain, Args: conf.Take3, Level: httpd.MainLevel, Set: setZone,
			Syntax: "limit_req_zone key zone=name:size rate=rate;",
			Doc: "Declares a zone keeping, per value of the key, the excess of requests over the rate (r/s or r/m); " +
				"an empty key is not limited. The size bounds the number of keys as nginx's slab allocator does (see above)."},
		{Name: "limit_req", Context: contexts, Args: conf.Take123, Set: setLimit,
			Syntax: "limit_req zone=name [burst=number] [nodelay | delay=number];",
			Doc: "Limits the requests per key of the zone: excess requests up to burst are delayed (beyond delay, " +
				"none with nodelay), further ones rejected with limit_req_status."},
		{Name: "limit_req_log_level", Context: contexts, Args: conf.Take1,
			Set:    conf.SetEnum(shmzone.LogLevels, func(c *LocConf) *conf.Val[errlog.Level] { return &c.logLevel }),
			Syntax: "limit_req_log_level info | notice | warn | error;", Default: "limit_req_log_level error;",
			Doc: "The level of the rejections' log lines; delays are logged one level lower (info stays info)."},
		{Name: "limit_req_status", Context: contexts, Args: conf.Take1,
			Set:    shmzone.SetStatus(func(c *LocConf) *conf.Num { return &c.status }),
			Syntax: "limit_req_status code;", Default: "limit_req_status 503;",
			Doc: "The status of rejected requests (400 to 599)."},
		{Name: "limit_req_dry_run", Context: contexts, Args: conf.FlagArg,
			Set:    conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.dryRun }),
			Syntax: "limit_req_dry_run on | off;", Default: "limit_req_dry_run off;",
			Doc: "With on, requests are accounted and logged but neither delayed nor rejected ($limit_req_status says what would have happened)."},
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
		c.delayLevel = c.logLevel.Get() + 1
		if c.logLevel.Get() == errlog.Info {
			c.delayLevel = errlog.Info
		}
		c.status.Inherit(p.status, 503)
		c.dryRun.Inherit(p.dryRun, false)
		return nil
	},
	Preconfiguration: func(cf *httpd.Config) error {
		_, err := cf.AddVariable(&httpd.Variable{Name: "limit_req_status", Get: statusVariable, Flags: httpd.VarNoCacheable})
		return err
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHandler(httpd.Preaccess, handler)
		return nil
	},
}

// MainConf is the zones of an http block (declared by limit_req_zone or
// named by a limit_req).
type MainConf struct {
	zones shmzone.Zones[*store, zoneConf]
}

// zone is one zone of a configuration (nginx's shared memory zone with
// its ngx_http_limit_req_ctx_t); the state is in its St.
type zone = shmzone.Zone[*store, zoneConf]

// zoneConf is what limit_req_zone sets besides the key.
type zoneConf struct {
	// rate is in milli-requests per second
	rate int64
}

// LocConf is the limit_req settings of one level.
type LocConf struct {
	// limits is nil on a level without limit_req (it inherits)
	limits []limit
	// logLevel is the rejections' level, delayLevel the delays' (one
	// lower, computed at merge)
	logLevel   conf.Val[errlog.Level]
	delayLevel errlog.Level
	status     conf.Num
	dryRun     conf.Flag
}

// limit is one limit_req: burst and delay in milli-requests.
type limit struct {
	z            *zone
	burst, delay int64
}

// zones is the zones of the http block being read.
func zones(c *conf.Cmd) *shmzone.Zones[*store, zoneConf] {
	return &httpd.ConfigOf(c).MainConf(&self).(*MainConf).zones
}

// setZone is "limit_req_zone" (ngx_http_limit_req_zone).
func setZone(c *conf.Cmd) error {
	rate, scale := int64(1), int64(1)
	z, err := zones(c).Declare(c, func(a string) error {
		v, ok := strings.CutPrefix(a, "rate=")
		if !ok {
			return c.Errorf("invalid parameter \"%s\"", a)
		}
		if r, ok := strings.CutSuffix(v, "r/s"); ok {
			v, scale = r, 1
		} else if r, ok := strings.CutSuffix(v, "r/m"); ok {
			v, scale = r, 60
		}
		n, ok := conf.Atoi(v)
		if !ok || n == 0 {
			return c.Errorf("invalid rate \"%s\"", a)
		}
		rate = n
		return nil
	})
	if err != nil {
		return err
	}
	z.Conf.rate = mulDiv(rate, 1000, scale)
	return nil
}

// setLimit is "limit_req" (ngx_http_limit_req).
func setLimit(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	var z *zone
	var burst, delay int64
	for _, a := range c.Args {
		switch {
		case strings.HasPrefix(a, "zone="):
			var err error
			if z, err = zones(c).Named(c, a[len("zone="):], 0); err != nil {
				return err
			}
		case strings.HasPrefix(a, "burst="):
			n, ok := conf.Atoi(a[len("burst="):])
			if !ok || n == 0 {
				return c.Errorf("invalid burst value \"%s\"", a)
			}
			burst = n
		case strings.HasPrefix(a, "delay="):
			n, ok := conf.Atoi(a[len("delay="):])
			if !ok || n == 0 {
				return c.Errorf("invalid delay value \"%s\"", a)
			}
			delay = n
		case a == "nodelay":
			delay = math.MaxInt64 / 1000
		default:
			return c.Errorf("invalid parameter \"%s\"", a)
		}
	}
	if z == nil {
		return c.Errorf("\"%s\" must have \"zone\" parameter", c.Name)
	}
	for _, l := range lc.limits {
		if l.z == z {
			return conf.ErrDuplicate
		}
	}
	lc.limits = append(lc.limits, limit{z: z, burst: mulDiv(burst, 1000, 1), delay: mulDiv(delay, 1000, 1)})
	return nil
}

// registry keeps the zones of a running server across reloads (see
// shmzone.Registry).
var registry shmzone.Registry[*shmzone.Published[*store]]

// initMain gives the zones their state once the http block is read (see
// shmzone.Zones.Init; ngx_http_limit_req_init_zone).
func initMain(cf *httpd.Config, main any) error {
	return main.(*MainConf).zones.Init(cf, &registry, "limit_req", newStore)
}

// Names of $limit_req_status, by the value of Request.LimitReq.
var statusNames = [...]string{"", "PASSED", "DELAYED", "REJECTED", "DELAYED_DRY_RUN", "REJECTED_DRY_RUN"}

// The values of Request.LimitReq (nginx's NGX_HTTP_LIMIT_REQ_*).
const (
	statusPassed = iota + 1
	statusDelayed
	statusRejected
	statusDelayedDryRun
	statusRejectedDryRun
)

// statusVariable is $limit_req_status: not found until limit_req decided.
func statusVariable(r *httpd.Request, _ string, _ int) (string, bool) {
	s := r.Main.LimitReq
	if s == 0 || int(s) >= len(statusNames) {
		return "", false
	}
	return statusNames[s], true
}
