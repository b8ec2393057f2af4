package userid_test

import (
	"encoding/binary"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/modules/userid"
)

// oracleConf runs in Debian's nginx and in sluice.
const oracleConf = `
http {
    map $arg_reset $uid_reset {
        default 0;
        1       1;
        log     log;
    }

    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;

        userid on;
        add_header X-Got $uid_got;
        add_header X-Set $uid_set;

        location / { return 200 ok; }
        location /name { userid_name test; return 200 ok; }
        location /attrs {
            userid_domain example.com;
            userid_path /p;
            userid_p3p 'CP="NOI"';
            userid_flags secure httponly samesite=lax;
            return 200 ok;
            location /attrs/inner { userid_flags off; userid_path /in; return 200 ok; }
            location /attrs/none { userid_domain none; userid_p3p none; return 200 ok; }
        }
        location /strict { userid_flags samesite=strict samesite=none; return 200 ok; }
        location /max { userid_expires max; return 200 ok; }
        location /hour { userid_expires 1h; return 200 ok; }
        location /far { userid_expires 30y; return 200 ok; }
        location /zero { userid_expires 0; return 200 ok; }
        location /mark { userid_mark t; return 200 ok; }
        location /markeq { userid_mark =; return 200 ok; }
        location /service { userid_service 65534; return 200 ok; }
        location /v1 { userid v1; return 200 ok; }
        location /v1svc { userid v1; userid_service 258; userid_mark 7; return 200 ok; }
        location /log { userid log; return 200 ok; }
        location /off { userid off; return 200 ok; }
        location /nf { return 404; }
        location /ssi { ssi on; default_type text/html; return 200 '<!--# include virtual="/sub" -->'; }
        location /sub { userid_name other; return 200 "[$uid_set]"; }
    }
}
`

// A cookie as nginx sets it (service 127.0.0.1, sequence 0x03030302),
// its marked form, and broken ones.
const (
	goodCookie = "fwAAAWFdZ18AAAAAAwMDAg=="
	markCookie = "fwAAAWFdZ18AAAAAAwMDAgt="
)

var oracleCookies = []string{
	"", goodCookie, markCookie, "fwAAAWFdZ18AAAAAAwMDAg", "fwAAAWFdZ18AAAAAAwMDAg7=",
	"short", "!wAAAWFdZ18AAAAAAwMDAg==", "fwAA=WFdZ18AAAAAAwMDAg==", "AAAAAAAAAAAAAAAAAAAAAA==",
}

var oraclePaths = []string{
	"/", "/name", "/attrs", "/attrs/inner", "/attrs/none", "/strict", "/max", "/hour", "/far", "/zero", "/mark", "/markeq",
	"/service", "/v1", "/v1svc", "/log", "/off", "/nf", "/?reset=1", "/mark?reset=log",
}

var (
	expiresRE = regexp.MustCompile(`; expires=(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-(\d\d|20[4-9]\d) \d\d:\d\d:\d\d GMT`)
	uidVarRE  = regexp.MustCompile(`^(\w+)=([0-9A-F]{8})[0-9A-F]{16}([0-9A-F]{8})$`)
)

// normalizeSetCookie keeps what the configuration decides: the name, the
// service word, the low byte of the sequence (1 for v1, 2 for on), the
// characters after the 22 (mark or padding), and the attributes; a
// relative expiry becomes "<time>".
func normalizeSetCookie(v string) string {
	name, rest, _ := strings.Cut(v, "=")
	val, attrs, _ := strings.Cut(rest, ";")
	if attrs != "" {
		attrs = ";" + attrs
	}
	if !strings.Contains(attrs, "31-Dec-37") {
		attrs = expiresRE.ReplaceAllStringFunc(attrs, func(e string) string {
			// the year's digits tell the two formats apart
			return "; expires=<time " + strconv.Itoa(len(e)) + ">"
		})
	}
	if len(val) != 24 {
		return "malformed " + v
	}
	if strings.HasPrefix(goodCookie, val[:22]) {
		return name + "=<received>" + val[22:] + attrs
	}
	u, res := userid.ParseCookie(val)
	if res != userid.Parsed {
		return "unparsable " + v
	}
	return fmt.Sprintf("%s=<service %08X, sequence ..%02X>%s%s", name, u.Word(0), byte(binary.LittleEndian.Uint32(u[12:])), val[22:], attrs)
}

// normalizeUIDVar keeps a variable's name, service word and sequence
// word's lowest byte, as printed.
func normalizeUIDVar(v string) string {
	if m := uidVarRE.FindStringSubmatch(v); m != nil {
		return m[1] + "=" + m[2] + "<time,start>" + m[3][:2] + "<seq>"
	}
	return v
}

func TestOracleUserid(t *testing.T) {
	ngx := oracle.Start(t, oracleConf)
	s := servertest.Start(t, "events {}\n"+strings.ReplaceAll(oracleConf, "%%PORT_0%%", "%%PORT_A%%"))
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "P3P", "X-Got", "X-Set")
	cmp.Normalize["set-cookie"] = normalizeSetCookie
	cmp.Normalize["x-set"] = normalizeUIDVar
	for _, p := range oraclePaths {
		for _, ck := range oracleCookies {
			req := "GET " + p + " HTTP/1.0\r\nHost: localhost\r\n"
			if ck != "" {
				req += "Cookie: a=b; uid=" + ck + "; test=" + ck + "\r\n"
			}
			req += "\r\n"
			t.Run(strings.ReplaceAll(p, "/", "_")+"_"+ck, func(t *testing.T) {
				oracle.Compare(t, req, ngx.Addr(0), s.Addr("A"), cmp)
			})
		}
	}
	oracle.CompareErrorLogs(t, ngx.ErrorLog(), s.ErrorLog())
}

// TestOracleSubrequest: a subrequest sets no cookie, and its $uid_set is
// the main request's, in both servers.
func TestOracleSubrequest(t *testing.T) {
	ngx := oracle.Start(t, oracleConf)
	s := servertest.Start(t, "events {}\n"+strings.ReplaceAll(oracleConf, "%%PORT_0%%", "%%PORT_A%%"))
	for _, addr := range []string{ngx.Addr(0), s.Addr("A")} {
		r := testutil.RoundTrip(t, addr, "GET /ssi HTTP/1.0\r\nHost: localhost\r\n\r\n")
		if n := len(r.Values("Set-Cookie")); n != 1 || string(r.Body) != "["+r.Get("X-Set")+"]" || !strings.HasPrefix(r.Get("X-Set"), "uid=") {
			t.Errorf("%s answered (%d Set-Cookie):\n%s", addr, n, r)
		}
	}
}

func TestConfErrors(t *testing.T) {
	for _, tc := range []struct{ name, directive, want string }{
		{"mode", "userid maybe;", `invalid value "maybe" in FILE:2`},
		{"mode twice", "userid on; userid off;", `"userid" directive is duplicate in FILE:2`},
		{"service", "userid_service -1;", `"userid_service" directive invalid number in FILE:2`},
		{"name twice", "userid_name a; userid_name b;", `"userid_name" directive is duplicate in FILE:2`},
		{"domain twice", "userid_domain a; userid_domain none;", `"userid_domain" directive is duplicate in FILE:2`},
		{"expires", "userid_expires soon;", `"userid_expires" directive invalid value in FILE:2`},
		{"expires negative", "userid_expires -1h;", `"userid_expires" directive invalid value in FILE:2`},
		{"expires twice", "userid_expires 1h; userid_expires max;", `"userid_expires" directive is duplicate in FILE:2`},
		{"flags", "userid_flags secure lax;", `invalid value "lax" in FILE:2`},
		{"flags arity", "userid_flags secure httponly samesite=lax samesite=none;", `invalid number of arguments in "userid_flags" directive in FILE:2`},
		{"mark long", "userid_mark ab;", `"userid_mark" directive value must be "off" or a single letter, digit or "=" in FILE:2`},
		{"mark sign", "userid_mark +;", `"userid_mark" directive value must be "off" or a single letter, digit or "=" in FILE:2`},
		{"mark twice", "userid_mark a; userid_mark off;", `"userid_mark" directive is duplicate in FILE:2`},
		{"p3p arity", "userid_p3p;", `invalid number of arguments in "userid_p3p" directive in FILE:2`},
		{"in if", "if ($arg_a) { userid on; }", `"userid" directive is not allowed here in FILE:2`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := "events {}\nhttp { server { location / { " + tc.directive + " } } }\n"
			if got := servertest.LoadError(t, text, nil); got != tc.want {
				t.Errorf("error\n%s\nwant\n%s", got, tc.want)
			}
			if n := oracle.CheckConfig(t, text).Emerg; n != tc.want {
				t.Errorf("nginx -t says\n%s\nthe test expects\n%s", n, tc.want)
			}
		})
	}
}
