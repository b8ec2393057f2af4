package rewrite_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// oracleConf is the differential corpus's configuration: the same text
// runs in Debian's nginx and in sluice (%%PORT_0%% and %%PORT_1%% become
// %%PORT_A%% and %%PORT_B%% for sluice; %%DIR%% is a directory with a file
// and a subdirectory).
const oracleConf = `
http {
    default_type text/plain;
    types { text/html html; image/gif gif; }
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;

        location / { return 200 "root uri:$uri args:$args"; }

        location /r/simple { rewrite ^ http://example.com/ redirect; }
        location /r/add { rewrite ^ http://example.com/?c=d redirect; }
        location /r/noargs { rewrite ^ http://example.com/?c=d? redirect; }
        location /r/perm { rewrite ^/r/perm/(.*)$ /p/$1 permanent; }
        location /r/rel { rewrite ^/r/rel(.*) /rel$1 redirect; }
        location /r/url { rewrite ^(.*)$ https://example.com$1; }
        location /r/scheme { rewrite ^ $scheme://example.com/s; }
        location /r/esc { rewrite ^ http://example.com/blah%20%3Fblah redirect; }
        location /r/escslash { rewrite ^ http://example.com/blah%20%2Fblah redirect; }
        location /r/argr { rewrite ^ $arg_r? redirect; }
        location /r/requri { rewrite ^ http://example.com$request_uri? redirect; }
        location /r/uri { rewrite ^ http://example.com$uri redirect; }
        location /r/cap { rewrite ^(.*) http://example.com$1 redirect; }
        location /r/capargs { rewrite ^/r/capargs/(.*) http://example.com/x?v=$1 redirect; }

        location /u/capture { rewrite ^(.*) $1?c=d; return 200 "uri:$uri args:$args"; }
        location /u/capturedup { rewrite ^(.*) $1?c=$1; return 200 "uri:$uri args:$args"; }
        location /u/drop { rewrite ^ /t/dropped?; }
        location /u/keep { rewrite ^ /t/kept; }
        location /u/newargs { rewrite ^/u/newargs/(.*) /t/n?a=$1 last; }
        location /u/chain {
            rewrite ^/u/chain/(.*) /u/a/$1;
            rewrite ^/u/a/(.*) /t/b/$1;
        }
        location /u/brk {
            rewrite ^/u/brk/(.*) /t/$1 break;
            return 200 "not reached";
        }
        location /u/brk2 {
            rewrite ^ /t/x;
            break;
            return 200 "not reached";
        }
        location /u/loop { rewrite ^ /u/loop2 last; }
        location /u/loop2 { rewrite ^ /u/loop last; }
        location /u/empty { rewrite ^ ?; }
        location /u/exten { rewrite ^ /t/file.html last; }
        location /u/isargs { rewrite ^ /t/ia?x=1; return 200 "[$is_args] [$args]"; }
        location ~ ^/u/loccap/(.*)$ { rewrite ^ /t/$1 last; }
        location ~ ^/u/resetcap/(.*)$ { rewrite ^/nomatch(.) /x; return 200 "cap:[$1]"; }
        location /t/ { return 200 "t uri:$uri args:$args"; }

        location /ret/204 { return 204; }
        location /ret/200 { return 200; }
        location /ret/306 { return 306; }
        location /ret/405 { return 405; }
        location /ret/404empty { return 404 ""; }
        location /ret/404var { return 404 "$arg_none"; }
        location /ret/text { return 200 "text"; }
        location /ret/404text { return 404 "text"; }
        location /ret/302text { return 302 "text"; }
        location /ret/302 { return 302; }
        location /ret/301 { return 301 /path; }
        location /ret/307 { return 307 http://example.com/$arg_a; }
        location /ret/url { return http://example.com$uri; }
        location /ret/444 { return 444; }
        location /ret/503 { return 503; }
        location /ret/html { return 200 "typed"; }
        location /ret/e1 { error_page 404 /ret/405; return 404; }
        location /ret/e2 { error_page 405 /ret/204; return 405; }
        location /ret/e3 { error_page 405 /ret/text; return 405; }
        location /ret/e4 { error_page 302 /ret/text; return 302 "text"; }
        location /ret/e5 { error_page 405 /ret/302text; return 405; }
        location /ret/e6 { error_page 405 /r/simple; return 405; }
        location /ret/e7 { error_page 404 = /ret/text; return 404; }

        location /if/var { if ($arg_c) { return 200 "true"; } return 200 "false"; }
        location /if/eq { if ($arg_c = 1) { return 200 "eq"; } return 200 "ne"; }
        location /if/ne { if ($arg_c != "a b") { return 200 "ne"; } return 200 "eq"; }
        location /if/re { if ($arg_c ~ ^(f)(o+)) { return 200 "match $2$1"; } return 200 "no [$1]"; }
        location /if/rei { if ($arg_c ~* ^foo) { return 200 "match"; } return 200 "no"; }
        location /if/nre { if ($arg_c !~ foo) { return 200 "nomatch"; } return 200 "match"; }
        location /if/nrei { if ($arg_c !~* foo) { return 200 "nomatch"; } return 200 "match"; }
        location /if/named { if ($arg_c ~ "^(?P<first>[a-z]+)-(?P<second>[a-z]+)$") { return 200 "$second:$first"; } return 200 "none"; }
        location /if/file { if (-f %%DIR%%/$arg_c) { return 200 "file"; } return 200 "not file"; }
        location /if/dir { if (-d %%DIR%%/$arg_c) { return 200 "dir"; } return 200 "not dir"; }
        location /if/exists { if (-e %%DIR%%/$arg_c) { return 200 "exists"; } return 200 "missing"; }
        location /if/exec { if (-x %%DIR%%/$arg_c) { return 200 "exec"; } return 200 "not exec"; }
        location /if/nfile { if (!-f %%DIR%%/$arg_c) { return 200 "not file"; } return 200 "file"; }
        location /if/ndir { if (!-d %%DIR%%/$arg_c) { return 200 "not dir"; } return 200 "dir"; }
        location /if/nexists { if (!-e %%DIR%%/$arg_c) { return 200 "missing"; } return 200 "exists"; }
        location /if/nexec { if (!-x %%DIR%%/$arg_c) { return 200 "not exec"; } return 200 "exec"; }
        location /if/after { if ($arg_c) { set $v "in"; } return 200 "v=$v"; }
        location /if/conf {
            error_page 404 /ret/text;
            if ($arg_c) { error_page 404 /ret/404text; }
        }
        location /if/rewrite {
            if ($arg_c) { rewrite ^ /t/from-if last; }
            rewrite ^ /t/outside;
        }
        location /if/two {
            if ($arg_a) { set $x a; }
            if ($arg_b) { set $x "${x}b"; }
            return 200 "x=$x";
        }

        location /set/basic { set $a "1"; set $b "$a-$a"; return 200 "$a $b"; }
        location /set/args { set $args "x=1"; return 200 "args:$args is:$is_args"; }
        location /set/http { set $http_foo "set"; return 200 "[$http_foo]"; }
        location /set/httpother { return 200 "[$http_foo]"; }
        location /set/cap { if ($uri ~ ^/set/cap/(.*)$) { set $c $1; } return 200 "c=$c"; }
        location /set/capafter {
            rewrite ^/set/capafter/(.*)$ /set/capafter/$1;
            if ($uri ~ ^/set/capafter/(.*)$) { set $c $1; }
            return 200 "c=$c";
        }
        location /set/capeq { if ($uri ~ ^/set/capeq/(.*)$) { } if ($arg_v = $1) { return 200 "same"; } return 200 "differ"; }
        location /set/cond { set $f "0"; if ($f) { return 200 "zero true"; } return 200 "zero false"; }
        location /x/le { limit_except GET { } return 200 "le"; }
        location /x/lr { set $limit_rate 100k; return 200 "lr:$limit_rate"; }
        location /x/cap10 { rewrite ^/x/cap10/(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)$ /t/$10$9; }
        location /x/opt { rewrite ^/x/opt/(a)?(b)$ /t/[$1][$2]; }
        location ~ ^/x/lcap/(.*)$ { return 200 "lcap:$1"; }
        location /x/abs { absolute_redirect off; return 301 /abs; }
        location /x/noport { port_in_redirect off; rewrite ^ /np permanent; }
        location /x/sname { server_name_in_redirect on; return 302 /sn; }
        location /x/method { if ($request_method = POST) { return 405; } return 200 "$request_method"; }
        location /x/msie { msie_refresh on; rewrite ^ http://example.com/m?a=<b> redirect; }
        location /x/q { rewrite ^ /t/a?b?c; }
        location /x/qredir { rewrite ^ http://example.com/a?b?c redirect; }
        location /x/varq { set $q "/t/v?x=1"; rewrite ^ $q; }
        location /x/retq { return 200 "[$arg_a]"; }
        location /x/double {
            rewrite ^/x/double/(.*) /x/double2/$1;
            rewrite ^/x/double2/(.*) /t/$1?second=1;
            rewrite ^ /t/final last;
        }
        location /set/brace { set $n "x"; return 200 "${n}y $n.y"; }
    }
    server {
        listen 127.0.0.1:%%PORT_1%%;
        server_name localhost;

        rewrite ^/srv/old/(.*)$ /srv/new/$1;
        if ($arg_s) { return 200 "server if"; }
        if ($arg_b) { rewrite ^ /srv/brk break; }
        set $sv "server";
        if ($arg_r) { rewrite ^ http://example.com/srv redirect; }

        location /srv/new/ { return 200 "new uri:$uri sv:$sv"; }
        location /srv/brk { return 200 "brk uri:$uri"; }
        location /srv/plain { return 200 "plain sv:$sv"; }
        location /srv/again { rewrite ^ /srv/old/again last; }
    }
}
`

// oracleRequests are the differential corpus's requests: path on port 0,
// unless they start with "1:" (port 1), or a raw request when they end
// with a blank line.
var oracleRequests = []string{
	"/", "/?a=b",
	"/r/simple", "/r/simple?a=b", "/r/add", "/r/add?a=b", "/r/noargs?a=b",
	"/r/perm/x/y?q=1", "/r/rel/a%20b?x=y", "/r/url/z?q", "/r/scheme?q=1",
	"/r/esc", "/r/esc?arg=blah", "/r/escslash",
	"/r/argr?r=http%3A%2F%2Fexample.com%2F%3Ffrom",
	"/r/argr?r=http%3A%2F%2Fexample.com%0D%0Asplit",
	"/r/argr?r=http%3A%2F%2Fexample.com%2F%3Ffrom%3Dblah",
	"/r/requri/blah%20%3Fblah", "/r/uri/blah%20%3Fblah", "/r/cap/blah%20%3Fblah",
	"/r/cap/a+b", "/r/capargs/a%26b?z=1", "/r/capargs/a+b",
	"/u/capture/%25?a=b", "/u/capturedup/%25?a=b", "/u/capture/a+b?x",
	"/u/drop?a=b", "/u/keep?a=b", "/u/newargs/v?a=b", "/u/newargs/%3F", "/u/chain/x?k",
	"/u/brk/x", "/u/brk2", "/u/loop", "/u/empty", "/u/exten",
	"/u/isargs", "/u/isargs?y=2", "/u/loccap/zz?q", "/u/resetcap/zz",
	"/ret/204", "/ret/200", "/ret/306", "/ret/405", "/ret/404empty", "/ret/404var",
	"/ret/text", "/ret/404text", "/ret/302text", "/ret/302", "/ret/301", "/ret/307?a=q",
	"/ret/url", "/ret/444", "/ret/503", "/ret/html/a.html", "/ret/html/a.GIF", "/ret/html/x.html.none",
	"/ret/e1", "/ret/e2", "/ret/e3", "/ret/e4", "/ret/e5", "/ret/e6", "/ret/e7",
	"HEAD /ret/text HTTP/1.0\r\n\r\n",
	"HEAD /ret/405 HTTP/1.0\r\n\r\n",
	"POST /ret/text HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello",
	"/if/var?c=1", "/if/var?c=0", "/if/var?c=", "/if/var", "/if/var?c=00",
	"/if/eq?c=1", "/if/eq?c=2", "/if/ne?c=a%20b", "/if/ne?c=a b",
	"/if/re?c=foo", "/if/re?c=bar", "/if/rei?c=FOOD", "/if/rei?c=bar", "/if/nre?c=food", "/if/nre?c=FOOD",
	"/if/nrei?c=FooD", "/if/nrei?c=bar", "/if/named?c=ab-cd", "/if/named?c=abcd",
	"/if/file?c=file", "/if/file?c=dir", "/if/file?c=nx", "/if/dir?c=dir", "/if/dir?c=file",
	"/if/exists?c=file", "/if/exists?c=dir", "/if/exists?c=nx", "/if/exists?c=file/x",
	"/if/exec?c=file", "/if/exec?c=dir", "/if/exec?c=script",
	"/if/nfile?c=file", "/if/nfile?c=dir", "/if/ndir?c=dir", "/if/ndir?c=file",
	"/if/nexists?c=nx", "/if/nexists?c=file", "/if/nexec?c=file", "/if/nexec?c=dir",
	"/if/after?c=1", "/if/after",
	"/if/conf?c=1", "/if/conf",
	"/if/rewrite?c=1", "/if/rewrite",
	"/if/two?a=1", "/if/two?b=1", "/if/two?a=1&b=1", "/if/two",
	"/set/basic", "/set/args?z=9", "/set/args",
	"GET /set/http HTTP/1.0\r\nFoo: header\r\n\r\n",
	"GET /set/httpother HTTP/1.0\r\nFoo: header\r\n\r\n",
	"/set/cap/a%20b", "/set/cap/a+b", "/set/cap/plain", "/set/capafter/a%20b",
	"/set/capeq/a%20b?v=a%20b", "/set/capeq/a%20b?v=a b", "/set/capeq/ab?v=ab",
	"/set/cond", "/set/brace",
	"/x/le", "POST /x/le HTTP/1.0\r\nContent-Length: 0\r\n\r\n", "/x/lr",
	"/x/cap10/abcdefghij", "/x/opt/b", "/x/opt/ab", "/x/lcap/some%20thing", "/x/abs",
	"/x/noport", "/x/sname",
	"GET /x/sname HTTP/1.0\r\nHost: other.example\r\n\r\n",
	"/x/method", "POST /x/method HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
	"GET /x/msie HTTP/1.0\r\nUser-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)\r\n\r\n",
	"/x/q?z=1", "/x/qredir?z=1", "/x/varq?z=1", "/x/retq?a=%41", "/x/double/y?o=1",
	"GET /ret/text HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /ret/404 HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /ret/302text HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"POST /ret/text HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	"POST /ret/405 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n\r\nbody",
	"POST /r/simple HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n\r\nbody",
	"1:/srv/old/x?q=1", "1:/srv/plain?s=1", "1:/srv/plain?b=1", "1:/srv/old/y?b=1",
	"1:/srv/plain", "1:/srv/plain?r=1", "1:/srv/again", "1:/nowhere",
}

// TestOracle sends the corpus to Debian's nginx and to sluice with the same
// configuration and compares status, headers (Location with the port
// masked) and body.
func TestOracle(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "script"), nil, 0755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "dir"), 0755); err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(oracleConf, "%%DIR%%", dir)
	ngx := oracle.Start(t, text)
	s := servertest.Start(t, "events {}\n"+strings.NewReplacer("%%PORT_0%%", "%%PORT_A%%", "%%PORT_1%%", "%%PORT_B%%").Replace(text))

	mask := strings.NewReplacer(
		":"+s.Port("A"), ":PORT0", ":"+s.Port("B"), ":PORT1",
		":"+itoa(ngx.Port(0)), ":PORT0", ":"+itoa(ngx.Port(1)), ":PORT1")
	cmp := oracle.DefaultComparison()
	cmp.Normalize["location"] = mask.Replace
	for _, req := range oracleRequests {
		port := 0
		if strings.HasPrefix(req, "1:") {
			port, req = 1, req[2:]
		}
		raw := req
		if !strings.HasSuffix(req, "\r\n\r\n") && !strings.Contains(req, "\r\n\r\n") {
			raw = "GET " + req + " HTTP/1.0\r\nHost: localhost\r\n\r\n"
		}
		if strings.HasPrefix(raw, "HEAD") {
			cmp.NoBody = true
		}
		t.Run(strings.ReplaceAll(strings.SplitN(raw, "\r\n", 2)[0], "/", "_"), func(t *testing.T) {
			addrs := [2]string{ngx.Addr(port), s.Addr([]string{"A", "B"}[port])}
			oracle.Compare(t, raw, addrs[0], addrs[1], cmp)
		})
		cmp.NoBody = false
	}
}

func itoa(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

// oracleLogConf has rewrite_log on, for comparing the notices.
const oracleLogConf = `
http {
    rewrite_log on;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        rewrite ^/s/(.*) /l/$1;
        location /l/ {
            rewrite ^/l/nomatch /x;
            rewrite ^/l/(.*)$ /m/$1?a=$1;
            if ($uri ~ ^/m/(.+)) { set $v $1; }
            if ($arg_a !~ ^q) { return 200 "v=$v"; }
            return 200 "q";
        }
        location /r/ {
            rewrite ^/r/(.*) http://example.com/$1%20x redirect;
        }
        location /w/ {
            uninitialized_variable_warn off;
            return 200 "w=$w";
        }
        location /z/ {
            set $w 1;
        }
    }
}
`

// TestOracleRewriteLog compares the notices rewrite_log writes, and the
// uninitialized variable warnings, line by line.
func TestOracleRewriteLog(t *testing.T) {
	ngx := oracle.Start(t, oracleLogConf)
	s := servertest.Start(t, "error_log %%PREFIX%%/error.log info;\nevents {}\n"+strings.ReplaceAll(oracleLogConf, "%%PORT_0%%", "%%PORT_A%%"))
	reqs := []string{"/s/abc", "/l/q?z", "/r/a%2Fb?k=v", "/w/", "/l/a%20b"}
	cmp := oracle.DefaultComparison()
	for _, req := range reqs {
		oracle.Compare(t, "GET "+req+" HTTP/1.0\r\nHost: localhost\r\n\r\n", ngx.Addr(0), s.Addr("A"), cmp)
	}
	want, got := rewriteNotices(ngx.ErrorLog()), rewriteNotices(s.ErrorLog())
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("rewrite_log lines differ:\nnginx:\n%s\nsluice:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
	t.Logf("%d lines:\n%s", len(want), strings.Join(want, "\n"))
	if len(want) < 10 {
		t.Errorf("too few rewrite_log lines (%d) to compare", len(want))
	}
}

// rewriteNotices returns the rewrite module's log lines without the time,
// process and connection prefix.
func rewriteNotices(log string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		i := strings.Index(line, "] ")
		if i < 0 || !strings.Contains(line, "request: ") {
			continue
		}
		level := line[strings.Index(line, "[")+1 : i]
		msg := line[i+2:]
		if j := strings.Index(msg, ": *"); j >= 0 {
			msg = msg[j+3:]
			if k := strings.IndexByte(msg, ' '); k >= 0 {
				msg = msg[k+1:]
			}
		}
		if level == "notice" || level == "warn" {
			out = append(out, "["+level+"] "+msg)
		}
	}
	return out
}
