package faults_test

import (
	"strings"
	"time"

	"github.com/sluicehq/sluice/faults"
	tu "github.com/sluicehq/sluice/internal/testutil"
)

// upstreamCase is one misbehaving backend: the script every connection to
// the primary backend plays, and the request a client makes through the
// location under test.
type upstreamCase struct {
	name  string
	group string
	// path is the request's URI; its first segment picks the location:
	// /on/ (buffering on), /off/ (buffering off), /retry/ (a group whose
	// backup answers), /ka/ (keepalive group), /mc/ (memcached_pass),
	// /refused/.
	path string
	// req, when set, is the client's whole script instead of a GET of path.
	req *faults.Script
	// backend is the script of each connection to the primary backend.
	backend func(i int) tu.Script
	// want is nginx's answer as Outcome.Summary renders it, checked so that
	// the table documents nginx.
	want string
	// master, when set, is nginx master's answer where the oracle's 1.22
	// differs: sluice is held to it instead of to the oracle.
	master *masterAnswer
}

// Answers of nginx master (1.23 and later) to framing headers 1.22 let
// through, read from ngx_http_proxy_process_header and
// ngx_http_upstream_process_content_length.
var (
	masterCLAndTE = &masterAnswer{summary: "502, closed",
		log:    `upstream sent "Content-Length" and "Transfer-Encoding" headers at the same time`,
		source: "ngx_http_proxy_process_header"}
	masterDuplicateCL = &masterAnswer{summary: "502, closed",
		log:    `upstream sent duplicate header line: "Content-Length: 12", previous value: "Content-Length: 10"`,
		source: "ngx_http_upstream_process_content_length"}
	masterInvalidCL = &masterAnswer{summary: "502, closed",
		log:    `upstream sent invalid "Content-Length" header: "Content-Length: -1"`,
		source: "ngx_http_proxy_process_header"}
	// master reads a 103 as early hints, passed to the client only with
	// the early_hints directive (off by default)
	masterEarlyHints = &masterAnswer{summary: "200, closed", source: "ngx_http_upstream_process_early_hints"}
)

// okBody is the body of the healthy answers.
const okBody = "0123456789"

// ok is a healthy response with Content-Length.
var ok = tu.HTTPResponse(200, okBody, "Connection: close")

// answer is a backend that reads the request head and writes raw.
func answer(raw string) func(int) tu.Script {
	return func(int) tu.Script { return tu.Script{tu.ReadHead(), tu.Write(raw), tu.Close()} }
}

// answerThen is a backend that reads the request head, writes raw and then
// ends with last (Reset, Drain ...).
func answerThen(raw string, last tu.Step) func(int) tu.Script {
	return func(int) tu.Script { return tu.Script{tu.ReadHead(), tu.Write(raw), last} }
}

// body is a 200 head with the given framing headers.
func head200(headers ...string) string {
	return "HTTP/1.1 200 OK\r\n" + strings.Join(headers, "\r\n") + "\r\n\r\n"
}

// bothBufferings returns the case through /on/ and through /off/.
func bothBufferings(c upstreamCase) []upstreamCase {
	on, off := c, c
	on.name += ", buffering on"
	on.path = "/on" + c.path
	off.name += ", buffering off"
	off.path = "/off" + c.path
	return []upstreamCase{on, off}
}

// memcachedAnswer is a memcached backend that reads the get command and
// writes raw, then ends with last.
func memcachedAnswer(raw string, last tu.Step) func(int) tu.Script {
	return func(int) tu.Script {
		return tu.Script{tu.Expect("get /mc/k\r\n"), tu.Write(raw), last}
	}
}

func upstreamCases() []upstreamCase {
	var cs []upstreamCase
	add := func(group string, cases ...upstreamCase) {
		for _, c := range cases {
			c.group = group
			cs = append(cs, c)
		}
	}
	one := func(c upstreamCase) []upstreamCase {
		c.path = "/on" + c.path
		return []upstreamCase{c}
	}
	var connect []upstreamCase
	connect = append(connect, upstreamCase{name: "connection refused", path: "/refused/", want: "502, closed"})
	connect = append(connect, one(upstreamCase{name: "accepts, never answers", path: "/", want: "504, closed",
		backend: func(int) tu.Script { return tu.Script{tu.ReadHead(), tu.Drain()} }})...)
	connect = append(connect, one(upstreamCase{name: "closes before the header", path: "/", want: "502, closed",
		backend: func(int) tu.Script { return tu.Script{tu.ReadHead(), tu.Close()} }})...)
	connect = append(connect, one(upstreamCase{name: "resets before the header", path: "/", want: "502, closed",
		backend: func(int) tu.Script { return tu.Script{tu.ReadHead(), tu.Reset()} }})...)
	connect = append(connect, one(upstreamCase{name: "answers byte by byte", path: "/", want: "200, closed",
		backend: func(int) tu.Script { return tu.Script{tu.ReadHead(), tu.WriteSlowly(ok, time.Millisecond), tu.Close()} }})...)
	add("connect and silence", connect...)

	var header []upstreamCase
	for _, c := range []upstreamCase{
		{name: "invalid status line (passed on as HTTP/0.9)", want: "none, closed, stray bytes", backend: answer("HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n")},
		{name: "not HTTP at all (passed on as HTTP/0.9)", want: "0.9, closed", backend: answer("hello world\r\n\r\n")},
		{name: "resets mid status line", want: "502, closed", backend: answerThen("HTTP/1.1 20", tu.Reset())},
		{name: "resets mid header", want: "502, closed", backend: answerThen("HTTP/1.1 200 OK\r\nX-A: b", tu.Reset())},
		{name: "closes mid header", want: "502, closed", backend: answerThen("HTTP/1.1 200 OK\r\nX-A: b", tu.Close())},
		{name: "header larger than proxy_buffer_size", want: "502, closed",
			backend: answer("HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("b", 2000) + "\r\nContent-Length: 0\r\n\r\n")},
		{name: "NUL in a header", want: "502, closed", backend: answer("HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n")},
		{name: "100 Continue first (taken as the final answer)", want: "100 200, closed", backend: answer("HTTP/1.1 100 Continue\r\n\r\n" + ok)},
		{name: "103 Early Hints first", want: "103 200, closed", master: masterEarlyHints, backend: answer("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n" + ok)},
		{name: "Content-Length and chunked", want: "200, closed", master: masterCLAndTE,
			backend: answer(head200("Content-Length: 100", "Transfer-Encoding: chunked", "Connection: close") + "a\r\n" + okBody + "\r\n0\r\n\r\n")},
		{name: "duplicate Content-Length, different", want: "200(cut), closed", master: masterDuplicateCL,
			backend: answer(head200("Content-Length: 10", "Content-Length: 12", "Connection: close") + okBody)},
		{name: "negative Content-Length", want: "200, closed", master: masterInvalidCL, backend: answer(head200("Content-Length: -1", "Connection: close") + okBody)},
	} {
		c.path = "/"
		header = append(header, one(c)...)
	}
	add("status line and header", header...)

	var body []upstreamCase
	for _, c := range []upstreamCase{
		{name: "body shorter than Content-Length", path: "/",
			backend: answerThen(head200("Content-Length: 20", "Connection: close")+okBody, tu.Close())},
		{name: "body longer than Content-Length", path: "/",
			backend: answerThen(head200("Content-Length: 5", "Connection: close")+okBody, tu.Close())},
		{name: "resets mid body", path: "/",
			backend: answerThen(head200("Content-Length: 20", "Connection: close")+okBody, tu.Reset())},
		{name: "body stalls past proxy_read_timeout", path: "/",
			backend: answerThen(head200("Content-Length: 20", "Connection: close")+okBody, tu.Drain())},
		{name: "resets mid chunk", path: "/",
			backend: answerThen(head200("Transfer-Encoding: chunked", "Connection: close")+"14\r\n"+okBody, tu.Reset())},
		{name: "closes between chunks", path: "/",
			backend: answerThen(head200("Transfer-Encoding: chunked", "Connection: close")+"a\r\n"+okBody+"\r\n", tu.Close())},
		{name: "invalid chunk size", path: "/",
			backend: answerThen(head200("Transfer-Encoding: chunked", "Connection: close")+"zz\r\n"+okBody+"\r\n0\r\n\r\n", tu.Close())},
		{name: "close-delimited body", path: "/",
			backend: answerThen(head200("Connection: close")+okBody, tu.Close())},
		{name: "chunked byte by byte", path: "/",
			backend: func(int) tu.Script {
				return tu.Script{tu.ReadHead(), tu.WriteSlowly(head200("Transfer-Encoding: chunked", "Connection: close")+"a\r\n"+okBody+"\r\n0\r\n\r\n", time.Millisecond), tu.Close()}
			}},
	} {
		body = append(body, bothBufferings(c)...)
	}
	add("body", body...)

	add("retries (a backup server answers)",
		upstreamCase{name: "primary resets before the header", path: "/retry/", want: "200, closed",
			backend: func(int) tu.Script { return tu.Script{tu.ReadHead(), tu.Reset()} }},
		upstreamCase{name: "primary times out", path: "/retry/", want: "200, closed",
			backend: func(int) tu.Script { return tu.Script{tu.ReadHead(), tu.Drain()} }},
		upstreamCase{name: "primary sends an invalid status line (passed on as HTTP/0.9)", path: "/retry/", want: "none, closed, stray bytes",
			backend: answer("HTTP/1.1 abc\r\n\r\n")},
		upstreamCase{name: "primary answers 502", path: "/retry/", want: "502, closed",
			backend: answer(tu.HTTPResponse(502, "bad", "Connection: close"))},
		upstreamCase{name: "primary resets mid body", path: "/retry/", want: "200(cut), closed",
			backend: answerThen(head200("Content-Length: 20", "Connection: close")+okBody, tu.Reset())},
		upstreamCase{name: "POST, primary resets after the request", path: "/retry/", want: "502, closed",
			req:     ptr(faults.Once("POST /retry/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")),
			backend: func(int) tu.Script { return tu.Script{tu.ReadRequest(), tu.Reset()} }},
	)

	add("keepalive",
		upstreamCase{name: "pooled connection closed at reuse", path: "/ka/", want: "200×2, closed",
			req: ptr(faults.Script{Pieces: []faults.Piece{
				{Data: "GET /ka/1 HTTP/1.1\r\nHost: localhost\r\n\r\n"},
				{Delay: 300 * time.Millisecond, Data: "GET /ka/2 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"}}}),
			backend: func(i int) tu.Script {
				if i%2 == 0 {
					// first connection of a server: one answer kept alive,
					// then closed when the second request comes
					return tu.Script{tu.ReadHead(), tu.Write(tu.HTTPResponse(200, okBody)), tu.ReadHead(), tu.Close()}
				}
				return tu.Script{tu.ReadHead(), tu.Write(ok), tu.Close()}
			}},
		upstreamCase{name: "pooled connection reset at reuse", path: "/ka/", want: "200×2, closed",
			req: ptr(faults.Script{Pieces: []faults.Piece{
				{Data: "GET /ka/1 HTTP/1.1\r\nHost: localhost\r\n\r\n"},
				{Delay: 300 * time.Millisecond, Data: "GET /ka/2 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"}}}),
			backend: func(i int) tu.Script {
				if i%2 == 0 {
					return tu.Script{tu.ReadHead(), tu.Write(tu.HTTPResponse(200, okBody)), tu.ReadHead(), tu.Reset()}
				}
				return tu.Script{tu.ReadHead(), tu.Write(ok), tu.Close()}
			}},
	)

	// a client that shuts down its side while the backend thinks: nginx
	// sees EPOLLRDHUP and ends the exchange with 499
	leave := func(path string) *faults.Script {
		return ptr(faults.Script{Pieces: []faults.Piece{
			{Data: "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n"}, {Delay: 300 * time.Millisecond}}, Shutdown: true})
	}
	thinks := func(int) tu.Script { return tu.Script{tu.ReadHead(), tu.Sleep(time.Second), tu.Write(ok), tu.Close()} }
	add("client leaves",
		upstreamCase{name: "client shuts down while the backend thinks, buffering on", path: "/on/", want: "none, closed",
			req: leave("/on/"), backend: thinks},
		upstreamCase{name: "client shuts down while the backend thinks, buffering off", path: "/off/", want: "none, closed",
			req: leave("/off/"), backend: thinks},
	)

	add("memcached",
		upstreamCase{name: "value", path: "/mc/k", want: "200, closed",
			backend: memcachedAnswer("VALUE /mc/k 0 10\r\n"+okBody+"\r\nEND\r\n", tu.Drain())},
		upstreamCase{name: "miss", path: "/mc/k", want: "404, closed",
			backend: memcachedAnswer("END\r\n", tu.Drain())},
		upstreamCase{name: "invalid response line", path: "/mc/k", want: "502, closed",
			backend: memcachedAnswer("GARBAGE\r\n", tu.Close())},
		upstreamCase{name: "invalid length", path: "/mc/k", want: "502, closed",
			backend: memcachedAnswer("VALUE /mc/k 0 x\r\n", tu.Close())},
		upstreamCase{name: "short value", path: "/mc/k", want: "200(cut), closed",
			backend: memcachedAnswer("VALUE /mc/k 0 10\r\nabc", tu.Close())},
		upstreamCase{name: "bad trailer", path: "/mc/k", want: "200, closed",
			backend: memcachedAnswer("VALUE /mc/k 0 10\r\n"+okBody+"XXEND\r\n", tu.Close())},
		upstreamCase{name: "reset mid value", path: "/mc/k", want: "200(cut), closed",
			backend: memcachedAnswer("VALUE /mc/k 0 10\r\nabc", tu.Reset())},
		upstreamCase{name: "value stalls past memcached_read_timeout", path: "/mc/k", want: "200(cut), closed",
			backend: memcachedAnswer("VALUE /mc/k 0 10\r\nabc", tu.Drain())},
		upstreamCase{name: "never answers", path: "/mc/k", want: "504, closed",
			backend: func(int) tu.Script { return tu.Script{tu.Drain()} }},
	)
	return cs
}

func ptr[T any](v T) *T { return &v }
