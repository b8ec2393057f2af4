package httpd

import (
	"strings"

	"github.com/sluicehq/sluice/conf"
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
	exact    map[string]*Server
	head     map[string]*Server // key: "example.com" for "*.example.com"
	headDot  map[string]*Server // key: "example.com" for ".example.com" (also matches itself)
	tail     map[string]*Server // key: "www.example" for "www.example.*"
	regexes  []*serverName
	anyWilds bool
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
		if strings.EqualFold(a, "$hostname") {
			sn.name = hostname()
		} else {
			sn.name = a
		}
		if a[0] != '~' {
			sn.name = strings.ToLower(sn.name)
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

func buildNames(cf *Config, a *addrConf) *nameTable {
	t := &nameTable{exact: map[string]*Server{}, head: map[string]*Server{}, headDot: map[string]*Server{}, tail: map[string]*Server{}}
	conflict := func(name string) {
		cf.Warnf("conflicting server name \"%s\" on %s, ignored", name, a.listen.addrText())
	}
	for _, s := range a.servers {
		for _, sn := range s.Names {
			switch {
			case sn.regex != nil:
				t.regexes = append(t.regexes, sn)
			case strings.HasPrefix(sn.name, "*."):
				k := sn.name[2:]
				if _, dup := t.head[k]; dup {
					conflict(sn.name)
					continue
				}
				t.head[k] = s
			case strings.HasPrefix(sn.name, "."):
				k := sn.name[1:]
				if _, dup := t.headDot[k]; dup {
					conflict(sn.name)
					continue
				}
				t.headDot[k] = s
			case strings.HasSuffix(sn.name, ".*"):
				k := sn.name[:len(sn.name)-2]
				if _, dup := t.tail[k]; dup {
					conflict(sn.name)
					continue
				}
				t.tail[k] = s
			default:
				if o, dup := t.exact[sn.name]; dup {
					if o != s {
						conflict(sn.name)
					}
					continue
				}
				t.exact[sn.name] = s
			}
		}
	}
	t.anyWilds = len(t.head)+len(t.headDot)+len(t.tail) > 0
	return t
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
	if s := t.exact[host]; s != nil {
		return s
	}
	if t.anyWilds {
		// the longest matching "*.suffix" / ".suffix" wins; ".example.com"
		// also matches "example.com" itself
		if s := t.headDot[host]; s != nil {
			return s
		}
		for i := 0; i < len(host); i++ {
			if host[i] != '.' {
				continue
			}
			suffix := host[i+1:]
			if s := t.head[suffix]; s != nil {
				return s
			}
			if s := t.headDot[suffix]; s != nil {
				return s
			}
		}
		for i := len(host) - 1; i > 0; i-- {
			if host[i] == '.' {
				if s := t.tail[host[:i]]; s != nil {
					return s
				}
			}
		}
	}
	return nil
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
