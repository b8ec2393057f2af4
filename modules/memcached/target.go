package memcached

import (
	"net"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/upstream"
)

// passTarget turns memcached_pass's argument into a target: a literal
// host:port (every address the host resolves to, in round robin) or a unix
// socket. A memcached address has no default port, as in nginx.
func passTarget(c *conf.Cmd, text string) (upstream.Target, error) {
	if !strings.HasPrefix(text, "unix:") {
		if _, _, err := net.SplitHostPort(text); err != nil {
			return nil, c.Errorf("no port in upstream \"%s\"", text)
		}
	}
	t, err := upstream.ParseAddress(text, 0)
	if err != nil {
		// ParseAddress words it `invalid port in "x"`; nginx names the
		// implicit upstream
		msg := strings.TrimSuffix(err.Error(), " in \""+text+"\"")
		return nil, c.Errorf("%s in upstream \"%s\"", msg, text)
	}
	return t, nil
}
