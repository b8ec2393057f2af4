package limitreq

import (
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// maxKey is the longest key accounted (nginx's nodes store its length in
// 16 bits).
const maxKey = 65535

// noKey is the handler's result before a lookup: no limit had a key
// (NGX_DECLINED).
const noKey = -1

// handler limits the request by each of the location's limits, in the
// preaccess phase (ngx_http_limit_req_handler). A request is limited once:
// when its main request has a $limit_req_status, its internal redirects
// and subrequests pass.
func handler(r *httpd.Request) httpd.Status {
	main := r.Main
	if main.LimitReq != 0 {
		return httpd.Declined
	}
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil || len(lc.limits) == 0 {
		return httpd.Declined
	}
	limits := lc.limits
	// the nodes held by the limits before the last, until accounted
	var small [4]*node
	held := small[:0]
	if len(limits) > len(small) {
		held = make([]*node, 0, len(limits))
	}
	held = held[:len(limits)]
	clear(held)

	now := msec()
	rc := noKey
	var excess int64
	var lim *limit
	n := 0
	for ; n < len(limits); n++ {
		lim = &limits[n]
		z := lim.z
		key := z.Key.Eval(r)
		if key == "" {
			continue
		}
		if len(key) > maxKey {
			r.Log().Logf(errlog.Error, r, nil, "the value of the \"%s\" key is more than 65535 bytes: \"%s\"", z.Key.Source(), key)
			continue
		}
		var nd *node
		rc, excess, nd = z.St.lookup(key, z.Conf.rate, lim.burst, now, n == len(limits)-1)
		held[n] = nd
		if rc == noMemory {
			z.Log.Logf(errlog.Alert, nil, nil, "could not allocate node in limit_req zone \"%s\"", z.Name)
		}
		if rc != heldNode {
			break
		}
	}
	if rc == noKey {
		return httpd.Declined
	}

	if rc == rejected || rc == noMemory {
		if rc == rejected {
			r.Log().Logf(lc.logLevel.Get(), r, nil, "limiting requests%s, excess: %d.%03d by zone \"%s\"",
				dryRunNote(lc), excess/1000, excess%1000, lim.z.Name)
		}
		release(limits, held, n)
		if lc.dryRun.Get() {
			main.LimitReq = statusRejectedDryRun
			return httpd.Declined
		}
		main.LimitReq = statusRejected
		return httpd.Status(lc.status.Get())
	}

	if rc == heldNode {
		// the last limit had no key: its excess does not count
		excess = 0
	}
	delay, excess, lim := account(limits, held, n, excess, lim, now)
	if delay == 0 {
		main.LimitReq = statusPassed
		return httpd.Declined
	}
	r.Log().Logf(lc.delayLevel, r, nil, "delaying request%s, excess: %d.%03d, by zone \"%s\"",
		dryRunNote(lc), excess/1000, excess%1000, lim.z.Name)
	if lc.dryRun.Get() {
		main.LimitReq = statusDelayedDryRun
		return httpd.Declined
	}
	main.LimitReq = statusDelayed
	return r.SleepWatching(time.Duration(delay) * time.Millisecond)
}

func dryRunNote(lc *LocConf) string {
	if lc.dryRun.Get() {
		return ", dry run"
	}
	return ""
}

// account accounts the request in the nodes held by the limits before n
// and returns the longest delay any limit asks for, with that limit and
// its excess; excess and lim come in as the last lookup's
// (ngx_http_limit_req_account). A limit delays by the time its rate takes
// to leak the excess beyond its delay.
func account(limits []limit, held []*node, n int, excess int64, lim *limit, now int64) (int64, int64, *limit) {
	var maxDelay int64
	if excess > lim.delay {
		maxDelay = mulDiv(excess-lim.delay, 1000, lim.z.Conf.rate)
	}
	for n--; n >= 0; n-- {
		nd := held[n]
		if nd == nil {
			continue
		}
		l := &limits[n]
		e := l.z.St.account(nd, l.z.Conf.rate, now)
		held[n] = nil
		if e <= l.delay {
			continue
		}
		if d := mulDiv(e-l.delay, 1000, l.z.Conf.rate); d > maxDelay {
			maxDelay, excess, lim = d, e, l
		}
	}
	return maxDelay, excess, lim
}

// release lets go of the nodes held by the limits before n
// (ngx_http_limit_req_unlock).
func release(limits []limit, held []*node, n int) {
	for n--; n >= 0; n-- {
		if held[n] != nil {
			limits[n].z.St.release(held[n])
			held[n] = nil
		}
	}
}
