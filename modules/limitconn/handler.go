package limitconn

import (
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// held is one count a request holds: the zone's store and the key's node.
type held struct {
	st *store
	nd *node
}

// handler counts the request in each of the location's limits, in the
// preaccess phase (ngx_http_limit_conn_handler). A request is counted
// once: when its main request has a $limit_conn_status, its internal
// redirects and subrequests pass. The counts are held until the main
// request is freed (a cleanup, as nginx's pool cleanup); a rejection
// releases those this request took before it.
func handler(r *httpd.Request) httpd.Status {
	main := r.Main
	if main.LimitConn != 0 {
		return httpd.Declined
	}
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil || len(lc.limits) == 0 {
		return httpd.Declined
	}
	var small [4]held
	taken := small[:0]
	for i := range lc.limits {
		l := &lc.limits[i]
		key := l.z.Key.Eval(r)
		if key == "" {
			continue
		}
		if len(key) > maxKey {
			r.Log().Logf(errlog.Error, r, nil, "the value of the \"%s\" key is more than 255 bytes: \"%s\"", l.z.Key.Source(), key)
			continue
		}
		main.LimitConn = statusPassed
		nd, rc := l.z.St.acquire(key, l.conn)
		if rc != acquired {
			if rc == noMemory {
				// nginx's slab allocator's own line (limit_conn leaves
				// log_nomem on)
				l.z.Log.Logf(errlog.Crit, nil, nil, "ngx_slab_alloc() failed: no memory in limit_conn_zone \"%s\"", l.z.Name)
			} else {
				r.Log().Logf(lc.logLevel.Get(), r, nil, "limiting connections%s by zone \"%s\"", dryRunNote(lc), l.z.Name)
			}
			for _, h := range taken {
				h.st.release(h.nd)
			}
			if lc.dryRun.Get() {
				main.LimitConn = statusRejectedDryRun
				return httpd.Declined
			}
			main.LimitConn = statusRejected
			return httpd.Status(lc.status.Get())
		}
		taken = append(taken, held{l.z.St, nd})
	}
	for _, h := range taken {
		r.AddCleanup(h.release)
	}
	return httpd.Declined
}

func (h held) release() { h.st.release(h.nd) }

func dryRunNote(lc *LocConf) string {
	if lc.dryRun.Get() {
		return ", dry run,"
	}
	return ""
}
