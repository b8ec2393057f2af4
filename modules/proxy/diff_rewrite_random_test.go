package proxy_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// randomRedirectHead builds the head of an upstream answer with a
// Location, a Refresh and up to three Set-Cookie lines drawn at random
// (each now and then missing), for proxy_redirect and proxy_cookie_* to
// rewrite; BACKEND stands for the upstream's address.
func randomRedirectHead(rng *rand.Rand) string {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	locations := []string{"http://BACKEND/x", "http://BACKEND/app/y?z=1", "http://backend.example/app/", "/app/rel",
		"app/rel", "http://other/app/p", "https://BACKEND/x", "http://BACKEND", "HTTP://BACKEND/X", "http://BACKEND/app",
		"http://BACKEND/app/", "", "http://BACKEND/a%20b", "//BACKEND/x"}
	var b strings.Builder
	b.WriteString(pick([]string{"HTTP/1.1 302 Found", "HTTP/1.1 301 Moved", "HTTP/1.1 200 OK", "HTTP/1.1 201 Created"}) + "\r\n")
	if rng.IntN(4) > 0 {
		b.WriteString("Location: " + pick(locations) + "\r\n")
	}
	if rng.IntN(3) == 0 {
		b.WriteString("Refresh: " + pick([]string{"5; url=", "5;url=", "0; URL=", "5; Url = ", "3"}) + pick(locations) + "\r\n")
	}
	for range rng.IntN(4) {
		attrs := []string{
			pick([]string{"Domain=backend.example", "domain=.backend.example", "Domain=BACKEND.EXAMPLE", "Domain=other.example", "Domain = backend.example", "Domain="}),
			pick([]string{"Path=/app/", "path=/app/x", "Path=/", "Path=/other", "Path=/app", "PATH=/APP/"}),
			pick([]string{"Secure", "secure", "HttpOnly", "SameSite=Lax", "samesite=none", "Expires=Thu, 01 Jan 2099 00:00:00 GMT", "Max-Age=10"}),
		}
		rng.Shuffle(len(attrs), func(i, j int) { attrs[i], attrs[j] = attrs[j], attrs[i] })
		attrs = attrs[:rng.IntN(len(attrs)+1)]
		cookie := pick([]string{"a=1", "b=two", "sid=x; ", "a=", "=v"})
		for _, a := range attrs {
			cookie = strings.TrimSuffix(cookie, " ")
			if !strings.HasSuffix(cookie, ";") {
				cookie += ";"
			}
			cookie += pick([]string{" ", " ", "", "  "}) + a
		}
		b.WriteString("Set-Cookie: " + cookie + "\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

// TestDiffRandomRewrites sends upstream answers with Location, Refresh and
// Set-Cookie values drawn at random (fixed seed) through nginx and sluice
// with proxy_redirect (default, explicit, regular expressions, variables,
// off) and proxy_cookie_domain, proxy_cookie_path and proxy_cookie_flags
// (plain, regular expressions, variables, off), and compares the answers
// (the servers' own ports masked) and the lines of the two error logs.
func TestDiffRandomRewrites(t *testing.T) { diffRandomRewrites(t, 1, 60) }

// diffRandomRewrites is TestDiffRandomRewrites with a seed and a number of
// answers.
func diffRandomRewrites(t *testing.T, seed uint64, cases int) {
	rng := rand.New(rand.NewPCG(seed, 37))
	out := map[string][]string{}
	heads := map[string]string{}
	names := make([]string, cases)
	for i := range names {
		names[i] = fmt.Sprintf("/r%d", i)
		heads[names[i]] = randomRedirectHead(rng)
	}
	b := startRaw(t, out)
	for _, name := range names {
		head := strings.ReplaceAll(heads[name], "BACKEND", b.Addr())
		out[name], out["/app"+name] = []string{head}, []string{head}
	}
	conf := strings.ReplaceAll(`
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location /d/ {
            proxy_pass http://BACKEND/;
            proxy_cookie_domain backend.example front.example;
            proxy_cookie_path /app/ /;
        }
        location /e/ {
            proxy_pass http://BACKEND/app/;
            proxy_redirect http://BACKEND/app/ /e/;
            proxy_redirect ~^http://other(/.*)$ http://front$1;
            proxy_cookie_path ~^/app(/.*)?$ /e$1;
            proxy_cookie_flags ~ secure samesite=strict;
        }
        location /f/ {
            proxy_pass http://BACKEND/;
            proxy_redirect off;
            proxy_cookie_domain ~\.?backend\.example$ $host;
            proxy_cookie_flags a httponly nosecure;
            proxy_cookie_flags b nohttponly samesite=lax;
        }
        location /g/ {
            proxy_pass http://BACKEND/;
            proxy_redirect http://BACKEND/ $scheme://$host:$server_port/g/;
            proxy_redirect / /g/;
            proxy_cookie_domain off;
            proxy_cookie_path off;
        }
    }
}
`, "BACKEND", b.Addr())
	n := oracle.Start(t, conf)
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+conf)
	ports := strings.NewReplacer(":"+fmt.Sprint(n.Port(0))+"/", ":PORT/", ":"+s.Port("0")+"/", ":PORT/")
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "Refresh")
	cmp.CloseWait = 300 * time.Millisecond
	cmp.Normalize["location"] = ports.Replace
	cmp.Normalize["refresh"] = ports.Replace
	t.Run("answers", func(t *testing.T) {
		for _, prefix := range []string{"/d", "/e", "/f", "/g"} {
			for i, name := range names {
				oracle.CompareVariant(t, prefix+name, i, n.Addr(0), s.Addr("0"), cmp, heads[name])
			}
		}
	})
	oracle.CompareErrorLogs(t, n.ErrorLog(), s.ErrorLog())
}
