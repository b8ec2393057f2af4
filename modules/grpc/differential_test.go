package grpc_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// diffConf is served by Debian's nginx and by sluice in front of the same
// backends: GO is Go's net/http speaking h2c, RAW a scripted HTTP/2
// server that answers by :path.
const diffConf = `
http {
    upstream keep {
        server GO;
        keepalive 4;
    }
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;

        location / {
            grpc_pass grpc://GO;
        }
        location /raw/ {
            grpc_pass RAW;
        }
        location /rawnext/ {
            grpc_pass twice;
            grpc_next_upstream error timeout invalid_header;
        }
        location /k/ {
            grpc_pass grpc://keep;
        }
        location /set/ {
            grpc_pass GO;
            grpc_set_header X-Test "$request_method set";
            grpc_set_header Host example.org;
        }
        location /hide/ {
            grpc_pass GO;
            grpc_hide_header Content-Type;
        }
        location /intercept/ {
            grpc_pass GO;
            grpc_intercept_errors on;
            error_page 404 = /fallback;
        }
        location = /fallback {
            return 200 "fallback\n";
        }
        location /slow/ {
            grpc_pass RAW;
            grpc_read_timeout 300ms;
        }
        location /refused/ {
            grpc_pass 127.0.0.1:1;
        }
        location /small/ {
            grpc_pass RAW;
            grpc_buffer_size 1k;
        }
    }
    upstream twice {
        server RAW;
        server RAW;
    }
}
`

// hdr is a HEADERS frame with END_HEADERS on stream 1, end adding
// END_STREAM.
func hdr(end bool, fields ...string) string {
	flags := byte(4)
	if end {
		flags |= 1
	}
	return frame(tHeaders, flags, 1, headersBlock(fields...))
}

func data(end bool, s string) string {
	flags := byte(0)
	if end {
		flags = 1
	}
	return frame(tData, flags, 1, s)
}

var okHead = hdr(false, ":status", "200", "content-type", "text/plain")
var trailer = hdr(true, "grpc-status", "0", "grpc-message", "fine")

// rawAnswers are the scripted answers, by :path without the location
// prefix; each string is one write.
var rawAnswers = map[string][]string{
	"/ok":            {serverSettings + okHead, data(false, "ok\n"), trailer},
	"/nobody":        {serverSettings + hdr(true, ":status", "200", "x-a", "b")},
	"/split":         {serverSettings + okHead[:5], okHead[5:12], okHead[12:] + data(false, "sp")[:10], data(false, "sp")[10:] + data(true, "")},
	"/badstatus":     {serverSettings + hdr(true, ":status", "abc")},
	"/longstatus":    {serverSettings + hdr(true, ":status", "2000")},
	"/status100":     {serverSettings + hdr(true, ":status", "100")},
	"/nostatus":      {serverSettings + hdr(true, "x-a", "b")},
	"/dupstatus":     {serverSettings + hdr(true, ":status", "200", ":status", "200")},
	"/pseudo":        {serverSettings + hdr(true, ":status", "200", ":path", "/")},
	"/rst":           {serverSettings + frame(tRST, 0, 1, "\x00\x00\x00\x02")},
	"/rstlen":        {serverSettings + frame(tRST, 0, 1, "\x00\x00\x02")},
	"/goaway":        {serverSettings + frame(tGoaway, 0, 0, "\x00\x00\x00\x00\x00\x00\x00\x01")},
	"/goawayok":      {serverSettings + frame(tGoaway, 0, 0, "\x00\x00\x00\x01\x00\x00\x00\x00debug") + okHead + data(true, "after goaway\n")},
	"/goawaystream":  {serverSettings + frame(tGoaway, 0, 1, "\x00\x00\x00\x01\x00\x00\x00\x00")},
	"/close":         {"CLOSE"},
	"/midclose":      {serverSettings + okHead, data(false, "partial\n"), "CLOSE"},
	"/push":          {serverSettings + frame(tPush, 4, 1, "\x00\x00\x00\x02")},
	"/bigframe":      {serverSettings + frame(tPing, 0, 0, strings.Repeat("x", 16385))},
	"/badindex":      {serverSettings + frame(tHeaders, 5, 1, "\x88\xbe")},
	"/sizeupdate":    {serverSettings + frame(tHeaders, 5, 1, "\x21\x88")},
	"/huffmanpad":    {serverSettings + frame(tHeaders, 5, 1, "\x88\x40\x81\xff\x01a")},
	"/badhuffman":    {serverSettings + frame(tHeaders, 5, 1, "\x88\x40\x84\xff\xff\xff\xff\x01a")},
	"/zeroname":      {serverSettings + frame(tHeaders, 5, 1, "\x88\x00\x00\x01a")},
	"/truncated":     {serverSettings + frame(tHeaders, 5, 1, "\x88\x00\x05ab")},
	"/upper":         {serverSettings + hdr(true, ":status", "200", "X-Upper", "v")},
	"/badvalue":      {serverSettings + hdr(true, ":status", "200", "x-a", "a\rb")},
	"/otherstream":   {serverSettings + frame(tHeaders, 5, 3, headersBlock(":status", "200"))},
	"/dataearly":     {serverSettings + data(true, "x")},
	"/contearly":     {serverSettings + frame(tCont, 4, 1, headersBlock(":status", "200"))},
	"/settingslen":   {frame(tSettings, 0, 0, "\x00\x04\x00")},
	"/settingsack":   {frame(tSettings, 1, 0, "\x00\x04\x00\x00\x00\x01")},
	"/settingsid":    {frame(tSettings, 0, 1, "")},
	"/bigwindow":     {frame(tSettings, 0, 0, "\x00\x04\x80\x00\x00\x00")},
	"/pingack":       {serverSettings + frame(tPing, 1, 0, "12345678")},
	"/pinglen":       {serverSettings + frame(tPing, 0, 0, "1234")},
	"/ping":          {serverSettings + frame(tPing, 0, 0, "12345678") + okHead + data(true, "pinged\n")},
	"/wulen":         {serverSettings + frame(tWindowUpdate, 0, 0, "\x00\x00\x01")},
	"/wubig":         {serverSettings + frame(tWindowUpdate, 0, 0, "\x7f\xff\xff\xff")},
	"/priority":      {serverSettings + frame(2, 0, 1, "\x00\x00\x00\x00\x10") + frame(0x20, 0, 0, "unknown") + okHead + data(true, "prio\n")},
	"/continuation":  {serverSettings + frame(tHeaders, 0, 1, headersBlock(":status", "201")) + frame(tCont, 4, 1, headersBlock("x-c", "d")) + data(true, "cont\n")},
	"/interleaved":   {serverSettings + frame(tHeaders, 0, 1, headersBlock(":status", "201")) + frame(tPing, 0, 0, "12345678")},
	"/padded":        {serverSettings + frame(tHeaders, 4|8, 1, "\x03"+headersBlock(":status", "200")+"\x00\x00\x00") + frame(tData, 8|1, 1, "\x02padded\n\x00\x00")},
	"/priorityflag":  {serverSettings + frame(tHeaders, 4|0x20|1, 1, "\x00\x00\x00\x00\x10"+headersBlock(":status", "202"))},
	"/hdrshort":      {serverSettings + frame(tHeaders, 4|0x20, 1, "\x00\x00")},
	"/toolongpad":    {serverSettings + frame(tHeaders, 4|8, 1, "\x09\x88")},
	"/datapad":       {serverSettings + okHead + frame(tData, 8, 1, "\x09ab")},
	"/trailer":       {serverSettings + okHead + data(false, "body\n") + trailer},
	"/trailernoend":  {serverSettings + okHead + data(false, "body\n") + hdr(false, "grpc-status", "0")},
	"/trailerpseudo": {serverSettings + okHead + data(false, "body\n") + hdr(true, ":status", "200")},
	"/trailerbad":    {serverSettings + okHead + data(false, "body\n") + frame(tHeaders, 5, 1, "\xff")},
	"/cllarger":      {serverSettings + hdr(false, ":status", "200", "content-length", "3") + data(true, "abcdef")},
	"/clshort":       {serverSettings + hdr(false, ":status", "200", "content-length", "10") + data(true, "abc")},
	"/clnobody":      {serverSettings + hdr(true, ":status", "200", "content-length", "10")},
	"/cl":            {serverSettings + hdr(false, ":status", "200", "content-length", "4") + data(true, "abcd")},
	"/rstafter":      {serverSettings + okHead + data(true, "done\n") + frame(tRST, 0, 1, "\x00\x00\x00\x00")},
	"/rstmid":        {serverSettings + okHead + data(false, "mid\n") + frame(tRST, 0, 1, "\x00\x00\x00\x08")},
	"/rsttwice":      {serverSettings + okHead + data(true, "done\n") + frame(tRST, 0, 1, "\x00\x00\x00\x00") + frame(tRST, 0, 1, "\x00\x00\x00\x00")},
	"/afterend":      {serverSettings + okHead + data(true, "done\n") + data(false, "more")},
	"/dataother":     {serverSettings + okHead + frame(tData, 0, 3, "x")},
	"/goawaybody":    {serverSettings + okHead + data(false, "a\n") + frame(tGoaway, 0, 0, "\x00\x00\x00\x00\x00\x00\x00\x02")},
	"/bigheader":     {serverSettings + hdr(true, ":status", "200", "x-big", strings.Repeat("b", 2000))},
	"/status404":     {serverSettings + hdr(false, ":status", "404", "content-type", "text/plain") + data(true, "not here\n")},
	"/status204":     {serverSettings + hdr(true, ":status", "204")},
	"/emptyhead":     {serverSettings + frame(tHeaders, 5, 1, "\x20")},
	"/hang":          {serverSettings},
	"/hangbody":      {serverSettings + okHead + data(false, "waiting\n")},
	"/location":      {serverSettings + hdr(true, ":status", "302", "location", "http://example.com/x")},
}

func TestDifferential(t *testing.T) {
	testutil.CheckLeaks(t)
	g := startGo(t)
	raw := startRaw(t, rawAnswers)
	conf := strings.NewReplacer("GO", g.addr(), "RAW", raw.addr()).Replace(diffConf)
	n := oracle.Start(t, conf)
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+conf)

	cmp := oracle.DefaultComparison()
	cmp.Trailers = true
	cmp.Headers = append(cmp.Headers, "X-A", "X-C", "Grpc-Status", "Grpc-Message", "X-Content-Type-Options")
	cmp.Normalize["location"] = func(v string) string { return portRE.ReplaceAllString(v, ":<port>/") }
	type tcase struct {
		name string
		req  string
		head bool
	}
	tests := []tcase{
		{name: "go grpc", req: "POST /helloworld.Greeter/SayHello HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/grpc\r\nTE: trailers\r\nContent-Length: 10\r\nConnection: close\r\n\r\n\x00\x00\x00\x00\x05world"},
		{name: "go grpc without te", req: "POST /helloworld.Greeter/SayHello HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/grpc\r\nContent-Length: 10\r\nConnection: close\r\n\r\n\x00\x00\x00\x00\x05world"},
		{name: "go grpc http10", req: "POST /helloworld.Greeter/SayHello HTTP/1.0\r\nContent-Type: application/grpc\r\nTE: trailers\r\nContent-Length: 10\r\n\r\n\x00\x00\x00\x00\x05world"},
		{name: "go grpc trailers only", req: "POST /fail HTTP/1.1\r\nHost: localhost\r\nTE: trailers\r\nConnection: close\r\n\r\n"},
		{name: "go plain", req: "GET /plain HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "go plain keepalive", req: "GET /plain HTTP/1.1\r\nHost: localhost\r\n\r\n"},
		{name: "go head", req: "HEAD /plain HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", head: true},
		{name: "go big", req: "GET /big HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "go echo", req: "GET /echo?a=1&b=%20 HTTP/1.1\r\nHost: localhost\r\nX-Test: t\r\nTE: trailers, deflate\r\nConnection: close\r\n\r\n"},
		{name: "go echo post", req: "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"},
		{name: "go echo chunked", req: "PUT /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"},
		{name: "go echo big body", req: "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 200000\r\nConnection: close\r\n\r\n" + strings.Repeat("abcdefghij", 20000)},
		{name: "go echo set header", req: "DELETE /set/echo HTTP/1.1\r\nHost: localhost\r\nX-Test: t\r\nConnection: close\r\n\r\n"},
		{name: "go hide", req: "GET /hide/plain HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "go not found", req: "GET /notfound HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "go intercepted", req: "GET /intercept/notfound HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "go redirect", req: "GET /redirect HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "go no content", req: "GET /nocontent HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "go keepalive upstream", req: "GET /k/plain HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "go keepalive upstream grpc", req: "POST /k/helloworld.Greeter/SayHello HTTP/1.1\r\nHost: localhost\r\nTE: trailers\r\nContent-Length: 10\r\nConnection: close\r\n\r\n\x00\x00\x00\x00\x05again"},
		{name: "raw small buffer big header", req: "GET /small/bigheader HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "raw read timeout", req: "GET /slow/hang HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "raw read timeout in body", req: "GET /slow/hangbody HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "connection refused", req: "GET /refused/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "raw next upstream", req: "GET /rawnext/rst HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
	}
	for uri := range rawAnswers {
		if strings.HasPrefix(uri, "/hang") {
			continue // for /slow/ only
		}
		tests = append(tests, tcase{name: "raw " + uri, req: "GET /raw" + uri + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"})
	}
	slices.SortFunc(tests, func(a, b tcase) int { return strings.Compare(a.name, b.name) })
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cmp
			c.NoBody = tc.head
			oracle.Compare(t, tc.req, n.Addr(0), s.Addr("0"), c)
		})
	}
	oracle.CompareErrorLogs(t, n.ErrorLog(), s.ErrorLog())
}

var portRE = regexp.MustCompile(`:[0-9]+/`)
