package httpd

import (
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/hostmatch"
)

// serverName is one server_name entry.
type serverName struct {
	name  string
	regex *Regex
	srv   *Server
}

// nameTable chooses a server by host name among the servers of one
// address: exact names, then "*.example.com"/".example.com", then
// "www.example.*", then regexes in configuration order
// (ngx_hash_find_combined plus the regex list).
type nameTable struct {
	names   hostmatch.Table[*Server]
	regexes []*serverName
}

// setServerName is the "server_name" directive.
func setServerName(c *conf.Cmd) error {
	cf, s, _ := BlockOf(c)
	for _, a := range c.Args {
		if a == "" {
			s.Names = append(s.Names, &serverName{srv: s})
			continue
		}
		if (a[0] == '*' && (len(a) < 3 || a[1] != '.')) || (a[0] == '.' && len(a) < 2) {
			return c.Errorf("server name \"%s\" is invalid", a)
		}
		if strings.Contains(a, "/") {
			c.Warnf("server name \"%s\" has suspicious symbols", a)
		}
		sn := &serverName{srv: s}
		if ascii.EqualFold(a, "$hostname") {
			sn.name = hostname()
		} else {
			sn.name = a
		}
		if a[0] != '~' {
			sn.name = ascii.ToLower(sn.name)
			s.Names = append(s.Names, sn)
			continue
		}
		if len(a) == 1 {
			return c.Errorf("empty regex in server name \"%s\"", a)
		}
		pat := a[1:]
		caseless := strings.ContainsAny(pat, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
		re, err := cf.CompileRegex(c, pat, caseless)
		if err != nil {
			return err
		}
		sn.name, sn.regex = pat, re
		s.Names = append(s.Names, sn)
	}
	return nil
}

// buildNames builds an address's name table (ngx_http_server_names). As
// nginx, it checks the names only where it needs them: when several
// servers share the address, or the default server's last regex name has
// captures. A name another server (or the same one) took first is
// ignored with a warning; an invalid wildcard is an error.
func buildNames(cf *Config, a *addrConf) (*nameTable, error) {
	t := &nameTable{}
	captures := false
	for _, sn := range a.def.Names {
		if sn.regex != nil {
			// nginx's cscf->captures is set by each regex name in turn
			captures = sn.regex.Captures() > 0
		}
	}
	check := len(a.servers) > 1 || captures
	for _, s := range a.servers {
		for _, sn := range s.Names {
			if sn.regex != nil {
				t.regexes = append(t.regexes, sn)
				continue
			}
			switch err := t.names.Add(sn.name, s); {
			case err == nil || !check:
			case err == hostmatch.ErrInvalid:
				return nil, &conf.Error{NoPos: true, Msg: fmt.Sprintf("invalid server name or wildcard \"%s\" on %s", sn.name, a.listen.addrText())}
			default:
				cf.Warnf("conflicting server name \"%s\" on %s, ignored", sn.name, a.listen.addrText())
			}
		}
	}
	return t, nil
}

// find returns the server for a (lowercased, validated) host, or nil.
func (t *nameTable) find(r *Request, host string) *Server {
	if s := t.findNamed(host); s != nil {
		return s
	}
	if host != "" {
		for _, sn := range t.regexes {
			if r.RegexExec(sn.regex, host) {
				return sn.srv
			}
		}
	}
	return nil
}

// findSNI is find for a TLS handshake's server name, before any request:
// a regex matches without captures; the one that matched is returned so
// that the request whose Host is the same name can take its captures
// (ngx_http_find_virtual_server with r == NULL).
func (t *nameTable) findSNI(host string) (*Server, *Regex) {
	if s := t.findNamed(host); s != nil {
		return s, nil
	}
	for _, sn := range t.regexes {
		if sn.regex.re.MatchString(host) {
			return sn.srv, sn.regex
		}
	}
	return nil, nil
}

// findNamed looks host up among the exact and wildcard names.
func (t *nameTable) findNamed(host string) *Server {
	s, _ := t.names.Find(host)
	return s
}

// ServerName is one server_name entry: a lowercased name ("" for the empty
// name, "*.example.com", ".example.com", "www.example.*") or, for a "~"
// name, its regex (Name is then the pattern).
type ServerName struct {
	Name  string
	Regex *Regex
}

// ServerNames returns the server's server_name entries in order (the
// default "" when it has none, once merged).
func (s *Server) ServerNames() []ServerName {
	out := make([]ServerName, len(s.Names))
	for i, sn := range s.Names {
		out[i] = ServerName{Name: sn.name, Regex: sn.regex}
	}
	return out
}
