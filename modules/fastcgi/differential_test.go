package fastcgi_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// diffConf is served by Debian's nginx and by sluice in front of the same
// backends: GOFCGI is Go's net/http/fcgi, RAW a scripted FastCGI server
// that answers by REQUEST_URI.
const diffConf = `
http {
    fastcgi_param REQUEST_URI $request_uri;
    fastcgi_param REQUEST_METHOD $request_method;
    fastcgi_param SCRIPT_NAME $fastcgi_script_name;
    fastcgi_param SERVER_PROTOCOL $server_protocol;
    fastcgi_param CONTENT_LENGTH $content_length;
    fastcgi_param QUERY_STRING $query_string;

    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;

        location / {
            fastcgi_pass GOFCGI;
        }
        location /unbuf/ {
            fastcgi_pass GOFCGI;
            fastcgi_buffering off;
        }
        location /raw/ {
            fastcgi_pass RAW;
        }
        location /rawunbuf/ {
            fastcgi_pass RAW;
            fastcgi_buffering off;
        }
        location /keep/ {
            fastcgi_pass RAW;
            fastcgi_keep_conn on;
        }
        location /keepunbuf/ {
            fastcgi_pass RAW;
            fastcgi_keep_conn on;
            fastcgi_buffering off;
        }
        location /catch/ {
            fastcgi_pass RAW;
            fastcgi_catch_stderr FATAL;
        }
        location /intercept/ {
            fastcgi_pass RAW;
            fastcgi_intercept_errors on;
            error_page 404 = /fallback;
        }
        location = /fallback {
            return 200 "fallback\n";
        }
        location /hide/ {
            fastcgi_pass RAW;
            fastcgi_hide_header X-Secret;
            fastcgi_pass_header X-Accel-Expires;
        }
    }
}
`

// rawAnswers are the scripted answers, by REQUEST_URI without the
// location prefix; several pieces arrive in separate reads.
var rawAnswers = map[string][]string{
	"/ok":          {stdout("Content-Type: text/plain\r\nX-Secret: s\r\nX-Accel-Expires: 5\r\n\r\nok\n") + stdout("") + endRequest()},
	"/stderr":      {stderr("PHP Notice: something\n") + stdout("Content-Type: text/plain\r\n\r\nafter stderr\n") + stderr("late\r\n") + stdout("") + endRequest()},
	"/badversion":  {"\x02\x06\x00\x01\x00\x00\x00\x00"},
	"/badtype":     {"\x01\x05\x00\x01\x00\x00\x00\x00"},
	"/close":       {""},
	"/stdoutclose": {stdout("X-A: b\r\n") + stdout("") + endRequest()},
	"/big":         {stdout("X-Big: " + strings.Repeat("b", 5000) + "\r\n\r\n")},
	"/split":       {"\x01\x06\x00", "\x01\x00\x1b\x05\x00Status: 201 Cre", "ated\r\n\r\nbody\x00\x00\x00", "\x00\x00", stdout("") + endRequest()},
	"/short":       {stdout("Content-Type: text/plain\r\nContent-Length: 100\r\n\r\nshort\n") + stdout("") + endRequest()},
	"/extra":       {stdout("Content-Type: text/plain\r\nContent-Length: 3\r\n\r\nabcdef") + stdout("") + endRequest() + "garbage"},
	"/status":      {stdout("Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnot here\n") + stdout("") + endRequest()},
	"/badstatus":   {stdout("Status: abc\r\n\r\n") + stdout("") + endRequest()},
	"/location":    {stdout("Location: http://example.com/x\r\n\r\n") + stdout("") + endRequest()},
	"/fatal":       {stderr("PHP FATAL error\n") + stdout("\r\nbody") + stdout("") + endRequest()},
	"/badheader":   {stdout("Bad Header\x01: x\r\n\r\n") + stdout("") + endRequest()},
	"/nocolon":     {stdout("Content-Type: text/plain\r\nJustName\r\n\r\nx") + stdout("") + endRequest()},
	"/midclose":    {stdout("Content-Type: text/plain\r\n\r\npartial body\n")},
	"/badbody":     {stdout("Content-Type: text/plain\r\n\r\nfirst\n") + "\x01\x09\x00\x01\x00\x00\x00\x00"},
	"/lf":          {stdout("Status: 202 Accepted\nContent-Type: text/plain\n\nlf only\n") + stdout("") + endRequest()},
	// the head's size counts records as read, framing included: 1,000
	// bytes of head in two-byte records fill nginx's 4k buffer
	"/framedbig": {inRecords("X-Pad: "+strings.Repeat("p", 991)+"\r\n\r\nbody\n", 2) + stdout("") + endRequest()},
	// a long FCGI_STDERR before any FCGI_STDOUT frees the buffer, one
	// after it does not (one write each: where reads end decides how the
	// stderr is cut into log lines)
	"/stderrfirst": {stderr(strings.Repeat("e", 3000)) + stderr(strings.Repeat("f", 3000)) +
		stdout("Content-Type: text/plain\r\n\r\nafter stderr\n") + stdout("") + endRequest()},
	"/stderrmidhead": {stdout("Content-Type: text/plain\r\n") + stderr(strings.Repeat("e", 3000)) + stderr(strings.Repeat("f", 3000)) +
		stdout("\r\nafter stderr\n") + stdout("") + endRequest()},
}

// inRecords frames content in FCGI_STDOUT records of n bytes.
func inRecords(content string, n int) string {
	var b strings.Builder
	for len(content) > 0 {
		k := min(n, len(content))
		b.WriteString(stdout(content[:k]))
		content = content[k:]
	}
	return b.String()
}

func rawAnswer(req *fcgiRequest) []string {
	uri := req.params["REQUEST_URI"]
	if i := strings.IndexByte(uri[1:], '/'); i >= 0 {
		uri = uri[i+1:]
	}
	if a, ok := rawAnswers[uri]; ok {
		return a
	}
	return []string{stdout("Status: 500 Unknown\r\n\r\n") + stdout("") + endRequest()}
}

func goHandler(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimPrefix(r.URL.Path, "/unbuf") {
	case "/":
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<p>index</p>\n"))
	case "/big":
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(strings.Repeat("0123456789", 50000)))
	case "/post":
		body := make([]byte, 0, 1024)
		buf := make([]byte, 4096)
		for {
			n, err := r.Body.Read(buf)
			body = append(body, buf[:n]...)
			if err != nil {
				break
			}
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(r.Method + " " + r.URL.RawQuery + " " + string(body)))
	case "/redirect":
		http.Redirect(w, r, "/there", http.StatusMovedPermanently)
	case "/notfound":
		http.NotFound(w, r)
	case "/cookie":
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "b"})
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		w.Write([]byte("cookie\n"))
	}
}

func TestDifferential(t *testing.T) {
	g := startFCGI(t, http.HandlerFunc(goHandler))
	raw := startRaw(t, false, rawAnswer)
	conf := strings.NewReplacer("GOFCGI", g.Addr().String(), "RAW", raw.addr()).Replace(diffConf)
	n := oracle.Start(t, conf)
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+conf)

	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-Secret", "X-Accel-Expires", "Status", "X-A", "X-Big")
	cmp.Normalize["location"] = func(v string) string { return portRE.ReplaceAllString(v, ":<port>/") }
	tests := []struct {
		name string
		req  string
		head bool
	}{
		{name: "go index", req: "GET / HTTP/1.0\r\n\r\n"},
		{name: "go index keepalive", req: "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"},
		{name: "go head", req: "HEAD / HTTP/1.0\r\n\r\n", head: true},
		{name: "go big", req: "GET /big HTTP/1.0\r\n\r\n"},
		{name: "go big unbuffered", req: "GET /unbuf/big HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "go post", req: "POST /post?x=1 HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello"},
		{name: "go chunked post", req: "POST /post HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"},
		{name: "go redirect", req: "GET /redirect HTTP/1.0\r\n\r\n"},
		{name: "go not found", req: "GET /notfound HTTP/1.0\r\n\r\n"},
		{name: "go cookie", req: "GET /cookie HTTP/1.0\r\n\r\n"},
	}
	for uri := range rawAnswers {
		tests = append(tests, struct {
			name string
			req  string
			head bool
		}{name: "raw " + uri, req: "GET /raw" + uri + " HTTP/1.0\r\n\r\n"})
	}
	tests = append(tests, []struct {
		name string
		req  string
		head bool
	}{
		{name: "keep conn mid-body close", req: "GET /keep/midclose HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "keep conn unbuffered mid-body close", req: "GET /keepunbuf/midclose HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "keep conn ok", req: "GET /keep/ok HTTP/1.0\r\n\r\n"},
		{name: "keep conn stderr", req: "GET /keep/stderr HTTP/1.0\r\n\r\n"},
		{name: "unbuffered mid-body close", req: "GET /rawunbuf/midclose HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "unbuffered short", req: "GET /rawunbuf/short HTTP/1.0\r\n\r\n"},
		{name: "unbuffered extra", req: "GET /rawunbuf/extra HTTP/1.0\r\n\r\n"},
		{name: "unbuffered stderr", req: "GET /rawunbuf/stderr HTTP/1.0\r\n\r\n"},
		{name: "catch stderr", req: "GET /catch/fatal HTTP/1.0\r\n\r\n"},
		{name: "stderr not caught", req: "GET /catch/stderr HTTP/1.0\r\n\r\n"},
		{name: "intercepted 404", req: "GET /intercept/status HTTP/1.0\r\n\r\n"},
		{name: "hide and pass headers", req: "GET /hide/ok HTTP/1.0\r\n\r\n"},
		{name: "head raw", req: "HEAD /raw/ok HTTP/1.0\r\n\r\n", head: true},
	}...)
	slices.SortFunc(tests, func(a, b struct {
		name string
		req  string
		head bool
	}) int {
		return strings.Compare(a.name, b.name)
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cmp
			c.NoBody = tc.head
			oracle.Compare(t, tc.req, n.Addr(0), s.Addr("0"), c)
		})
	}
	want, got := logLines(n.ErrorLog()), logLines(s.ErrorLog())
	if !slices.Equal(want, got) {
		t.Errorf("error log lines differ\nnginx:\n%s\nsluice:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}

var portRE = regexp.MustCompile(`:[0-9]+/`)

// logLines returns oracle.ErrorLines without the info lines: the
// request lines of levels warn to error, without time, pid and
// connection number, with ports masked, sorted.
func logLines(log string) []string {
	var out []string
	for _, l := range oracle.ErrorLines(log) {
		if !strings.HasPrefix(l, "[info] ") {
			out = append(out, l)
		}
	}
	return out
}
