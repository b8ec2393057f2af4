package grpc_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const requestConf = `
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        large_client_header_buffers 4 16k;
        client_body_buffer_size 1m;
        location / {
            grpc_pass RAW;
        }
        location /set/ {
            grpc_pass RAW;
            grpc_set_header X-Set "$request_method $uri";
            grpc_set_header Host "";
            grpc_set_header User-Agent "";
        }
        location /host/ {
            grpc_pass RAW;
            grpc_set_header Host custom.example;
        }
    }
}
`

// TestRequestBytes: nginx and sluice send the same bytes to the gRPC
// server: connection preface, HEADERS (+CONTINUATION) with the same HPACK
// encoding, DATA frames, END_STREAM.
func TestRequestBytes(t *testing.T) {
	answers := map[string][]string{}
	for _, p := range []string{"/get", "/post", "/big", "/patch", "/long", "/args", "/set", "/host", "/chunked", "/root"} {
		answers[p] = []string{serverSettings + hdr(true, ":status", "200")}
	}
	// unix sockets: the :authority is "localhost" for both servers
	listen := func() (net.Listener, string) {
		path := t.TempDir() + "/grpc.sock"
		ln, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		return ln, "unix:" + path
	}
	lnN, addrN := listen()
	lnS, addrS := listen()
	rawN, rawS := startRawOn(t, lnN, answers, 5*time.Millisecond), startRawOn(t, lnS, answers, 5*time.Millisecond)
	n := oracle.Start(t, strings.ReplaceAll(requestConf, "RAW", addrN))
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+strings.ReplaceAll(requestConf, "RAW", addrS))
	long := strings.Repeat("v", 7000)
	tests := []struct {
		name, path, req string
	}{
		{name: "get", path: "/get", req: "GET /x/get HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test/1.0\r\nAccept: */*\r\nX-Mixed-Case: Value\r\nTE: trailers\r\nConnection: close\r\n\r\n"},
		{name: "post", path: "/post", req: "POST /x/post HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/grpc\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world"},
		{name: "big body", path: "/big", req: "POST /x/big HTTP/1.1\r\nHost: localhost\r\nContent-Length: 40000\r\nConnection: close\r\n\r\n" + strings.Repeat("0123456789", 4000)},
		{name: "patch", path: "/patch", req: "PATCH /x/patch HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab"},
		{name: "continuation", path: "/long", req: "GET /x/long HTTP/1.1\r\nHost: localhost\r\nX-A: " + long + "\r\nX-B: " + long + "\r\nX-C: " + long + "\r\nConnection: close\r\n\r\n"},
		{name: "args and escapes", path: "/%61rgs?a=1&b=%20", req: "GET /x/%61rgs?a=1&b=%20 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "set header", path: "/set", req: "PUT /set/set HTTP/1.1\r\nHost: localhost\r\nUser-Agent: dropped\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
		{name: "host set", path: "/host", req: "GET /host/host HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "chunked body", path: "/chunked", req: "POST /x/chunked HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			oracle.Compare(t, tc.req, n.Addr(0), s.Addr("0"), oracle.DefaultComparison())
			a, b := frames(rawN.sent(tc.path)), frames(rawS.sent(tc.path))
			if a == "" || a != b {
				t.Errorf("request bytes differ\nnginx:  %s\nsluice: %s", a, b)
			}
		})
	}
}

// frames describes a client's bytes frame by frame; consecutive DATA
// frames are shown as one (nginx cuts them where its reads of the client
// body ended, which depends on timing).
func frames(b []byte) string {
	if len(b) < 24 {
		return ""
	}
	var out []string
	var data []byte
	flush := func(flags byte) {
		out = append(out, fmt.Sprintf("[DATA flags %x len %d sum %x]", flags, len(data), sha256.Sum256(data)))
		data = data[:0]
	}
	r := bytes.NewReader(b[24:])
	for r.Len() > 0 {
		typ, flags, id, payload, err := readFrame(r)
		if err != nil {
			out = append(out, "truncated")
			break
		}
		if typ == tData {
			if len(payload) > 16384 || id != 1 {
				out = append(out, "bad DATA frame")
			}
			data = append(data, payload...)
			if flags != 0 {
				flush(flags)
			}
			continue
		}
		out = append(out, fmt.Sprintf("[type %d flags %x stream %d len %d %x]", typ, flags, id, len(payload), payload))
	}
	if len(data) > 0 {
		flush(0)
	}
	return strings.Join(out, " ")
}

const keepConf = `
http {
    upstream keep {
        server GO;
        keepalive 2;
    }
    server {
        listen 127.0.0.1:%%PORT_0%%;
        location / {
            grpc_pass keep;
        }
    }
}
`

// TestKeepalive: with an upstream keepalive pool, requests share one
// HTTP/2 connection (a new stream each, no preface), as with nginx.
func TestKeepalive(t *testing.T) {
	testutil.CheckLeaks(t)
	gN, gS := startGo(t), startGo(t)
	n := oracle.Start(t, strings.ReplaceAll(keepConf, "GO", gN.addr()))
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+strings.ReplaceAll(keepConf, "GO", gS.addr()))
	reqs := []string{
		"GET /plain HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
		"POST /helloworld.Greeter/SayHello HTTP/1.1\r\nHost: localhost\r\nTE: trailers\r\nContent-Length: 8\r\nConnection: close\r\n\r\n\x00\x00\x00\x00\x03one",
		"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n" + strings.Repeat("x", 100000),
		"GET /big HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
		"GET /plain HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
	}
	cmp := oracle.DefaultComparison()
	cmp.Trailers = true
	for i, req := range reqs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			oracle.Compare(t, req, n.Addr(0), s.Addr("0"), cmp)
		})
	}
	if a, b := gN.conns.Load(), gS.conns.Load(); a != b || b != 1 {
		t.Errorf("backend connections: nginx %d, sluice %d (want 1)", a, b)
	}
}
