package ssi_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// oracleConf runs in Debian's nginx and in sluice over the same files
// (%%ROOT%%); port 1 serves them without SSI for the proxied includes.
const oracleConf = `
http {
    types { text/html html; text/plain txt; }
    root %%ROOT%%;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location / { ssi on; }
        location /silent/ { ssi on; ssi_silent_errors on; }
        location /text/ { ssi on; ssi_types text/plain; }
        location /plain/ { ssi on; }
        location /lm/ { ssi on; ssi_last_modified on; }
        location /short/ { ssi on; ssi_value_length 4; }
        location /nossi/ { }
        location = /ret { return 200 "RET"; }
        location /proxy/ { proxy_pass http://127.0.0.1:%%PORT_1%%/; }
        location /small/ { subrequest_output_buffer_size 8; proxy_pass http://127.0.0.1:%%PORT_1%%/; }
        location /pssi/ { ssi on; proxy_pass http://127.0.0.1:%%PORT_1%%/; }
        location /add/ {
            ssi on;
            add_before_body /first.html;
            add_after_body /dir/inc.html;
        }
    }
    server {
        listen 127.0.0.1:%%PORT_1%%;
        location / { }
    }
}
`

// oracleFiles are documents for the parser's corner cases, compared whole.
var oracleFiles = map[string]string{
	"p-end-inside.html":   `text<!--#echo var="x"`,
	"p-end-opening.html":  `text<!--`,
	"p-end-lt.html":       `text<`,
	"p-bad-end.html":      `a<!--#echo var="x" -x -->b`,
	"p-dash-error.html":   `a<!--#x p=1 --->x -->b`,
	"p-empty.html":        `a<!--#-->b<!--#echo var="arg_a" -->c`,
	"p-lt.html":           `<<!--#echo var="arg_a" --><!-<!--#echo var="arg_a" --><!--x<!--`,
	"p-spaces.html":       "<!--#\techo\r\nvar = 'arg_a'\n-->",
	"p-escapes.html":      `<!--#set var="v" value="a\"b\\c\$d\e" --><!--#echo var="v" encoding="none" -->`,
	"p-quote.html":        `<!--#set var='v' value='it\'s' --><!--#echo var="v" -->`,
	"p-long-cmd.html":     "x<!--#" + strings.Repeat("c", 40) + " -->x",
	"p-long-param.html":   "x<!--#echo " + strings.Repeat("p", 40) + `="1" -->x`,
	"p-no-value.html":     `x<!--#echo var -->x`,
	"p-junk-value.html":   `x<!--#echo var="a"b -->x`,
	"p-block-cmds.html":   `<!--#block name="b" -->[<!--#echo var="arg_a" -->|<!--#foo -->|<!--#if expr="$arg_a" -->Y<!--#endif -->]<!--#endblock --><!--#include virtual="/nope" stub="b" -->`,
	"p-block-nested.html": `<!--#if expr="" --><!--#block name="b" -->in<!--#endblock -->out<!--#endif -->`,
	"p-if-skip.html":      `<!--#if expr="" -->A<!--#foo --><!--#if expr="1" -->B<!--#else -->C<!--#endif -->D`,
	"p-set-vars.html":     `<!--#set var="a" value="1" --><!--#set var="b" value="${a}2$a" --><!--#echo var="b" -->`,
	"p-if-lower.html":     `<!--#if expr="$ARG_A = ABC" -->L<!--#else -->U<!--#endif -->`,
	"p-echo-cap.html":     `<!--#echo var="1" --><!--#if expr="$arg_a = /(a)|(b)/" --><!--#echo var="1" -->,<!--#echo var="2" -->,<!--#echo var="0" --><!--#endif -->`,
	"add/page.html":       `[<!--#echo var="arg_a" -->]`,
}

var oracleURIs = []string{
	"/test1.html", "/test1.html?test=", "/test1.html?test=test", "/test2.html", "/set.html",
	"/enc-none.html", "/enc-url.html", "/enc-entity.html", "/enc-sticky.html", "/default.html",
	"/upper.html?a=1", "/if.html?if=1&elif=1", "/if.html?elif=1", "/if.html", "/if-eq.html?v=equal",
	"/if-eq.html?v=other", "/if-re.html?v=hereCAP1andCAP2", "/if-re.html?v=CAP1", "/if-named.html?v=12abc9",
	"/if-nre.html?v=ba", "/if-nre.html?v=ab", "/if-slash.html?v=/x", "/if-badre.html?v=a", "/if-badexpr.html",
	"/if-unclosed.html", "/ifif.html", "/else.html", "/endif.html", "/unknown.html", "/param.html",
	"/mandatory.html", "/dup.html", "/both.html", "/noparam.html", "/setstub.html", "/waitfile.html",
	"/waitbad.html", "/unsafe.html", "/nostub.html", "/badvar.html", "/malformed.html", "/errmsg.html",
	"/silent/err.html", "/toomany.html", "/short/long.html", "/nested.html", "/dir/rel.html",
	"/waited.html", "/stub.html", "/stubif.html?if=1", "/stubif.html", "/set-local.html",
	"/set-proxy.html", "/set-404.html", "/set-empty.html", "/set-ok.html", "/text/a.txt?a=1",
	"/plain/a.txt?a=1", "/lm/a.html?a=1", "/nossi/a.html?a=1", "/pssi/main.html", "/esc.html",
	"/big.html?b=B", "/cycle.html", "/add/page.html?a=1",
}

func TestOracleSSI(t *testing.T) {
	root := t.TempDir()
	write := func(name, content string) {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0644); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		write(name, content)
	}
	for name, content := range oracleFiles {
		write(name, content)
	}
	write("big.html", strings.Repeat("a", 32760)+`<!--#echo var="arg_b" -->`+strings.Repeat("z", 40000)+`<!--#echo var="arg_b" -->`)
	conf := strings.ReplaceAll(oracleConf, "%%ROOT%%", root)
	ngx := oracle.Start(t, conf)
	s := servertest.Start(t, "events {}\n"+strings.NewReplacer("%%PORT_0%%", "%%PORT_A%%", "%%PORT_1%%", "%%PORT_B%%").Replace(conf))
	cmp := oracle.DefaultComparison()
	uris := append([]string(nil), oracleURIs...)
	for name := range oracleFiles {
		if strings.HasPrefix(name, "p-") {
			uris = append(uris, "/"+name+"?a=abc")
		}
	}
	for _, uri := range uris {
		for _, proto := range []string{"HTTP/1.0", "HTTP/1.1"} {
			req := "GET " + uri + " " + proto + "\r\nHost: localhost\r\nConnection: close\r\n\r\n"
			t.Run(strings.ReplaceAll(uri, "/", "_")+"_"+proto[5:], func(t *testing.T) {
				oracle.Compare(t, req, ngx.Addr(0), s.Addr("A"), cmp)
			})
		}
	}
}
