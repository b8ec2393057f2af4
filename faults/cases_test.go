package faults_test

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/faults"
)

// masterVersion is the nginx whose source is the specification where the
// oracle (Debian's 1.22.1) answers differently.
const masterVersion = "1.31 (master)"

// hostileCase is one hostile client.
type hostileCase struct {
	name  string
	group string
	// port is the placeholder of the server attacked ("0" when empty).
	port   string
	script faults.Script
	// probe appends the probe request to the script's last piece.
	probe bool
	// head reads the replies as answers to HEAD.
	head bool
	// want is nginx's answer as Outcome.Summary renders it; the oracle is
	// checked against it so that the table documents nginx and a broken
	// harness cannot pass both servers.
	want string
	// master, when set, is nginx master's answer where the oracle's 1.22
	// differs: sluice is held to it instead of to the oracle.
	master *masterAnswer
	// check, when set, is run on both outcomes.
	check func(faults.Outcome) error
	// rl, when set, is a deliberate difference in $request_length.
	rl *rlDifference
}

// rlDifference records $request_length values where sluice deliberately
// logs another count than nginx (docs/compat.md): both are checked.
type rlDifference struct {
	nginx, sluice string // the values of the access lines, space-separated
}

// discardedPipelined is the difference for a discarded chunked body read
// together with the next request: nginx's ngx_http_copy_pipelined_header
// (1.22 and master) subtracts the pipelined bytes from a count they were
// never added to, so the first request logs its head length minus the next
// request's; sluice logs the head length.
func discardedPipelined(nginx, sluice string) *rlDifference {
	return &rlDifference{nginx: nginx, sluice: sluice}
}

// masterAnswer is what nginx master answers, read from its source.
type masterAnswer struct {
	summary string // as Outcome.Summary renders it
	log     string // a substring of its error-log line
	source  string // where in nginx's source
}

// get is a plain HTTP/1.1 request for path.
func get(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n"
}

// post is an HTTP/1.1 POST with the given extra header lines and body.
func post(path string, headers []string, body string) string {
	return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\n" + strings.Join(headers, "") + "\r\n" + body
}

func once(s string) faults.Script { return faults.Once(s) }

// pause is a piece written after a delay.
func pause(d time.Duration, data string) faults.Piece { return faults.Piece{Delay: d, Data: data} }

// inOrder checks that the replies' bodies name the URIs /p/0, /p/1 ... in
// order, up to n of them.
func inOrder(n int) func(faults.Outcome) error {
	return func(o faults.Outcome) error {
		if len(o.Replies) < n {
			return fmt.Errorf("%d replies, want at least %d", len(o.Replies), n)
		}
		for i := 0; i < n; i++ {
			want := strconv.Quote("GET /p/" + strconv.Itoa(i) + "\n")
			if o.Replies[i].Body != want {
				return fmt.Errorf("reply %d has body %s, want %s (out of order or lost)", i, o.Replies[i].Body, want)
			}
		}
		return nil
	}
}

// pipeline is n GET requests for /p/0 ... /p/n-1, back to back.
func pipeline(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(get("/p/" + strconv.Itoa(i)))
	}
	return b.String()
}

// chopped cuts s into pieces of size bytes, written back to back.
func chopped(s string, size int) faults.Script {
	var sc faults.Script
	for len(s) > size {
		sc.Pieces = append(sc.Pieces, faults.Piece{Data: s[:size]})
		s = s[size:]
	}
	sc.Pieces = append(sc.Pieces, faults.Piece{Data: s})
	return sc
}

// headers is n header lines "X-Hn: v".
func headers(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("X-H" + strconv.Itoa(i) + ": v\r\n")
	}
	return b.String()
}

// lineOf is a request line "GET /aaa... HTTP/1.1\r\n" exactly n bytes
// long, line end included.
func lineOf(n int) string {
	fixed := len("GET / HTTP/1.1\r\n")
	return "GET /" + strings.Repeat("a", n-fixed) + " HTTP/1.1\r\n"
}

// headerOf is a header line "X: bbb...\r\n" exactly n bytes long.
func headerOf(n int) string {
	return "X: " + strings.Repeat("b", n-len("X: \r\n")) + "\r\n"
}

// bareLFInChunks is nginx master's answer to chunk framing with bare LF
// line ends: 1.22 accepted them, master's ngx_http_parse_chunked does not.
var bareLFInChunks = &masterAnswer{summary: "400, closed", log: "client sent invalid chunked body", source: "ngx_http_parse_chunked: LF without CR is invalid"}

// staleBufferSmuggle sends a chunked body whose first part (in the first
// read) carries the bytes of a request, and whose end comes in a second
// write followed by a pipelined request exactly as long as the embedded
// one. A server must answer the POST and then the pipelined request; one
// that resumes parsing at the wrong buffer answers the embedded request.
func staleBufferSmuggle() faults.Script {
	const (
		smuggled = "GET /smuggled HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
		innocent = "GET /innocent HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
		size     = 256
	)
	head := post("/", []string{"Transfer-Encoding: chunked\r\n"}, "100\r\n")
	pad := strings.Repeat("x", 100)
	first := head + pad + smuggled
	rest := strings.Repeat("z", size-len(pad)-len(smuggled)) + "\r\n0\r\n\r\n" + innocent
	return once(first).Then(pause(200*time.Millisecond, rest))
}

// secondIs checks the body of the second reply.
func secondIs(body string) func(faults.Outcome) error {
	return func(o faults.Outcome) error {
		if len(o.Replies) < 2 || o.Replies[1].Body != strconv.Quote(body) {
			return fmt.Errorf("the second reply is not %q: %v", body, o.Replies)
		}
		return nil
	}
}

// withRL sets a case's deliberate $request_length difference.
func withRL(c hostileCase, d *rlDifference) hostileCase {
	c.rl = d
	return c
}

func hostileCases() []hostileCase {
	const ms = time.Millisecond
	var cs []hostileCase
	add := func(group string, list ...hostileCase) {
		for _, c := range list {
			c.group = group
			cs = append(cs, c)
		}
	}

	add("slow clients",
		hostileCase{name: "idle connection", want: "none, closed", script: faults.Script{}},
		hostileCase{name: "slowloris request line", want: "none, closed", script: faults.Bytewise(get("/slow"), 400*ms)},
		hostileCase{name: "slowloris, a byte per 1.5s", want: "none, closed", script: faults.Bytewise(get("/slow"), 1500*ms)},
		hostileCase{name: "slowloris headers", want: "none, closed", script: once("GET /slow HTTP/1.1\r\n").Then(faults.Bytewise("Host: localhost\r\nX-A: b\r\n\r\n", 250*ms).Pieces...)},
		hostileCase{name: "headers never end", want: "none, closed", script: once("GET /slow HTTP/1.1\r\nHost: localhost\r\n")},
		hostileCase{name: "slow body under the per-read timeout, proxied", want: "200×2, closed", probe: true,
			script: once(post("/proxy/slow", []string{"Content-Length: 4\r\n"}, "")).Then(pause(400*ms, "a"), pause(400*ms, "b"), pause(400*ms, "c"), pause(400*ms, "d"))},
		hostileCase{name: "body stalls past client_body_timeout, proxied", want: "none, closed",
			script: once(post("/proxy/stall", []string{"Content-Length: 10\r\n"}, "ab"))},
		hostileCase{name: "chunked body stalls, proxied", want: "none, closed",
			script: once(post("/proxy/stall", []string{"Transfer-Encoding: chunked\r\n"}, "5\r\nab"))},
		hostileCase{name: "slow body discarded by return", want: "200×2, closed", probe: true,
			script: once(post("/slow", []string{"Content-Length: 4\r\n"}, "")).Then(pause(300*ms, "a"), pause(300*ms, "b"), pause(300*ms, "c"), pause(300*ms, "d"))},
		hostileCase{name: "body stalls while discarded by return", want: "200, closed",
			script: once(post("/stall", []string{"Content-Length: 10\r\n"}, "ab"))},
		hostileCase{name: "large body to a temp file, proxied", want: "200×2, closed", probe: true,
			script: once(post("/proxy/big", []string{"Content-Length: 5000\r\n"}, strings.Repeat("z", 5000)))},
		hostileCase{name: "large body stalls half way, proxied", want: "none, closed",
			script: once(post("/proxy/big", []string{"Content-Length: 5000\r\n"}, strings.Repeat("z", 3000)))},
	)

	add("pipelining",
		hostileCase{name: "flood of 500 requests in one write", want: "200×501, closed", probe: true, script: once(pipeline(500)), check: inOrder(500)},
		hostileCase{name: "flood of 300 requests in 7-byte writes", want: "200×301, closed", probe: true, script: chopped(pipeline(300)+probe, 7), check: inOrder(300)},
		hostileCase{name: "flood with a bad request at 100", want: "200×100 400, closed", probe: true,
			script: once(pipeline(100) + "GET /bad\x01 HTTP/1.1\r\nHost: localhost\r\n\r\n" + pipeline(50)), check: inOrder(100)},
		hostileCase{name: "100 pipelined posts, length and chunked", want: "200×101, closed", probe: true, script: once(strings.Repeat(
			post("/p", []string{"Content-Length: 5\r\n"}, "hello")+post("/p", []string{"Transfer-Encoding: chunked\r\n"}, "5\r\nhello\r\n0\r\n\r\n"), 50))},
	)

	te := func(name, want string, headerLines ...string) hostileCase {
		return hostileCase{name: name, want: want, probe: true, script: once(post("/", headerLines, "5\r\nhello\r\n0\r\n\r\n"))}
	}
	cl := func(name, want string, headerLines ...string) hostileCase {
		return hostileCase{name: name, want: want, probe: true, script: once(post("/", headerLines, "hello"))}
	}
	chunked := func(name, want, body string) hostileCase {
		return hostileCase{name: name, want: want, probe: true, script: once(post("/", []string{"Transfer-Encoding: chunked\r\n"}, body))}
	}
	add("smuggling",
		te("CL.TE", "400, closed", "Content-Length: 6\r\n", "Transfer-Encoding: chunked\r\n"),
		te("TE.CL", "400, closed", "Transfer-Encoding: chunked\r\n", "Content-Length: 6\r\n"),
		te("TE.TE duplicate chunked", "400, closed", "Transfer-Encoding: chunked\r\n", "Transfer-Encoding: chunked\r\n"),
		te("TE.TE chunked then junk", "400, closed", "Transfer-Encoding: chunked\r\n", "Transfer-Encoding: x\r\n"),
		te("TE chunked, identity", "501, closed", "Transfer-Encoding: chunked, identity\r\n"),
		te("TE identity, chunked", "501, closed", "Transfer-Encoding: identity, chunked\r\n"),
		te("TE xchunked", "501, closed", "Transfer-Encoding: xchunked\r\n"),
		te("TE Chunked uppercase", "200×2, closed", "Transfer-Encoding: CHUNKED\r\n"),
		te("TE with trailing space", "200×2, closed", "Transfer-Encoding: chunked \r\n"),
		te("TE with tab", "501, closed", "Transfer-Encoding:\tchunked\r\n"),
		te("TE vertical tab", "501, closed", "Transfer-Encoding: \x0bchunked\r\n"),
		te("TE space before colon", "400, closed", "Transfer-Encoding : chunked\r\n"),
		te("TE underscore name", "200 400, closed", "Transfer_Encoding: chunked\r\n"),
		te("TE obs-fold value", "400, closed", "Transfer-Encoding:\r\n chunked\r\n"),
		te("TE quoted", "501, closed", "Transfer-Encoding: \"chunked\"\r\n"),
		hostileCase{name: "TE on HTTP/1.0", want: "400, closed", probe: true, script: once("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")},
		cl("duplicate CL, same value", "400, closed", "Content-Length: 5\r\n", "Content-Length: 5\r\n"),
		cl("duplicate CL, different values", "400, closed", "Content-Length: 5\r\n", "Content-Length: 0\r\n"),
		cl("CL list", "400, closed", "Content-Length: 5, 5\r\n"),
		cl("CL plus sign", "400, closed", "Content-Length: +5\r\n"),
		cl("CL minus sign", "400, closed", "Content-Length: -5\r\n"),
		cl("CL with inner space", "400, closed", "Content-Length: 5 0\r\n"),
		cl("CL with spaces around", "200×2, closed", "Content-Length:   5   \r\n"),
		cl("CL hex", "400, closed", "Content-Length: 0x5\r\n"),
		cl("CL leading zeros", "200×2, closed", "Content-Length: 0005\r\n"),
		cl("CL overflow", "400, closed", "Content-Length: 99999999999999999999\r\n"),
		cl("CL empty", "400, closed", "Content-Length:\r\n"),
		cl("CL obs-fold", "400, closed", "Content-Length: 5\r\n 0\r\n"),
		cl("CL above client_max_body_size", "413, closed", "Content-Length: 70000\r\n"),
		cl("CL longer than sent", "200, closed", "Content-Length: 100\r\n"),
		hostileCase{name: "obs-fold in a header", want: "400, closed", probe: true, script: once("GET / HTTP/1.1\r\nHost: localhost\r\nX-A: a\r\n folded\r\n\r\n")},
		hostileCase{name: "obs-fold first line", want: "400, closed", probe: true, script: once("GET / HTTP/1.1\r\n Host: localhost\r\n\r\n")},
		hostileCase{name: "bare LF line ends", want: "200×2, closed", probe: true, script: once("GET /lf HTTP/1.1\nHost: localhost\n\n")},
		hostileCase{name: "bare CR in a header", want: "400, closed", probe: true, script: once("GET / HTTP/1.1\r\nHost: localhost\rX-A: b\r\n\r\n")},
		hostileCase{name: "bare LF in chunk framing", want: "200×2, closed", probe: true, script: once(post("/", []string{"Transfer-Encoding: chunked\r\n"}, "5\nhello\n0\n\n")),
			master: bareLFInChunks},
		hostileCase{name: "NUL in the URI", want: "400, closed", probe: true, script: once("GET /a\x00b HTTP/1.1\r\nHost: localhost\r\n\r\n")},
		hostileCase{name: "NUL in a header value", want: "400, closed", probe: true, script: once("GET / HTTP/1.1\r\nHost: localhost\r\nX-A: a\x00b\r\n\r\n")},
		hostileCase{name: "NUL in a header name", want: "400, closed", probe: true, script: once("GET / HTTP/1.1\r\nHost: localhost\r\nX\x00A: b\r\n\r\n")},
		chunked("chunk size with leading zeros", "200×2, closed", "0000000000000000000000005\r\nhello\r\n0\r\n\r\n"),
		chunked("chunk size overflow", "400, closed", "fffffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
		chunked("chunk size over client_max_body_size", "200, closed", "20000\r\nhello\r\n0\r\n\r\n"),
		chunked("chunk size negative", "400, closed", "-5\r\nhello\r\n0\r\n\r\n"),
		chunked("chunk size hex prefix", "400, closed", "0x5\r\nhello\r\n0\r\n\r\n"),
		chunked("chunk size with space", "200×2, closed", "5 \r\nhello\r\n0\r\n\r\n"),
		chunked("chunk extension", "200×2, closed", "5;name=value\r\nhello\r\n0;last\r\n\r\n"),
		chunked("chunk extension quoted", "200×2, closed", "5;name=\"v;a\\\"l\"\r\nhello\r\n0\r\n\r\n"),
		withRL(chunked("chunk extension long", "200×2, closed", "5;"+strings.Repeat("e", 4000)+"\r\nhello\r\n0\r\n\r\n"),
			discardedPipelined("5 59", "64 59")),
		chunked("chunk data longer than size", "400, closed", "5\r\nhelloXX\r\n0\r\n\r\n"),
		chunked("chunk terminator missing", "400, closed", "5\r\nhello0\r\n\r\n"),
		hostileCase{name: "chunk terminator LF only", want: "200×2, closed", probe: true, script: once(post("/", []string{"Transfer-Encoding: chunked\r\n"}, "5\r\nhello\n0\r\n\r\n")),
			master: bareLFInChunks},
		hostileCase{name: "last chunk without final CRLF", want: "200, open", probe: true,
			script: faults.Script{Pieces: once(post("/", []string{"Transfer-Encoding: chunked\r\n"}, "5\r\nhello\r\n0\r\n")).Pieces, Wait: 2 * time.Second}},
		chunked("trailer fields", "200×2, closed", "5\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n"),
		chunked("chunk size empty", "400, closed", "\r\nhello\r\n0\r\n\r\n"),
		hostileCase{name: "request after a chunked body read in two parts", want: "200×2, closed", script: staleBufferSmuggle(), check: secondIs("GET /innocent\n"),
			rl: discardedPipelined("2 62", "64 62")},
		hostileCase{name: "GET with a body", want: "200×2, closed", probe: true, script: once("GET /b HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello")},
	)

	add("header limits",
		hostileCase{name: "request line fits the 1k buffer", want: "200×2, closed", probe: true, script: once(lineOf(1000) + "Host: localhost\r\n\r\n")},
		hostileCase{name: "request line 2047 bytes", want: "200×2, closed", probe: true, script: once(lineOf(2047) + "Host: localhost\r\n\r\n")},
		hostileCase{name: "request line 2048 bytes", want: "200×2, closed", probe: true, script: once(lineOf(2048) + "Host: localhost\r\n\r\n")},
		hostileCase{name: "request line 2049 bytes", want: "414, closed", probe: true, script: once(lineOf(2049) + "Host: localhost\r\n\r\n")},
		hostileCase{name: "request line 10000 bytes", want: "414, closed", probe: true, script: once(lineOf(10000) + "Host: localhost\r\n\r\n")},
		hostileCase{name: "header line 2047 bytes", want: "200×2, closed", probe: true, script: once(get("/")[:len(get("/"))-2] + headerOf(2047) + "\r\n")},
		hostileCase{name: "header line 2048 bytes", want: "200×2, closed", probe: true, script: once(get("/")[:len(get("/"))-2] + headerOf(2048) + "\r\n")},
		hostileCase{name: "header line 2049 bytes", want: "400, closed", probe: true, script: once(get("/")[:len(get("/"))-2] + headerOf(2049) + "\r\n")},
		hostileCase{name: "four large header lines", want: "200×2, closed", probe: true, script: once(get("/")[:len(get("/"))-2] + strings.Repeat(headerOf(1500), 4) + "\r\n")},
		hostileCase{name: "five large header lines", want: "400, closed", probe: true, script: once(get("/")[:len(get("/"))-2] + strings.Repeat(headerOf(1500), 5) + "\r\n")},
		hostileCase{name: "many small headers over the buffers", want: "400, closed", probe: true, script: once(get("/")[:len(get("/"))-2] + headers(2000) + "\r\n")},
		hostileCase{name: "head split across buffers", want: "200×2, closed", probe: true, script: chopped(lineOf(900)+"Host: localhost\r\n"+strings.Repeat(headerOf(700), 6)+"\r\n", 100)},
		hostileCase{name: "1000 headers (max_headers default)", want: "200×2, closed", port: "2", probe: true, script: once(get("/")[:len(get("/"))-2] + headers(999) + "\r\n")},
		hostileCase{name: "1001 headers (over max_headers)", want: "400, closed", port: "2", probe: true, script: once(get("/")[:len(get("/"))-2] + headers(1000) + "\r\n")},
		hostileCase{name: "50000 headers", want: "400, closed", port: "2", probe: true, script: once(get("/")[:len(get("/"))-2] + headers(50000) + "\r\n")},
		hostileCase{name: "huge cookie", want: "400, closed", probe: true, script: once(get("/")[:len(get("/"))-2] + "Cookie: " + strings.Repeat("c=1; ", 1000) + "\r\n\r\n")},
		hostileCase{name: "CRLF flood before the request", want: "200×2, closed", probe: true, script: once(strings.Repeat("\r\n", 3000) + get("/after"))},
	)

	add("expect",
		hostileCase{name: "Expect 100-continue, body sent, return", want: "100 200×2, closed", probe: true,
			script: once(post("/", []string{"Content-Length: 5\r\n", "Expect: 100-continue\r\n"}, "hello"))},
		hostileCase{name: "Expect 100-continue, body held back, return", want: "100 200 400, closed", probe: true,
			script: once(post("/", []string{"Content-Length: 5\r\n", "Expect: 100-continue\r\n"}, ""))},
		hostileCase{name: "Expect 100-continue, body sent, proxied", want: "100 200×2, closed", probe: true,
			script: once(post("/proxy/e", []string{"Content-Length: 5\r\n", "Expect: 100-continue\r\n"}, "hello"))},
		hostileCase{name: "Expect 100-continue, body after the 100, proxied", want: "100 200×2, closed", probe: true,
			script: once(post("/proxy/e", []string{"Content-Length: 5\r\n", "Expect: 100-continue\r\n"}, "")).Then(pause(200*ms, "hello"))},
		hostileCase{name: "Expect 100-continue on HTTP/1.0, proxied", want: "200, closed", probe: true,
			script: once("POST /proxy/e HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello")},
		hostileCase{name: "Expect uppercase, proxied", want: "100 200×2, closed", probe: true,
			script: once(post("/proxy/e", []string{"Content-Length: 5\r\n", "Expect: 100-CONTINUE\r\n"}, "hello"))},
		hostileCase{name: "Expect something else, proxied", want: "200×2, closed", probe: true,
			script: once(post("/proxy/e", []string{"Content-Length: 5\r\n", "Expect: 200-ok\r\n"}, "hello"))},
		hostileCase{name: "Expect 100-continue without a body, proxied", want: "100 200×2, closed", probe: true,
			script: once(post("/proxy/e", []string{"Expect: 100-continue\r\n"}, ""))},
		hostileCase{name: "Expect 100-continue, body over the limit, proxied", want: "413, closed", probe: true,
			script: once(post("/proxy/e", []string{"Content-Length: 70000\r\n", "Expect: 100-continue\r\n"}, ""))},
	)
	return cs
}
