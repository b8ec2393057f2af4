package cgiup_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// randomCGIHead builds an SCGI or uwsgi answer (testutil.RandomCGIAnswer)
// cut into pieces never inside the first line: nginx 1.22 lost the start
// of a first line that was split and turned out not to be a status line.
func randomCGIHead(rng *rand.Rand) []string {
	answer := testutil.RandomCGIAnswer(rng)
	if answer == "" {
		return nil // closes at once
	}
	// cuts after the first line, so that it arrives whole
	first := strings.IndexByte(answer, '\n') + 1
	if first == 0 {
		first = len(answer)
	}
	return testutil.CutAnswer(rng, answer, first)
}

// startRawCGI starts an SCGI or uwsgi server that answers with the
// pieces out[PATH] (by REQUEST_URI's path; "<pause>" waits 30 ms) and
// closes 30 ms after the last.
func startRawCGI(t *testing.T, proto string, out map[string][]string) *testutil.Backend {
	read := testutil.ReadSCGI()
	if proto == "uwsgi" {
		read = testutil.ReadUWSGI()
	}
	return testutil.StartBackendFunc(t, func(int) testutil.Script {
		return testutil.Script{read, testutil.Pieces(func(c *testutil.BackendConn) ([]string, error) {
			path, _, _ := strings.Cut(c.LastRequest().Header("REQUEST_URI"), "?")
			path = strings.TrimPrefix(path, "/unbuf")
			pieces := out[path]
			if len(pieces) == 0 {
				return nil, nil
			}
			return append(pieces[:len(pieces):len(pieces)], "<pause>"), nil
		}, 30*time.Millisecond)}
	})
}

// TestDiffRandomCGIHeads sends SCGI and uwsgi answers drawn at random
// (fixed seed) through nginx and sluice, buffered and not, as GET over
// HTTP/1.1 and HTTP/1.0 and as HEAD, and compares what the client gets
// (status, headers, body, completeness, close) and the lines of the two
// error logs. It found X-Accel-Buffering ignored unless passed to the
// client (it was read where headers are copied, after the hide list), and
// X-Accel-Charset read too late: nginx reads both, and X-Accel-Limit-Rate,
// as each line arrives, so that the charset applies to the page of an
// X-Accel-Redirect and to the 502 of a head that turns out invalid.
func TestDiffRandomCGIHeads(t *testing.T) {
	for _, proto := range []string{"scgi", "uwsgi"} {
		t.Run(proto, func(t *testing.T) { diffRandomCGIHeads(t, proto, 6, 60) })
	}
}

// diffRandomCGIHeads is TestDiffRandomCGIHeads for one protocol, with a
// seed and a number of answers.
func diffRandomCGIHeads(t *testing.T, proto string, seed uint64, cases int) {
	rng := rand.New(rand.NewPCG(seed, 13))
	answers := map[string][]string{}
	names := make([]string, cases)
	for i := range names {
		names[i] = fmt.Sprintf("/h%d", i)
		answers[names[i]] = randomCGIHead(rng)
	}
	diffCGIAnswers(t, proto, names, answers)
}

// diffCGIAnswers sends the answers (by path, in the order of names)
// through nginx and sluice as diffRandomCGIHeads says.
func diffCGIAnswers(t *testing.T, proto string, names []string, answers map[string][]string) {
	b := startRawCGI(t, proto, answers)
	conf := strings.NewReplacer("PFX_", proto+"_", "BACKEND", b.Addr()).Replace(`
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        default_type text/plain;
        PFX_param REQUEST_URI $request_uri;
        PFX_read_timeout 5s;
        location / {
            PFX_pass BACKEND;
        }
        location /unbuf/ {
            PFX_buffering off;
            PFX_pass BACKEND;
        }
        location = /internal {
            internal;
            return 200 "internal\n";
        }
    }
}
`)
	n := oracle.Start(t, conf)
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+conf)
	cmp := comparison()
	cmp.Headers = append(cmp.Headers, "X-Foo", "X_Under", "X-Accel-Limit-Rate", "X-Accel-Expires", "X-Accel-Redirect",
		"X-Sp", "X-Ctl", "X-Hi", "X-Lower", "X-Dot.Name")
	cmp.CloseWait = 300 * time.Millisecond
	cmp.Normalize["date"] = oracle.PresentUnless("1970", "junk")
	t.Run("answers", func(t *testing.T) {
		for _, prefix := range []string{"", "/unbuf"} {
			for i, name := range names {
				oracle.CompareVariant(t, prefix+name, i, n.Addr(0), s.Addr("0"), cmp, answers[name])
			}
		}
	})
	oracle.CompareErrorLogs(t, n.ErrorLog(), s.ErrorLog())
}
