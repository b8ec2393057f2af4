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

// randomNextAnswers are the answers the two upstreams of
// TestDiffRandomNextUpstream draw from: a good one, error statuses, an
// invalid head, a close before the head, a close inside the body, 204.
var randomNextAnswers = []string{
	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 500 Oops\r\nContent-Length: 4\r\n\r\nfail",
	"HTTP/1.1 502 Bad\r\nContent-Length: 4\r\n\r\nfail",
	"HTTP/1.1 503 Busy\r\nRetry-After: 1\r\nContent-Length: 4\r\n\r\nfail",
	"HTTP/1.1 504 Late\r\nContent-Length: 4\r\n\r\nfail",
	"HTTP/1.1 404 Nope\r\nContent-Length: 4\r\n\r\nnope",
	"HTTP/1.1 403 No\r\nContent-Length: 2\r\n\r\nno",
	"HTTP/1.1 429 Slow\r\nContent-Length: 4\r\n\r\nslow",
	"HTTP/1.1 200 OK\r\nBad\x01: x\r\nContent-Length: 2\r\n\r\nok",
	"",
	"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
	"HTTP/1.1 204 No Content\r\n\r\n",
}

// TestDiffRandomNextUpstream sends requests through nginx and sluice to a
// pair of upstreams (the second a backup, neither ever marked down) whose
// answers are drawn at random (fixed seed), under several
// proxy_next_upstream settings (the default; every condition; off;
// non_idempotent with one try; with intercepted errors), as GET over
// HTTP/1.1 and HTTP/1.0, HEAD and POST, and compares the answers (with
// $upstream_status and $upstream_addr in a header) and the lines of the
// two error logs.
func TestDiffRandomNextUpstream(t *testing.T) { diffRandomNextUpstream(t, 1, 60) }

// diffRandomNextUpstream is TestDiffRandomNextUpstream with a seed and a
// number of answer pairs.
func diffRandomNextUpstream(t *testing.T, seed uint64, cases int) {
	rng := rand.New(rand.NewPCG(seed, 41))
	outA, outB := map[string][]string{}, map[string][]string{}
	sent := map[string][2]string{}
	names := make([]string, cases)
	for i := range names {
		names[i] = fmt.Sprintf("/n%d", i)
		a := randomNextAnswers[rng.IntN(len(randomNextAnswers))]
		b := randomNextAnswers[rng.IntN(len(randomNextAnswers))]
		outA[names[i]], outB[names[i]] = []string{a}, []string{b}
		sent[names[i]] = [2]string{a, b}
	}
	a, b := startRaw(t, outA), startRaw(t, outB)
	conf := strings.NewReplacer("BACKEND_A", a.Addr(), "BACKEND_B", b.Addr()).Replace(`
http {
    upstream pair {
        server BACKEND_A max_fails=0;
        server BACKEND_B max_fails=0 backup;
    }
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        add_header X-Up "$upstream_status|$upstream_addr" always;
        location /a/ {
            proxy_pass http://pair/;
        }
        location /b/ {
            proxy_pass http://pair/;
            proxy_next_upstream error timeout invalid_header http_500 http_502 http_503 http_504 http_404 http_403 http_429;
        }
        location /c/ {
            proxy_pass http://pair/;
            proxy_next_upstream off;
        }
        location /d/ {
            proxy_pass http://pair/;
            proxy_next_upstream error invalid_header http_500 non_idempotent;
            proxy_next_upstream_tries 1;
        }
        location /e/ {
            proxy_pass http://pair/;
            proxy_next_upstream error invalid_header http_404 http_500 non_idempotent;
            proxy_intercept_errors on;
            error_page 404 500 502 = /fallback;
        }
        location = /fallback {
            return 200 "fallback\n";
        }
    }
}
`)
	n := oracle.Start(t, conf)
	// nginx since 1.29 keeps connections to an upstream group by default
	// (sluice follows); nginx 1.22, the oracle, does not, and refuses
	// "keepalive 0"
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+
		strings.Replace(conf, "upstream pair {", "upstream pair {\n        keepalive 0;", 1))
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-Up", "Retry-After")
	cmp.CloseWait = 300 * time.Millisecond
	t.Run("answers", func(t *testing.T) {
		for _, prefix := range []string{"/a", "/b", "/c", "/d", "/e"} {
			for i, name := range names {
				path := prefix + name
				if i%4 != 3 {
					oracle.CompareVariant(t, path, i, n.Addr(0), s.Addr("0"), cmp, sent[name])
					continue
				}
				req := "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
				oracle.CompareRequest(t, path, req, n.Addr(0), s.Addr("0"), cmp, fmt.Sprintf("the backends sent %q", sent[name]))
			}
		}
	})
	oracle.CompareErrorLogs(t, n.ErrorLog(), s.ErrorLog())
}
