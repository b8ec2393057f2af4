package ssi_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// randomSSIParts are what randomSSI builds documents from: text and
// near-misses of the command syntax, and commands with their parameters
// drawn from the lists below (names, values, spacing, quotes).
var (
	randomSSIText = []string{"abc", "<", "<!", "<!-", "<!--", "-->", "--", "<!-- c -->", "\n", " ", "<!--#", "<!--#-->"}
	randomSSIVars = []string{"arg_a", "v", "w", "undefined_x", "1", "uri", "a b", "", "date_local"}
	randomSSIVals = []string{"x", "$arg_a", "${v}y", `a\"b`, "<&>", "", "$", "${", "$1", "a b"}
	randomSSIExpr = []string{"$arg_a", "", "$arg_a = abc", "$arg_a != x", "$arg_a = /a(b)c/", "$arg_a = /(?<n>b)/",
		"!$arg_a", "$v = x", "$v", "/bad(/", "$arg_a = /", "x = y", "$undefined_x"}
)

// randomSSICommand is one command: a known one with parameters drawn at
// random, now and then misspelt, with a parameter missing, doubled or
// unknown, or spaced and quoted oddly. Left out, where sluice does not
// follow nginx: "block" and "endblock" on their own (randomSSI writes
// whole blocks of plain text): a block holding commands runs them when a
// stub outputs it, in the included subrequest, and nginx runs its
// subrequests only once the filter is through the buffer at hand, where
// sluice runs each at its include (docs/compat.md); an empty errmsg
// (nginx then makes an empty buffer, logs "zero size buf in writer" and
// cuts the response).
func randomSSICommand(rng *rand.Rand) string {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	var name string
	var params [][2]string
	switch rng.IntN(9) {
	case 0, 1:
		name = "echo"
		params = append(params, [2]string{"var", pick(randomSSIVars)})
		if rng.IntN(3) == 0 {
			params = append(params, [2]string{"default", pick(randomSSIVals)})
		}
		if rng.IntN(3) == 0 {
			params = append(params, [2]string{"encoding", pick([]string{"none", "url", "entity", "bad"})})
		}
	case 2:
		name = "set"
		params = append(params, [2]string{"var", pick([]string{"v", "w"})}, [2]string{"value", pick(randomSSIVals)})
	case 3:
		name = pick([]string{"if", "elif"})
		params = append(params, [2]string{"expr", pick(randomSSIExpr)})
	case 4:
		name = pick([]string{"else", "endif", "endif"})
	case 5:
		name = "include"
		params = append(params, [2]string{"virtual", pick([]string{"/ret", "/nope", "/ret?x=$arg_a", "ret"})})
		if rng.IntN(3) == 0 {
			params = append(params, [2]string{"stub", pick([]string{"b", "none"})})
		}
		if rng.IntN(4) == 0 {
			params = append(params, [2]string{"set", "v"})
		}
	case 6, 7:
		name = "config"
		params = append(params, [2]string{pick([]string{"errmsg", "timefmt"}), pick([]string{"E!", "%Y"})})
	default:
		name = pick([]string{"unknown", "ECHO", "echo_", strings.Repeat("c", 40)})
	}
	switch rng.IntN(12) {
	case 0:
		if len(params) > 0 {
			params = params[1:] // a mandatory one missing
		}
	case 1:
		if len(params) > 0 {
			params = append(params, params[0]) // doubled
		}
	case 2:
		params = append(params, [2]string{pick([]string{"x", strings.Repeat("p", 40)}), "1"})
	}
	var b strings.Builder
	b.WriteString("<!--#")
	b.WriteString(name)
	for _, p := range params {
		b.WriteString(pick([]string{" ", " ", "\t", "\n", "  "}))
		b.WriteString(p[0])
		switch rng.IntN(20) {
		case 0:
			b.WriteString("=" + p[1]) // unquoted
		case 1:
			b.WriteString(" = \"" + p[1] + "\"")
		case 2:
			b.WriteString("='" + p[1] + "'")
		default:
			b.WriteString("=\"" + p[1] + "\"")
		}
	}
	b.WriteString(pick([]string{" -->", " -->", "-->", "  -->", " --->", " ->"}))
	return b.String()
}

// randomSSI builds a document of up to sixteen parts: text and near
// misses, commands, and now and then a whole if/elif/else/endif or a
// block used as a stub.
func randomSSI(rng *rand.Rand) string {
	var b strings.Builder
	for range 1 + rng.IntN(16) {
		switch rng.IntN(6) {
		case 0, 1:
			b.WriteString(randomSSIText[rng.IntN(len(randomSSIText))])
		case 2:
			fmt.Fprintf(&b, `<!--#if expr="%s" -->I<!--#elif expr="%s" -->E<!--#else -->L<!--#endif -->`,
				randomSSIExpr[rng.IntN(len(randomSSIExpr))], randomSSIExpr[rng.IntN(len(randomSSIExpr))])
		case 3:
			b.WriteString(`<!--#block name="b" -->stub<!--#endblock --><!--#include virtual="/nope" stub="b" -->`)
		default:
			b.WriteString(randomSSICommand(rng))
		}
	}
	return b.String()
}

// TestDiffRandomSSI serves SSI documents drawn at random (fixed seed)
// through nginx and sluice, with and without ssi_silent_errors, as GET
// over HTTP/1.1 and HTTP/1.0 and as HEAD, and compares the answers and the
// lines of the two error logs.
func TestDiffRandomSSI(t *testing.T) { diffRandomSSI(t, 1, 80) }

// diffRandomSSI is TestDiffRandomSSI with a seed and a number of
// documents.
func diffRandomSSI(t *testing.T, seed uint64, cases int) {
	rng := rand.New(rand.NewPCG(seed, 23))
	root := t.TempDir()
	docs := map[string]string{}
	names := make([]string, cases)
	for i := range names {
		names[i] = fmt.Sprintf("/d%d.html", i)
		docs[names[i]] = randomSSI(rng)
		for _, dir := range []string{"", "silent"} {
			path := filepath.Join(root, dir, names[i])
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(docs[names[i]]), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	conf := strings.ReplaceAll(`
http {
    types { text/html html; }
    root %%ROOT%%;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location / { ssi on; }
        location /silent/ { ssi on; ssi_silent_errors on; }
        location = /ret { return 200 "RET($arg_x)"; }
    }
}
`, "%%ROOT%%", root)
	n := oracle.Start(t, conf)
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+conf)
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = 300 * time.Millisecond
	t.Run("answers", func(t *testing.T) {
		for _, prefix := range []string{"", "/silent"} {
			for i, name := range names {
				oracle.CompareVariant(t, prefix+name+"?a=abc", i, n.Addr(0), s.Addr("0"), cmp, docs[name])
			}
		}
	})
	oracle.CompareErrorLogs(t, n.ErrorLog(), s.ErrorLog())
}
