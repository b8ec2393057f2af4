package memcached

import (
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

// setPass is memcached_pass: it chooses the target, installs the content
// handler (clcf->handler) and looks up $memcached_key.
func setPass(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.pass.IsSet() {
		return conf.ErrDuplicate
	}
	t, err := passTarget(c, c.Arg(0))
	if err != nil {
		return err
	}
	lc.pass.Set(c.Arg(0))
	lc.target = t

	clcf := httpd.CoreLocOf(c)
	clcf.Handler = handler
	if l := clcf.Loc(); l != nil && strings.HasSuffix(l.Name, "/") {
		l.AutoRedirect = true
	}
	lc.keyIndex = httpd.ConfigOf(c).VariableIndex("memcached_key")
	lc.keySet = true
	return nil
}

// handler is the content handler (ngx_http_memcached_handler).
func handler(r *httpd.Request) httpd.Status {
	if r.MethodBit&(httpd.MethodGET|httpd.MethodHEAD) == 0 {
		return 405
	}
	if st := r.DiscardRequestBody(); st != httpd.OK {
		return st
	}
	lc := httpd.LocConf[LocConf](r, &self)
	r.SetContentType()

	// nginx reads the key in create_request; reading it here keeps the
	// framework from adding a second log line to nginx's one.
	key, ok := r.Var(lc.keyIndex)
	if !ok || key == "" {
		r.Log().Logf(errlog.Error, r, nil, "the \"$memcached_key\" variable is not set")
		return 500
	}
	p := newProtocol(key, uint64(lc.GzipFlag.Get()))
	st := upstream.Run(r, &lc.Upstream, lc.target, p)
	p.free() // Run is over with it: nothing runs in the background
	return st
}
