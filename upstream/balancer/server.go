package balancer

import (
	"fmt"
	"strings"
	"time"

	"github.com/sluicehq/sluice/conf"
)

// setServer is the "server" directive of an upstream block
// (ngx_http_upstream_server): parameters first, then the address.
func setServer(c *conf.Cmd) error {
	g := c.Conf.(*Group)
	s := &Server{Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second}
	for _, a := range c.Args[1:] {
		var need Flags
		var ok bool
		switch {
		case strings.HasPrefix(a, "weight="):
			need = FlagWeight
			s.Weight, ok = atoiParam(a[7:])
			ok = ok && s.Weight != 0
		case strings.HasPrefix(a, "max_conns="):
			need = FlagMaxConns
			s.MaxConns, ok = atoiParam(a[10:])
		case strings.HasPrefix(a, "max_fails="):
			need = FlagMaxFails
			s.MaxFails, ok = atoiParam(a[10:])
		case strings.HasPrefix(a, "fail_timeout="):
			need = FlagFailTimeout
			var n int64
			n, ok = conf.ParseTime(a[13:], true)
			s.FailTimeout = conf.Seconds(n)
		case a == "backup":
			need, ok = FlagBackup, true
			s.Backup = true
		case a == "down":
			need, ok = FlagDown, true
			s.Down = true
		case a == "resolve":
			ok = true
			s.Resolve = true
		case strings.HasPrefix(a, "service="):
			s.Service = a[8:]
			if s.Service == "" {
				return c.Errorf("service is empty")
			}
			ok = true
		}
		if need != 0 && g.flags&need == 0 {
			return c.Errorf("balancing method does not support parameter \"%s\"", a)
		}
		if !ok {
			return c.Errorf("invalid parameter \"%s\"", a)
		}
	}
	text := c.Arg(0)
	if s.Service != "" && !s.Resolve {
		return c.Errorf("service upstream \"%s\" requires \"resolve\" parameter", text)
	}
	u, err := ParseURL(text, URLOptions{DefaultPort: 80, NoResolve: s.Resolve})
	if err != nil {
		return c.Errorf("%s in upstream \"%s\"", err, text)
	}
	s.Name = text
	if s.Service != "" && !u.NoPort {
		return c.Errorf("service upstream \"%s\" may not have port", text)
	}
	if s.Service != "" && len(u.Addrs) > 0 {
		return c.Errorf("service upstream \"%s\" requires domain name", text)
	}
	if s.Resolve && len(u.Addrs) == 0 {
		s.Host, s.Port = u.Host, u.Port
	} else {
		s.Resolve = false
		s.Addrs = u.Addrs
	}
	g.servers = append(g.servers, s)
	return nil
}

// atoiParam is ngx_atoi on a parameter value: digits only.
func atoiParam(s string) (int, bool) {
	n, ok := conf.Atoi(s)
	if !ok || n > 1<<31-1 {
		return 0, false
	}
	return int(n), true
}

// noPos is an error nginx logs without the directive's position (its
// message carries its own "in FILE:LINE").
func noPos(format string, args ...any) error {
	return &conf.Error{Msg: fmt.Sprintf(format, args...), NoPos: true}
}
