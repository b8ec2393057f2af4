package autoindex_test

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const autoConf = `
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
        root %%PREFIX%%/html;
        autoindex on;
        location /json/ { alias %%PREFIX%%/html/; autoindex_format json; }
        location /jsonp/ { alias %%PREFIX%%/html/; autoindex_format jsonp; }
        location /xml/ { alias %%PREFIX%%/html/; autoindex_format xml; }
        location /off/ { alias %%PREFIX%%/html/; autoindex off; }
        location /inexact/ { alias %%PREFIX%%/html/; autoindex_exact_size off; }
        location /withindex/ { }
    }
}
`

var mtime = time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)

func tree(t *testing.T, prefix string) {
	t.Helper()
	for name, body := range map[string]string{
		"html/b.txt":                "bbb",
		"html/a.txt":                "a",
		"html/.hidden":              "h",
		"html/sub/f":                "f",
		"html/q\"uote<&>.txt":       "q",
		"html/big.bin":              strings.Repeat("x", 20000),
		"html/withindex/index.html": "the index\n",
		"html/withindex/other.html": "other\n",
	} {
		p := filepath.Join(prefix, name)
		if err := os.MkdirAll(filepath.Dir(p), 0755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(filepath.Join(prefix, "html/sub"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func TestAutoindex(t *testing.T) {
	s := servertest.Start(t, autoConf)
	tree(t, s.Prefix())
	tests := []struct {
		name, req   string
		status      int
		contentType string
		inBody      []string
		notInBody   []string
		check       func(t *testing.T, body []byte)
	}{
		{name: "html", req: "GET / HTTP/1.0\r\n\r\n", status: 200, contentType: "text/html",
			inBody: []string{
				"<html>\r\n<head><title>Index of /</title></head>\r\n<body>\r\n<h1>Index of /</h1><hr><pre><a href=\"../\">../</a>\r\n<a href=\"sub/\">sub/</a>",
				"<a href=\"a.txt\">a.txt</a>" + strings.Repeat(" ", 45) + " 04-Mar-2021 05:06" + strings.Repeat(" ", 19) + "1\r\n",
				`<a href="q%22uote%3C%26%3E.txt">q&quot;uote&lt;&amp;&gt;.txt</a>`,
				"</pre><hr></body>\r\n</html>\r\n"},
			notInBody: []string{".hidden"}},
		{name: "html order", req: "GET / HTTP/1.0\r\n\r\n", status: 200,
			check: func(t *testing.T, body []byte) {
				b := string(body)
				order := []string{`"sub/"`, `"a.txt"`, `"b.txt"`, `"big.bin"`, `"q%22`}
				last := -1
				for _, o := range order {
					i := strings.Index(b, o)
					if i <= last {
						t.Errorf("%s out of order in\n%s", o, b)
					}
					last = i
				}
			}},
		{name: "inexact size", req: "GET /inexact/ HTTP/1.0\r\n\r\n", status: 200,
			inBody: []string{" 04-Mar-2021 05:06     20K\r\n", " 04-Mar-2021 05:06       -\r\n", " 04-Mar-2021 05:06       3\r\n"}},
		{name: "head", req: "HEAD / HTTP/1.0\r\n\r\n", status: 200, contentType: "text/html"},
		{name: "post declined", req: "POST / HTTP/1.0\r\n\r\n", status: 403},
		{name: "off", req: "GET /off/ HTTP/1.0\r\n\r\n", status: 403},
		{name: "index wins", req: "GET /withindex/ HTTP/1.0\r\n\r\n", status: 200, inBody: []string{"the index"}},
		{name: "missing directory", req: "GET /nosuch/ HTTP/1.0\r\n\r\n", status: 404},
		{name: "json", req: "GET /json/ HTTP/1.0\r\n\r\n", status: 200, contentType: "application/json",
			check: func(t *testing.T, body []byte) {
				var list []map[string]any
				if err := json.Unmarshal(body, &list); err != nil {
					t.Fatalf("invalid JSON %v:\n%s", err, body)
				}
				if len(list) != 6 || list[0]["name"] != "sub" || list[0]["type"] != "directory" || list[1]["name"] != "withindex" ||
					list[2]["name"] != "a.txt" || list[2]["size"] != 1.0 || list[2]["mtime"] != "Thu, 04 Mar 2021 05:06:07 GMT" {
					t.Errorf("listing %v", list)
				}
				if _, ok := list[0]["size"]; ok {
					t.Errorf("directory with a size: %v", list[0])
				}
			}},
		{name: "jsonp", req: "GET /jsonp/?callback=cb.x HTTP/1.0\r\n\r\n", status: 200, contentType: "application/javascript",
			check: func(t *testing.T, body []byte) {
				b := string(body)
				if !strings.HasPrefix(b, "/* callback */\r\ncb.x([") || !strings.HasSuffix(b, "]);") {
					t.Errorf("body %q", b)
				}
			}},
		{name: "jsonp without callback is json", req: "GET /jsonp/?other=1 HTTP/1.0\r\n\r\n", status: 200, contentType: "application/json"},
		{name: "jsonp bad callback", req: "GET /jsonp/?callback=alert(1) HTTP/1.0\r\n\r\n", status: 400},
		{name: "xml", req: "GET /xml/ HTTP/1.0\r\n\r\n", status: 200, contentType: "text/xml; charset=utf-8",
			inBody: []string{`<directory mtime="2021-03-04T05:06:07Z">sub</directory>`, `<file mtime="2021-03-04T05:06:07Z" size="3">b.txt</file>`},
			check: func(t *testing.T, body []byte) {
				var v struct {
					Files []string `xml:"file"`
				}
				if err := xml.Unmarshal(body, &v); err != nil {
					t.Fatalf("invalid XML %v:\n%s", err, body)
				}
				if len(v.Files) != 4 || v.Files[3] != `q"uote<&>.txt` {
					t.Errorf("files %q", v.Files)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testutil.Dial(t, s.Addr("A"))
			defer c.Close()
			if err := c.WriteString(tc.req); err != nil {
				t.Fatal(err)
			}
			read := c.ReadResponse
			if strings.HasPrefix(tc.req, "HEAD") {
				read = c.ReadHeadResponse
			}
			resp, err := read()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.status, resp)
			}
			if tc.contentType != "" && resp.Get("Content-Type") != tc.contentType {
				t.Errorf("Content-Type %q, want %q", resp.Get("Content-Type"), tc.contentType)
			}
			for _, want := range tc.inBody {
				if !strings.Contains(string(resp.Body), want) {
					t.Errorf("body lacks %q:\n%s", want, resp.Body)
				}
			}
			for _, no := range tc.notInBody {
				if strings.Contains(string(resp.Body), no) {
					t.Errorf("body has %q", no)
				}
			}
			if tc.check != nil {
				tc.check(t, resp.Body)
			}
		})
	}
	html := filepath.Join(s.Prefix(), "html")
	// every file opened was closed: no descriptor still points into the tree
	testutil.CheckNoFDsUnder(t, html)
}
