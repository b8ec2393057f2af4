package headers_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// oracleConf runs in Debian's nginx and in sluice; %%PORT_1%% serves
// fixed Last-Modified and Cache-Control lines to proxy from.
const oracleConf = `
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;

        add_header X-URI $uri;
        add_header X-Always $uri always;
        add_header ETag foo always;
        add_header ETag '' always;
        expires epoch;

        location /t1 { return 200 OK; }
        location /nx { return 404; }
        location /own { add_header X-Own own; return 200 OK; }
        location /nested {
            add_header X-Outer outer;
            location /nested/inner { return 200 OK; }
            location /nested/own { add_header X-Inner inner; return 200 OK; }
        }
        location /empty { add_header X-Empty ""; add_header X-Var $arg_v; add_header X-Order 1; add_header X-Order 2; return 200 OK; }
        location /max { expires max; return 200 OK; }
        location /off { expires off; return 200 OK; }
        location /access { expires 2048; return 200 OK; location /access/inner { return 200 OK; } }
        location /negative { expires -2048; return 200 OK; }
        location /zero { expires 0; return 200 OK; }
        location /daily { expires @15h30m33s; return 200 OK; }
        location /modified { expires modified 2048; return 200 OK; }
        location /mproxy { expires modified 2048; proxy_pass http://127.0.0.1:%%PORT_1%%/lm; }
        location /mproxyneg { expires modified -1h; proxy_pass http://127.0.0.1:%%PORT_1%%/lm; }
        location /cc { expires 1h; proxy_pass http://127.0.0.1:%%PORT_1%%/cc; }
        location /ccplain { expires off; proxy_pass http://127.0.0.1:%%PORT_1%%/cc; }
        location /var { expires $arg_e; return 200 OK; location /var/m { expires modified $arg_e; return 200 OK; } }
        location /multi {
            expires off;
            add_header Cache-Control a;
            add_header Cache-Control b;
            add_header Link <a>;
            add_header Link <b>;
            add_header X-CC $sent_http_cache_control;
            add_header X-Link $sent_http_link;
            return 200 OK;
        }
        location /etag { add_header ETag '"v1"'; return 200 OK; }
        location /lm { expires off; add_header Last-Modified "Mon, 28 Sep 1970 06:00:00 GMT"; return 200 OK; }
        location /lmbad { expires off; add_header Last-Modified "yesterday"; return 200 OK; }
        location /lmproxy { expires off; add_header Last-Modified ""; proxy_pass http://127.0.0.1:%%PORT_1%%/lm; }
        location /if {
            expires off;
            if ($arg_a) { add_header X-If if; }
            return 200 OK;
        }
        location /s/ {
            expires 1h;
            add_header X-Safe safe;
            add_header X-All all always;
            location /s/200 { return 200 OK; }
            location /s/201 { return 201 OK; }
            location /s/204 { return 204; }
            location /s/206 { return 206 OK; }
            location /s/301 { return 301 /x; }
            location /s/302 { return 302 /x; }
            location /s/303 { return 303 /x; }
            location /s/304 { return 304; }
            location /s/307 { return 307 /x; }
            location /s/308 { return 308 /x; }
            location /s/400 { return 400; }
            location /s/403 { return 403; }
            location /s/500 { return 500; }
            location /s/503 { return 503 text; }
            location /s/ep { error_page 404 = /s/200; return 404; }
            location /s/ep302 { error_page 404 http://example.com/; return 404; }
        }
        location /tr {
            expires off;
            add_trailer X-T t;
            add_trailer X-E "";
            add_trailer X-Again $sent_trailer_x_t;
            add_trailer X-T t2;
            add_trailer X-Again2 $sent_trailer_x_t;
            add_trailer X-Both "[$sent_trailer_x_t]";
            add_trailer X-Bad bad;
            add_trailer X-Bad-Always bad always;
            location /tr/200 { return 200 "body"; }
            location /tr/404 { return 404; }
            location /tr/empty { return 200 ""; }
        }
    }

    server {
        listen 127.0.0.1:%%PORT_1%%;
        server_name localhost;
        location /lm { add_header Last-Modified "Mon, 28 Sep 1970 06:00:00 GMT"; return 200 OK; }
        location /cc {
            add_header Cache-Control one;
            add_header Cache-Control two;
            add_header Expires "Thu, 01 Jan 2099 00:00:00 GMT";
            return 200 OK;
        }
    }
}
`

var oraclePaths = []string{
	"/t1", "/nx", "/own", "/nested/inner", "/nested/own", "/empty", "/empty?v=x",
	"/max", "/off", "/access", "/access/inner", "/negative", "/zero", "/daily", "/modified",
	"/mproxy", "/mproxyneg", "/cc", "/ccplain",
	"/var?e=epoch", "/var?e=max", "/var?e=off", "/var?e=2048", "/var?e=-2048", "/var?e=@33s",
	"/var", "/var?e=bad", "/var/m?e=2048", "/var/m?e=epoch", "/var/m?e=@1h",
	"/multi", "/etag", "/lm", "/lmbad", "/lmproxy", "/if", "/if?a=1",
	"/s/200", "/s/201", "/s/204", "/s/206", "/s/301", "/s/302", "/s/303", "/s/304", "/s/307",
	"/s/308", "/s/400", "/s/403", "/s/500", "/s/503", "/s/ep", "/s/ep302", "/s/none",
}

// comparison compares every header a test here sets (the oracle compares
// Expires values that depend on the clock as offsets from Date).
func comparison() oracle.Comparison {
	c := oracle.DefaultComparison()
	delete(c.Normalize, "etag")
	c.Headers = append(c.Headers, "X-URI", "X-Always", "X-Own", "X-Outer", "X-Inner", "X-Empty", "X-Var",
		"X-Order", "X-CC", "X-Link", "Link", "X-If", "X-Safe", "X-All", "X-T")
	c.Normalize["location"] = func(v string) string { return portRE.ReplaceAllString(v, ":PORT") }
	return c
}

var portRE = regexp.MustCompile(`:\d+`)

func TestOracleHeaders(t *testing.T) {
	ngx := oracle.Start(t, oracleConf)
	s := servertest.Start(t, "events {}\n"+strings.NewReplacer("%%PORT_0%%", "%%PORT_A%%", "%%PORT_1%%", "%%PORT_B%%").Replace(oracleConf))
	cmp := comparison()
	for _, p := range oraclePaths {
		for _, proto := range []string{"HTTP/1.0", "HTTP/1.1"} {
			req := "GET " + p + " " + proto + "\r\nHost: localhost\r\nConnection: close\r\n\r\n"
			t.Run(strings.ReplaceAll(p, "/", "_")+"_"+proto[5:], func(t *testing.T) {
				oracle.Compare(t, req, ngx.Addr(0), s.Addr("A"), cmp)
			})
		}
	}
}

// TestOracleTrailers compares the trailers of chunked responses.
func TestOracleTrailers(t *testing.T) {
	ngx := oracle.Start(t, oracleConf)
	s := servertest.Start(t, "events {}\n"+strings.NewReplacer("%%PORT_0%%", "%%PORT_A%%", "%%PORT_1%%", "%%PORT_B%%").Replace(oracleConf))
	cmp := comparison()
	for _, req := range []string{
		"GET /tr/200 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
		"GET /tr/404 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
		"GET /tr/empty HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
		"GET /tr/200 HTTP/1.0\r\nHost: localhost\r\n\r\n",
	} {
		t.Run(strings.Fields(req)[1]+"_"+strings.Fields(req)[2][5:], func(t *testing.T) {
			a, b := oracle.Compare(t, req, ngx.Addr(0), s.Addr("A"), cmp)
			if a.Resp == nil || b.Resp == nil {
				return
			}
			if ta, tb := trailers(a.Resp), trailers(b.Resp); ta != tb {
				t.Errorf("trailers: sluice %q, nginx %q", tb, ta)
			}
		})
	}
}

func trailers(r *testutil.Response) string {
	var b strings.Builder
	for _, h := range r.Trailers {
		b.WriteString(h.Name + ": " + h.Value + "\n")
	}
	return b.String()
}
