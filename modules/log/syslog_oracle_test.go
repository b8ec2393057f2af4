package log_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// syslogOracleConf runs in Debian's nginx and in sluice, each sending to
// its own receivers (ACC, ERR: UDP; UX: a unixgram socket); PORT is the
// listening port's placeholder.
const syslogOracleConf = `
http {
    root %%PREFIX%%/html;
    log_format logf "$uri:$status";
    log_format json escape=json '{"uri":"$uri","a":"$arg_a"}';
    log_format vars '$request_method $uri $args $status $body_bytes_sent "$http_user_agent" $remote_addr $server_protocol';
    access_log off;
    error_log syslog:server=ERR,tag=http warn;

    server {
        listen 127.0.0.1:PORT;
        server_name localhost;

        location /combined { access_log syslog:server=ACC; return 200 "twelve bytes"; }
        location /logf { access_log syslog:server=ACC logf; return 200; }
        location /vars { access_log syslog:server=ACC vars; return 302 /elsewhere; }
        location /params { access_log syslog:severity=alert,server=ACC,facility=user,tag=SEE_this logf; return 204; }
        location /kern { access_log syslog:server=ACC,facility=kern,severity=emerg logf; return 200; }
        location /nohostname { access_log syslog:server=ACC,nohostname logf; return 200; }
        location /emptytag { access_log syslog:server=ACC,tag= logf; return 200; }
        location /json { access_log syslog:server=ACC json; return 200; }
        location /long { access_log syslog:server=ACC logf; return 200; }
        location /if { access_log syslog:server=ACC logf if=$arg_logme; return 200; }
        location /two {
            access_log syslog:server=ACC logf;
            access_log syslog:server=ACC,facility=daemon,tag=second vars;
            return 200;
        }
        location /outer {
            access_log syslog:server=ACC logf;
            location /outer/inherit { return 200; }
            location /outer/off { access_log off; return 200; }
        }
        location /unix { access_log syslog:server=UX,facility=local0,severity=notice logf; return 200; }

        location /missing { }
        location /err { error_log syslog:server=ERR info; }
        location /errparams { error_log syslog:server=ERR,facility=user,severity=debug,tag=errs,nohostname warn; }
        location /crit { error_log syslog:server=ERR crit; }
        location /errtwo { error_log syslog:server=ERR; error_log syslog:server=ERR,tag=second; }
        location /errunix { error_log syslog:server=UX,facility=mail; }
        location /both {
            error_log syslog:server=ERR,tag=both;
            access_log syslog:server=ACC,tag=both logf;
        }
    }
}
`

// syslogOracleRequests are GET paths (HTTP/1.0) or raw requests.
var syslogOracleRequests = []string{
	"/combined", "/combined?a=b",
	"GET /combined HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nUser-Agent: agent \"x\"\r\nReferer: http://r/\r\n\r\n",
	"/logf", "/logf/%20x?y", "/vars?q=1", "GET /vars HTTP/1.0\r\nUser-Agent: a\tb\r\n\r\n",
	"/params", "/kern", "/nohostname", "/emptytag",
	`/json?a="x"%0A`, "/long/" + strings.Repeat("x", 3000),
	"/if", "/if?logme=", "/if?logme=0", "/if?logme=1", "/if?logme=yes",
	"/two?a", "/outer/inherit", "/outer/off", "/outer",
	"/unix",
	"/missing", "/err", "/errparams", "/crit", "/errtwo", "/errunix", "/both",
	"HEAD /both HTTP/1.0\r\n\r\n",
}

// syslogSide is one server's receivers.
type syslogSide struct{ acc, errs, ux *syslogReceiver }

func (s syslogSide) conf(port string) string {
	return strings.NewReplacer("ACC", s.acc.server(), "ERR", s.errs.server(), "UX", s.ux.server(), "PORT", port).Replace(syslogOracleConf)
}

var (
	syslogHeader = regexp.MustCompile(`^<(\d{1,3})>[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d `)
	errorStart   = regexp.MustCompile(`\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (\*\d+ )?`)
)

// TestOracleSyslog sends the same requests to Debian's nginx and to
// sluice and compares the datagrams their syslog destinations send, with
// the time stamps, the host name, pids, connection numbers and prefixes
// masked.
func TestOracleSyslog(t *testing.T) {
	ngxSide := syslogSide{udpReceiver(t), udpReceiver(t), unixgramReceiver(t)}
	sluSide := syslogSide{udpReceiver(t), udpReceiver(t), unixgramReceiver(t)}
	ngx := oracle.Start(t, ngxSide.conf("%%PORT_0%%"))
	s := servertest.Start(t, "events {}\n"+sluSide.conf("%%PORT_A%%"))
	for _, req := range syslogOracleRequests {
		raw := req
		if !strings.Contains(req, "\r\n\r\n") {
			raw = "GET " + req + " HTTP/1.0\r\nHost: localhost\r\n\r\n"
		}
		exchange(t, ngx.Addr(0), raw)
		exchange(t, s.Addr("A"), raw)
	}
	host := hostname(t)
	norm := func(prefix string, msgs []string) string {
		for i, m := range msgs {
			m = syslogHeader.ReplaceAllString(m, "<$1>STAMP ")
			if h, ok := strings.CutPrefix(m[strings.Index(m, "STAMP ")+len("STAMP "):], host+" "); ok {
				m = m[:strings.Index(m, "STAMP ")] + "STAMP HOST " + h
			}
			m = errorStart.ReplaceAllStringFunc(m, func(l string) string {
				g := errorStart.FindStringSubmatch(l)
				if g[2] != "" {
					return "TIME [" + g[1] + "] PID: *N "
				}
				return "TIME [" + g[1] + "] PID: "
			})
			m = timeLocal.ReplaceAllString(m, "[LOCALTIME]")
			msgs[i] = strings.ReplaceAll(m, strings.TrimSuffix(prefix, "/"), "PREFIX")
		}
		return strings.Join(msgs, "\n")
	}
	for _, name := range []string{"access", "error", "unix"} {
		pick := func(s syslogSide) *syslogReceiver {
			return map[string]*syslogReceiver{"access": s.acc, "error": s.errs, "unix": s.ux}[name]
		}
		// sluice is waited for until it sent as many datagrams as nginx
		ngxMsgs := pick(ngxSide).collect(1, 300*time.Millisecond)
		n := len(ngxMsgs)
		want := norm(ngx.Prefix(), ngxMsgs)
		got := norm(s.Prefix(), pick(sluSide).collect(n, 300*time.Millisecond))
		if want == "" {
			t.Errorf("%s: nginx sent nothing, the test compares nothing", name)
		}
		if got != want {
			t.Errorf("%s datagrams differ\nnginx:\n%s\nsluice:\n%s", name, want, got)
		}
	}
}
