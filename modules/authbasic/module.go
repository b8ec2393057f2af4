package authbasic

import (
	"errors"
	"os"
	"strings"
	"syscall"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// self is the module's identity for conf lookups (see httpd.Handle).
var self httpd.Handle

const contexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc | conf.HTTPLmt

// Module is the auth_basic HTTP module (ngx_http_auth_basic_module).
var Module = &httpd.Module{
	Name:   "auth_basic",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "auth_basic", Context: contexts, Args: conf.Take1, Set: setRealm,
			Syntax: "auth_basic string | off;", Default: "auth_basic off;",
			Doc: "Checks the user name and password of HTTP Basic authentication against auth_basic_user_file, " +
				"answering 401 with \"WWW-Authenticate: Basic realm=\"string\"\" (the string as it is, variables allowed); " +
				"off (also as a variable's value) turns the check off."},
		{Name: "auth_basic_user_file", Context: contexts, Args: conf.Take1, Set: setUserFile,
			Syntax: "auth_basic_user_file file;",
			Doc: "The password file, read at each request: \"name:password[:comment]\" lines, \"#\" comments; " +
				"the password in a scheme of nginx or Debian's crypt(3) (see above). Relative to the configuration's directory; variables allowed."},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		p, c := parent.(*LocConf), child.(*LocConf)
		if c.realm == nil {
			c.realm = p.realm
		}
		if c.userFile == nil {
			c.userFile, c.confPrefix = p.userFile, p.confPrefix
		}
		return nil
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHandler(httpd.Access, handler)
		return nil
	},
}

// LocConf is the auth_basic settings of one level; nil inherits.
type LocConf struct {
	realm    *httpd.Complex
	userFile *httpd.Complex
	// confPrefix makes a relative user file absolute
	confPrefix string
}

// setRealm is "auth_basic" (ngx_http_set_complex_value_slot).
func setRealm(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.realm != nil {
		return conf.ErrDuplicate
	}
	x, err := httpd.ConfigOf(c).Compile(c, c.Arg(0))
	if err != nil {
		return err
	}
	lc.realm = x
	return nil
}

// setUserFile is "auth_basic_user_file" (ngx_http_auth_basic_user_file):
// a relative name is relative to the configuration's directory (nginx
// makes a name without variables absolute at once, one with variables at
// each request: the same).
func setUserFile(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.userFile != nil {
		return conf.ErrDuplicate
	}
	cf := httpd.ConfigOf(c)
	x, err := cf.Compile(c, c.Arg(0))
	if err != nil {
		return err
	}
	lc.userFile = x
	lc.confPrefix = cf.Cycle.ConfPrefix
	return nil
}

// handler checks the request's Basic credentials against the user file
// (ngx_http_auth_basic_handler).
func handler(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil || lc.realm == nil || lc.userFile == nil {
		return httpd.Declined
	}
	realm := lc.realm.Eval(r)
	if realm == "off" {
		return httpd.Declined
	}
	user, passwd, ok := r.BasicUser()
	if !ok {
		r.Log().Logf(errlog.Info, r, nil, "no user/password was provided for basic authentication")
		return unauthorized(r, realm)
	}

	name := lc.userFile.Eval(r)
	if !strings.HasPrefix(name, "/") {
		name = lc.confPrefix + name
	}
	// nginx's value is a C string
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	f, err := os.Open(name)
	if err != nil {
		errno := unwrapPath(err)
		if errors.Is(errno, syscall.ENOENT) {
			r.Log().Logf(errlog.Error, r, errno, "open() \"%s\" failed", name)
			return 403
		}
		r.Log().Logf(errlog.Crit, r, errno, "open() \"%s\" failed", name)
		return 500
	}
	defer f.Close()

	buf := bufPool.Get().(*[bufSize]byte)
	defer func() {
		clear(buf[:])
		bufPool.Put(buf)
	}()
	hash, found, err := lookup(f, user, buf)
	if err != nil {
		r.Log().Logf(errlog.Crit, r, unwrapPath(err), "pread() \"%s\" failed", name)
		return 500
	}
	if !found {
		r.Log().Logf(errlog.Error, r, nil, "user \"%s\" was not found in \"%s\"", user, name)
		return unauthorized(r, realm)
	}
	match, err := verify([]byte(passwd), hash)
	if err != nil {
		r.Log().Logf(errlog.Crit, r, nil, "user \"%s\": password scheme of \"%s\" is not supported", user, schemeOf(hash))
		return 500
	}
	if match {
		return httpd.OK
	}
	r.Log().Logf(errlog.Error, r, nil, "user \"%s\": password mismatch", user)
	return unauthorized(r, realm)
}

// schemeOf names a hash's scheme for the log: its "$id$" or first
// character.
func schemeOf(h []byte) string {
	s := string(h)
	if strings.HasPrefix(s, "$") {
		if i := strings.IndexAny(s[1:], "$,"); i >= 0 {
			return s[:i+2]
		}
	}
	return s[:min(1, len(s))]
}

// unauthorized answers 401 with the realm
// (ngx_http_auth_basic_set_realm): the realm goes in as it is, quotes
// and all, as nginx does.
func unauthorized(r *httpd.Request, realm string) httpd.Status {
	r.Out.WWWAuthenticate = r.Out.Add("WWW-Authenticate", "Basic realm=\""+realm+"\"")
	return 401
}

// unwrapPath returns the errno beneath an *os.PathError.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
