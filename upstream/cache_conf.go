package upstream

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/cache"
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// CacheConf is a location's response cache configuration (the cache part
// of ngx_http_upstream_conf_t): which zone, the key, what is stored and
// for how long, when the cache is bypassed, stale answers, the lock.
// Modules get its directives with CacheDirectives; Conf.Merge merges it.
type CacheConf struct {
	// zone is the cache zone (nil: off); zoneValue a zone name with
	// variables; zoneName the name given, checked at merge.
	zone      *cache.Zone
	zoneValue *httpd.Complex
	zoneName  string
	cacheSet  bool
	off       bool

	Key            conf.Val[*httpd.Complex]
	Valid          conf.List[CacheValid]
	Methods        conf.Val[uint32]
	MinUses        conf.Num
	MaxRangeOffset conf.Size
	Bypass         conf.List[*httpd.Complex]
	NoCache        conf.List[*httpd.Complex]
	UseStale       conf.Val[uint32]
	Lock           conf.Flag
	LockTimeout    conf.Msec
	LockAge        conf.Msec
	Revalidate     conf.Flag
	ConvertHead    conf.Flag
	Background     conf.Flag

	// prefix is the directive prefix ("proxy_") for messages.
	prefix string
}

// CacheValid is one proxy_cache_valid rule: Status 0 is "any".
type CacheValid struct {
	Status int
	Valid  time.Duration
}

// Enabled reports whether the location caches responses.
func (c *CacheConf) Enabled() bool { return c.zone != nil || c.zoneValue != nil }

// maxOff is nginx's NGX_MAX_OFF_T_VALUE (no max range offset).
const maxOff = int64(^uint64(0) >> 1)

// merge is the cache part of the module's merge_loc_conf.
func (c *CacheConf) merge(cf *httpd.Config, p *CacheConf, prefix string) error {
	c.prefix = prefix
	if !c.cacheSet {
		c.zone, c.zoneValue, c.zoneName, c.off = p.zone, p.zoneValue, p.zoneName, p.off
		c.cacheSet = p.cacheSet
	}
	if c.zoneName != "" && c.zone == nil && c.zoneValue == nil {
		z := zonesOf(cf).find(prefix, c.zoneName)
		if z == nil {
			return fmt.Errorf("\"%scache\" zone \"%s\" is unknown", prefix, c.zoneName)
		}
		c.zone = z
	}
	c.MinUses.Inherit(p.MinUses, 1)
	c.MaxRangeOffset.Inherit(p.MaxRangeOffset, maxOff)
	c.UseStale.Inherit(p.UseStale, FtOff)
	if c.UseStale.Get()&FtOff != 0 {
		c.UseStale.Set(FtOff)
	}
	if c.UseStale.Get()&FtError != 0 {
		c.UseStale.Set(c.UseStale.Get() | FtNoLive)
	}
	c.Methods.Inherit(p.Methods, 0)
	c.Methods.Set(c.Methods.Get() | httpd.MethodGET | httpd.MethodHEAD)
	c.Bypass.Inherit(p.Bypass, nil)
	c.NoCache.Inherit(p.NoCache, nil)
	c.Valid.Inherit(p.Valid, nil)
	c.Key.Inherit(p.Key, nil)
	c.Lock.Inherit(p.Lock, false)
	c.LockTimeout.Inherit(p.LockTimeout, 5*time.Second)
	c.LockAge.Inherit(p.LockAge, 5*time.Second)
	c.Revalidate.Inherit(p.Revalidate, false)
	c.ConvertHead.Inherit(p.ConvertHead, true)
	c.Background.Inherit(p.Background, false)
	return nil
}

// validFor returns how long a response with status stays fresh by the
// proxy_cache_valid rules (ngx_http_file_cache_valid); 0 is not at all.
func (c *CacheConf) validFor(status int) time.Duration {
	for _, v := range c.Valid.Get() {
		if v.Status == 0 || v.Status == status {
			return v.Valid
		}
	}
	return 0
}

// CacheMethodMasks are the names of cache_methods' values.
var CacheMethodMasks = conf.Enum[uint32]{
	{"GET", httpd.MethodGET}, {"HEAD", httpd.MethodHEAD}, {"POST", httpd.MethodPOST},
}

// CacheUseStaleMasks are the names of cache_use_stale's values.
var CacheUseStaleMasks = conf.Enum[uint32]{
	{"error", FtError}, {"timeout", FtTimeout}, {"invalid_header", FtInvalidHeader},
	{"updating", FtUpdating}, {"http_500", FtHTTP500}, {"http_502", FtHTTP502},
	{"http_503", FtHTTP503}, {"http_504", FtHTTP504}, {"http_403", FtHTTP403},
	{"http_404", FtHTTP404}, {"http_429", FtHTTP429}, {"off", FtOff},
}

// CacheDirectives returns the cache directive family for a module: prefix
// "proxy_" gives proxy_cache_path, proxy_cache, proxy_cache_key,
// proxy_cache_valid, ..., proxy_no_cache. acc returns the module's *Conf
// from its location conf.
func CacheDirectives[C any](prefix string, acc func(*C) *Conf) []conf.Directive {
	msl := conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc
	cc := func(c *C) *CacheConf { return &acc(c).Cache }
	fl := func(f func(*CacheConf) *conf.Flag) func(*conf.Cmd) error {
		return conf.SetFlag(func(c *C) *conf.Flag { return f(cc(c)) })
	}
	ms := func(f func(*CacheConf) *conf.Msec) func(*conf.Cmd) error {
		return conf.SetMsec(func(c *C) *conf.Msec { return f(cc(c)) })
	}
	d := func(name string, ctx conf.Context, args conf.Arity, set func(*conf.Cmd) error, syntax, def, doc string) conf.Directive {
		out := conf.Directive{Name: prefix + name, Context: ctx, Args: args, Set: set,
			Syntax: prefix + name + " " + syntax + ";", Doc: doc}
		if def != "" {
			out.Default = prefix + name + " " + def + ";"
		}
		return out
	}
	return []conf.Directive{
		d("cache_path", conf.HTTPMain, conf.TwoMore, setCachePath(prefix),
			"path [levels=levels] [use_temp_path=on|off] keys_zone=name:size [inactive=time] [max_size=size] [min_free=size] [manager_files=number] [manager_sleep=time] [manager_threshold=time] [loader_files=number] [loader_sleep=time] [loader_threshold=time]",
			"", "Sets the path and other parameters of a cache: files named by the MD5 of the cache key under the levels layout, a keys zone indexing them."),
		d("cache", msl, conf.Take1, setCache(acc), "zone | off", "off", "Defines a shared memory zone used for caching."),
		d("cache_key", msl, conf.Take1, setCacheKey(cc), "string", "$scheme$proxy_host$request_uri", "Defines a key for caching."),
		d("cache_valid", msl, conf.OneMore, setCacheValid(cc), "[code ...] time", "", "Sets caching time for different response codes."),
		d("cache_methods", msl, conf.OneMore, conf.SetBitmask(CacheMethodMasks, func(c *C) *conf.Val[uint32] { return &cc(c).Methods }),
			"GET | HEAD | POST ...", "GET HEAD", "If the client request method is listed in this directive then the response will be cached."),
		d("cache_min_uses", msl, conf.Take1, conf.SetNum(func(c *C) *conf.Num { return &cc(c).MinUses }), "number", "1",
			"Sets the number of requests after which the response will be cached."),
		d("cache_max_range_offset", msl, conf.Take1, conf.SetOffset(func(c *C) *conf.Size { return &cc(c).MaxRangeOffset }), "number", "",
			"Sets an offset in bytes for byte-range requests; a range beyond it goes to the proxied server and the response is not cached."),
		d("cache_bypass", msl, conf.OneMore, setPredicates(func(c *C) *conf.List[*httpd.Complex] { return &cc(c).Bypass }), "string ...", "",
			"Defines conditions under which the response will not be taken from a cache."),
		d("no_cache", msl, conf.OneMore, setPredicates(func(c *C) *conf.List[*httpd.Complex] { return &cc(c).NoCache }), "string ...", "",
			"Defines conditions under which the response will not be saved to a cache."),
		d("cache_use_stale", msl, conf.OneMore, conf.SetBitmask(CacheUseStaleMasks, func(c *C) *conf.Val[uint32] { return &cc(c).UseStale }),
			"error | timeout | invalid_header | updating | http_500 | http_502 | http_503 | http_504 | http_403 | http_404 | http_429 | off ...", "off",
			"Determines in which cases a stale cached response can be used."),
		d("cache_lock", msl, conf.FlagArg, fl(func(u *CacheConf) *conf.Flag { return &u.Lock }), "on | off", "off",
			"Only one request at a time populates a new cache element; others wait for it or for the lock timeout."),
		d("cache_lock_timeout", msl, conf.Take1, ms(func(u *CacheConf) *conf.Msec { return &u.LockTimeout }), "time", "5s",
			"Sets a timeout for proxy_cache_lock."),
		d("cache_lock_age", msl, conf.Take1, ms(func(u *CacheConf) *conf.Msec { return &u.LockAge }), "time", "5s",
			"If the last request passed to the proxied server for populating a new cache element has not completed for the specified time, one more request may be passed."),
		d("cache_revalidate", msl, conf.FlagArg, fl(func(u *CacheConf) *conf.Flag { return &u.Revalidate }), "on | off", "off",
			"Enables revalidation of expired cache items using conditional requests with If-Modified-Since and If-None-Match."),
		d("cache_convert_head", msl, conf.FlagArg, fl(func(u *CacheConf) *conf.Flag { return &u.ConvertHead }), "on | off", "on",
			"Enables or disables the conversion of the HEAD method to GET for caching."),
		d("cache_background_update", msl, conf.FlagArg, fl(func(u *CacheConf) *conf.Flag { return &u.Background }), "on | off", "off",
			"Allows starting a background subrequest to update an expired cache item while a stale cached response is returned."),
	}
}

func setCache[C any](acc func(*C) *Conf) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		uc := acc(c.Conf.(*C))
		u := &uc.Cache
		if u.cacheSet {
			return conf.ErrDuplicate
		}
		if c.Arg(0) != "off" && uc.Store.IsSet() && uc.Store.Get() != nil {
			// nginx: the store and the cache exclude each other
			return fmt.Errorf("is incompatible with \"%sstore\"", strings.TrimSuffix(c.Name, "cache"))
		}
		u.cacheSet = true
		if c.Arg(0) == "off" {
			u.off = true
			return nil
		}
		if strings.Contains(c.Arg(0), "$") {
			x, err := httpd.ConfigOf(c).Compile(c, c.Arg(0))
			if err != nil {
				return err
			}
			u.zoneValue = x
			return nil
		}
		u.zoneName = c.Arg(0)
		return nil
	}
}

func setCacheKey[C any](cc func(*C) *CacheConf) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		u := cc(c.Conf.(*C))
		if u.Key.IsSet() {
			return conf.ErrDuplicate
		}
		x, err := httpd.ConfigOf(c).Compile(c, c.Arg(0))
		if err != nil {
			return err
		}
		u.Key.Set(x)
		return nil
	}
}

func setPredicates[C any](get func(*C) *conf.List[*httpd.Complex]) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		l := get(c.Conf.(*C))
		for _, a := range c.Args {
			x, err := httpd.ConfigOf(c).Compile(c, a)
			if err != nil {
				return err
			}
			conf.Append(l, x)
		}
		return nil
	}
}

// setCacheValid is cache_valid (ngx_http_file_cache_valid_set_slot).
func setCacheValid[C any](cc func(*C) *CacheConf) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		u := cc(c.Conf.(*C))
		last := c.Arg(len(c.Args) - 1)
		sec, ok := conf.ParseTime(last, true)
		if !ok {
			return c.Errorf("invalid time value \"%s\"", last)
		}
		valid := time.Duration(sec) * time.Second
		codes := c.Args[:len(c.Args)-1]
		if len(codes) == 0 {
			for _, s := range []int{200, 301, 302} {
				conf.Append(&u.Valid, CacheValid{Status: s, Valid: valid})
			}
			return nil
		}
		for _, a := range codes {
			if a == "any" {
				conf.Append(&u.Valid, CacheValid{Status: 0, Valid: valid})
				continue
			}
			n, err := strconv.Atoi(a)
			if err != nil || n < 200 || n > 599 {
				return c.Errorf("invalid status \"%s\"", a)
			}
			conf.Append(&u.Valid, CacheValid{Status: n, Valid: valid})
		}
		return nil
	}
}

// setCachePath is cache_path (ngx_http_file_cache_set_slot).
func setCachePath(prefix string) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		spec := cache.Spec{Dir: c.Loader.FullName(c.Arg(0), false), UseTempPath: true,
			Inactive: 10 * time.Minute, ManagerFiles: 100, ManagerSleep: 50 * time.Millisecond,
			ManagerThreshold: 200 * time.Millisecond, LoaderFiles: 100,
			LoaderSleep: 50 * time.Millisecond, LoaderThreshold: 200 * time.Millisecond}
		spec.Dir = strings.TrimSuffix(spec.Dir, "/")
		msec := func(v string) (time.Duration, bool) { return conf.ParseMsec(v) }
		for _, a := range c.Args[1:] {
			name, v, _ := strings.Cut(a, "=")
			bad := func() error { return c.Errorf("invalid %s value \"%s\"", name, a) }
			switch name {
			case "levels":
				if v == "" {
					return c.Errorf("invalid \"levels\" \"%s\"", a)
				}
				levels := strings.Split(v, ":")
				if len(levels) > 3 {
					return c.Errorf("invalid \"levels\" \"%s\"", a)
				}
				spec.Levels = nil
				for _, l := range levels {
					if l != "1" && l != "2" {
						return c.Errorf("invalid \"levels\" \"%s\"", a)
					}
					spec.Levels = append(spec.Levels, int(l[0]-'0'))
				}
			case "use_temp_path":
				switch v {
				case "on":
					spec.UseTempPath = true
				case "off":
					spec.UseTempPath = false
				default:
					return c.Errorf("invalid use_temp_path value \"%s\", it must be \"on\" or \"off\"", v)
				}
			case "keys_zone":
				zn, size, ok := strings.Cut(v, ":")
				if !ok || zn == "" {
					return c.Errorf("invalid keys zone size \"%s\"", a)
				}
				n, ok := conf.ParseSize(size)
				if !ok {
					return c.Errorf("invalid keys zone size \"%s\"", a)
				}
				if n < 8*4096 {
					return c.Errorf("zone \"%s\" is too small", zn)
				}
				spec.Name, spec.KeysSize = zn, n
			case "inactive":
				d, ok := conf.ParseTime(v, true)
				if !ok {
					return c.Errorf("invalid inactive value \"%s\"", a)
				}
				spec.Inactive = time.Duration(d) * time.Second
			case "max_size", "min_free":
				n, ok := conf.ParseOffset(v)
				if !ok {
					return c.Errorf("invalid %s value \"%s\"", name, a)
				}
				if name == "max_size" {
					spec.MaxSize = n
				} else {
					spec.MinFree = n
				}
			case "manager_files", "loader_files":
				n, ok := conf.Atoi(v)
				if !ok || n <= 0 {
					return bad()
				}
				if name == "manager_files" {
					spec.ManagerFiles = int(n)
				} else {
					spec.LoaderFiles = int(n)
				}
			case "manager_sleep", "manager_threshold", "loader_sleep", "loader_threshold":
				d, ok := msec(v)
				if !ok {
					return bad()
				}
				switch name {
				case "manager_sleep":
					spec.ManagerSleep = d
				case "manager_threshold":
					spec.ManagerThreshold = d
				case "loader_sleep":
					spec.LoaderSleep = d
				default:
					spec.LoaderThreshold = d
				}
			default:
				return c.Errorf("invalid parameter \"%s\"", a)
			}
		}
		if spec.Name == "" {
			return c.Errorf("\"%s\" must have \"keys_zone\" parameter", c.Name)
		}
		zs := zonesOf(httpd.ConfigOf(c))
		if zs.find(prefix, spec.Name) != nil {
			return c.Errorf("duplicate zone \"%s\"", spec.Name)
		}
		for _, z := range zs.list {
			if z.zone.Spec().Dir == spec.Dir {
				return c.Errorf("duplicate cache path \"%s\"", spec.Dir)
			}
		}
		zs.list = append(zs.list, cacheZone{prefix: prefix, zone: cache.Get(spec)})
		return nil
	}
}
