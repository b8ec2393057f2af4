package fastcgi

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/modules/internal/cgiup"
)

// setPass is the fastcgi_pass directive (ngx_http_fastcgi_pass): an
// address, an upstream{} group, unix:, or a value with variables evaluated
// per request (cgiup.Pass, shared with scgi and uwsgi; fastcgi_pass takes
// no scheme).
func setPass(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.pass != nil {
		return conf.ErrDuplicate
	}
	p, err := cgiup.ParsePass(c, handler, "fastcgi://")
	if err != nil {
		return err
	}
	lc.pass = p
	cf := httpd.ConfigOf(c)
	cf.MainConf(&self).(*mainConf).cores.Add(httpd.CoreLocOf(c))
	return nil
}
