package proxy_test

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// randomBody builds an upstream answer whose body framing is drawn at
// random: chunked (sizes in odd but valid spellings, extensions, trailers,
// now and then one broken piece or an early close), Content-Length (exact,
// short or long), or no length (read to the close). The answer is written
// in pieces with a pause between them, so that the parsers meet their
// input split, and both servers read the same splits. Bare LF as a chunk line end is left out: nginx
// refuses it since 1.29.4 (sluice follows), nginx 1.22 (the oracle)
// takes it.
func randomBody(rng *rand.Rand) []string {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	data := func() string {
		n := 1 + rng.IntN(12)
		if rng.IntN(8) == 0 {
			n = 3000 + rng.IntN(6000)
		}
		return strings.Repeat(string(rune('a'+rng.IntN(26))), n)
	}
	status := pick([]string{"HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.0 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 500 Oops"})
	// out holds writes separated by pauses: pieces with no pause between
	// them go out in one write, so that each server reads the same splits
	var out []string
	// the head alone, half the time: its reader then sends the head on
	// before it meets the body
	pause := func() bool { return (len(out) == 1 || rng.IntN(4) == 0) && rng.IntN(2) == 0 }
	add := func(s string) { out = testutil.AddPiece(out, s, pause) }
	switch rng.IntN(3) {
	case 0:
		add(status + "\r\nTransfer-Encoding: chunked\r\n\r\n")
		broken := rng.IntN(4) == 0
		for i := range rng.IntN(4) {
			d := data()
			size := oddChunkSize(rng, len(d))
			line := size + "\r\n" + d + "\r\n"
			if broken && i == 0 {
				// short, so that what comes before it in its write was
				// all read at once: nginx reads what is there before it
				// writes, and a broken piece read with earlier data aborts
				// before any of it is sent; what sluice has sent by then
				// is a race between its reader and its writer
				d = d[:min(len(d), 12)]
				size = strconv.FormatInt(int64(len(d)), 16)
				// one of those, or the chunk cut by the close
				line = pick(append(brokenChunks(size, d), size+"\r\n"+d, size+"\r\n"+d[:len(d)/2]))
			}
			if rng.IntN(3) == 0 && len(line) > 4 {
				// split inside the size line or the data
				cut := 1 + rng.IntN(len(line)-1)
				add(line[:cut])
				out = append(out, "<pause>", line[cut:])
				continue
			}
			add(line)
		}
		switch rng.IntN(8) {
		case 0:
			// the upstream closes without the last chunk
		case 1:
			add("000\r\n\r\n")
		case 2:
			add("0;done\r\n\r\n")
		case 3:
			add("0\r\nX-Trailer: t\r\n\r\n")
		case 4:
			add("0\r\n\r\nextra after the last chunk")
		case 5:
			add("0\r\n")
			add("\r\n")
		default:
			add("0\r\n\r\n")
		}
	case 1:
		d := data()
		n := len(d)
		switch rng.IntN(4) {
		case 0:
			n += 1 + rng.IntN(5) // the upstream closes early
		case 1:
			n -= rng.IntN(len(d) + 1) // and sends more than it said
		}
		add(status + "\r\nContent-Length: " + strconv.Itoa(n) + "\r\n\r\n")
		if len(d) > 2 && rng.IntN(2) == 0 {
			add(d[:len(d)/2])
			add(d[len(d)/2:])
		} else {
			add(d)
		}
	default:
		add(status + "\r\n\r\n")
		for range 1 + rng.IntN(3) {
			add(data())
		}
	}
	return out
}

// oddChunkSize spells n as a chunk size line may, and nginx 1.22 and the
// nginx sluice follows both take: in upper case, with leading zeros, with
// an extension or white space after it, or plainly.
func oddChunkSize(rng *rand.Rand, n int) string {
	size := strconv.FormatInt(int64(n), 16)
	switch rng.IntN(6) {
	case 0:
		size = strings.ToUpper(size)
	case 1:
		size = "000" + size
	case 2:
		exts := []string{";ext", ";a=b", ";a=\"q;x\"", " ", "\t", " ;x"}
		size += exts[rng.IntN(len(exts))]
	}
	return size
}

// brokenChunks are chunks of the data d that nginx refuses: a size not in
// hex, in C's hex, negative or past 64 bits, or data not followed by CRLF.
func brokenChunks(size, d string) []string {
	return []string{"zz\r\n" + d + "\r\n", "0x" + size + "\r\n" + d + "\r\n", "-" + size + "\r\n" + d + "\r\n",
		size + "\r\n" + d + "XX\r\n", "ffffffffffffffffff\r\n" + d + "\r\n"}
}

// TestDiffRandomBodies sends upstream bodies of random framing (fixed
// seed) through nginx and sluice, buffered and not, to GET over HTTP/1.1
// and HTTP/1.0, and compares what the client gets: status, framing, body,
// whether it is complete and whether the connection closes. A body cut
// short or broken must reach the client as incomplete, never as a whole
// answer.
func TestDiffRandomBodies(t *testing.T) { diffRandomBodies(t, 11, 60) }

// diffRandomBodies is TestDiffRandomBodies with a seed and a number of
// answers.
func diffRandomBodies(t *testing.T, seed uint64, cases int) {
	rng := rand.New(rand.NewPCG(seed, 5))
	answers := map[string][]string{}
	names := make([]string, cases)
	for i := range names {
		names[i] = fmt.Sprintf("/b%d", i)
		answers[names[i]] = randomBody(rng)
	}
	b := startRaw(t, answers)
	server := func(listen string) string {
		return "http {\n    server {\n        listen 127.0.0.1:" + listen + ";\n        server_name localhost;\n" + strings.ReplaceAll(`
        proxy_read_timeout 5s;
        location / { proxy_pass http://BACKEND; }
        location /nobuf/ { proxy_buffering off; proxy_pass http://BACKEND/; }
        location /v11/ { proxy_http_version 1.1; proxy_pass http://BACKEND/; }
        location /v11nobuf/ { proxy_http_version 1.1; proxy_buffering off; proxy_pass http://BACKEND/; }
`, "BACKEND", b.Addr()) + "\n    }\n}\n"
	}
	ng := oracle.Start(t, "daemon off;\n"+server("%%PORT_0%%"))
	s := servertest.Start(t, "daemon off;\nevents {}\n"+server("%%PORT_A%%"))
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = 300 * time.Millisecond
	cmp.Trailers = true
	for _, prefix := range []string{"", "/nobuf", "/v11", "/v11nobuf"} {
		for i, name := range names {
			req := [...]string{
				"GET " + prefix + name + " HTTP/1.1\r\nHost: localhost\r\n\r\n",
				"GET " + prefix + name + " HTTP/1.0\r\nHost: localhost\r\n\r\n",
			}[i%2]
			t.Run(prefix+name, func(t *testing.T) {
				t.Parallel()
				oracle.Compare(t, req, ng.Addr(0), s.Addr("A"), cmp)
				if t.Failed() {
					t.Logf("the upstream sent %s", describePieces(answers[name]))
				}
			})
		}
	}
}

// describePieces quotes an answer's pieces, long runs of one letter cut
// to their length.
func describePieces(pieces []string) string {
	run := regexp.MustCompile(`([a-z])\1{15,}`)
	var b strings.Builder
	for _, p := range pieces {
		b.WriteString(strconv.Quote(run.ReplaceAllStringFunc(p, func(s string) string {
			return fmt.Sprintf("%c*%d", s[0], len(s))
		})) + " ")
	}
	return b.String()
}

// randomRequestBody builds a request with a body for one of the locations
// of TestDiffRandomRequestBodies: chunked (odd but valid size spellings,
// extensions, trailers, now and then a broken piece) or Content-Length
// (exact, or more bytes than announced). Bare LF in chunks is left out
// (nginx 1.29.4 and later refuse it, nginx 1.22 takes it), and so is a
// body shorter than its Content-Length (it costs a client_body_timeout).
func randomRequestBody(rng *rand.Rand) string {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	data := func() string {
		n := 1 + rng.IntN(12)
		if rng.IntN(6) == 0 {
			n = 100 + rng.IntN(3000)
		}
		return strings.Repeat(string(rune('a'+rng.IntN(26))), n)
	}
	loc := pick([]string{"/buf", "/nobuf", "/nobuf10", "/small", "/spill", "/discard"})
	var b strings.Builder
	b.WriteString(pick([]string{"POST", "PUT", "GET"}) + " " + loc + " HTTP/1.1\r\nHost: localhost\r\n")
	if rng.IntN(2) == 0 {
		b.WriteString("Connection: close\r\n")
	}
	if rng.IntN(3) == 0 {
		b.WriteString("Content-Type: text/plain\r\n")
	}
	if rng.IntN(2) == 0 {
		d := data()
		switch rng.IntN(5) {
		case 0:
			// more than announced: the rest is the next request
			b.WriteString("Content-Length: " + strconv.Itoa(len(d)/2) + "\r\n\r\n" + d)
		default:
			b.WriteString("Content-Length: " + strconv.Itoa(len(d)) + "\r\n\r\n" + d)
		}
		return b.String()
	}
	b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
	broken := rng.IntN(4) == 0
	for i := range rng.IntN(4) {
		d := data()
		size := oddChunkSize(rng, len(d))
		if broken && i == 0 {
			b.WriteString(pick(brokenChunks(size, d)))
			continue
		}
		b.WriteString(size + "\r\n" + d + "\r\n")
	}
	b.WriteString(pick([]string{"0\r\n\r\n", "0\r\n\r\n", "000\r\n\r\n", "0;x\r\n\r\n", "0\r\nX-T: t\r\n\r\n"}))
	return b.String()
}

// TestDiffRandomRequestBodies sends requests with bodies drawn at random
// (fixed seed) through nginx and sluice, each to a recording backend,
// with the request body buffered, streamed to an HTTP/1.1 upstream,
// streamed to an HTTP/1.0 one, over client_max_body_size, spilled to a
// file, and discarded; it compares the client's answer and what reached
// the backends, body framing included.
func TestDiffRandomRequestBodies(t *testing.T) { diffRandomRequestBodies(t, 5, 80) }

// diffRandomRequestBodies is TestDiffRandomRequestBodies with a seed and
// a number of requests.
func diffRandomRequestBodies(t *testing.T, seed uint64, cases int) {
	p := startPair(t, func(int) testutil.Script {
		return testutil.Script{testutil.ReadRequest(), testutil.Write(testutil.HTTPResponse(200, "ok"))}
	}, `
        client_body_timeout 2s;
        location /buf { proxy_pass http://BACKEND; }
        location /nobuf { proxy_request_buffering off; proxy_http_version 1.1; proxy_pass http://BACKEND; }
        location /nobuf10 { proxy_request_buffering off; proxy_pass http://BACKEND; }
        location /small { client_max_body_size 10; proxy_pass http://BACKEND; }
        location /spill { client_body_buffer_size 16; proxy_pass http://BACKEND; }
        location /discard { return 200 "discarded\n"; }
`)
	norm := func(r testutil.Request, b *testutil.Backend) string {
		_, port, _ := strings.Cut(b.Addr(), ":")
		return strings.ReplaceAll(r.Head, port, "PORT") + "|" + string(r.RawBody)
	}
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = 300 * time.Millisecond
	rng := rand.New(rand.NewPCG(seed, 8))
	for i := range cases {
		req := randomRequestBody(rng)
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			n1, n2 := len(p.nb.Requests()), len(p.sb.Requests())
			a, b := oracle.Exchange(p.ngAddr, []byte(req), cmp), oracle.Exchange(p.subjAddr, []byte(req), cmp)
			if d := cmp.Diff(a, b); d != "" {
				t.Errorf("answers differ for request %s:\n%s", describePieces([]string{req}), d)
			}
			ra, rb := p.nb.Requests()[n1:], p.sb.Requests()[n2:]
			if len(ra) != len(rb) {
				t.Fatalf("request %s reached nginx's backend %d times, sluice's %d", describePieces([]string{req}), len(ra), len(rb))
			}
			if len(ra) == 1 && norm(ra[0], p.nb) != norm(rb[0], p.sb) {
				t.Errorf("request %s\nnginx sent:\n%s\nsluice sent:\n%s", describePieces([]string{req}),
					describePieces([]string{norm(ra[0], p.nb)}), describePieces([]string{norm(rb[0], p.sb)}))
			}
		})
	}
}
