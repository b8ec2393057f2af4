package emptygif_test

import (
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const conf = `
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location / { empty_gif; }
        location /off { }
    }
}
`

// theGIF is the image nginx sends, byte for byte.
const theGIF = "GIF89a\x01\x00\x01\x00\x80\x01\x00\x00\x00\x00\xff\xff\xff\x21\xf9\x04\x01\x00\x00\x01\x00" +
	"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x4c\x01\x00\x3b"

func TestEmptyGIF(t *testing.T) {
	s := servertest.Start(t, "events {}\n"+conf)
	tests := []struct {
		name, req string
		status    int
		body      string
	}{
		{"get", "GET /x.gif HTTP/1.0\r\n\r\n", 200, theGIF},
		{"head", "HEAD / HTTP/1.0\r\n\r\n", 200, ""},
		{"put", "PUT / HTTP/1.0\r\nContent-Length: 2\r\n\r\nab", 405, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r *testutil.Response
			if tc.name == "head" {
				cl := testutil.Dial(t, s.Addr("0"))
				defer cl.Close()
				if err := cl.WriteString(tc.req); err != nil {
					t.Fatal(err)
				}
				var err error
				if r, err = cl.ReadHeadResponse(); err != nil {
					t.Fatal(err)
				}
			} else {
				r = testutil.RoundTrip(t, s.Addr("0"), tc.req)
			}
			if r.StatusCode != tc.status || tc.status == 200 && string(r.Body) != tc.body {
				t.Fatalf("want %d %q, got:\n%s", tc.status, tc.body, r)
			}
			if tc.status == 200 {
				if r.Get("Content-Type") != "image/gif" || r.Get("Content-Length") != "43" ||
					r.Get("Last-Modified") != "Mon, 28 Sep 1970 06:00:00 GMT" {
					t.Errorf("head:\n%s", r)
				}
			}
		})
	}
}

func TestConfErrors(t *testing.T) {
	for _, tc := range []struct{ name, conf, want string }{
		{"argument", "events {}\nhttp { server { location / { empty_gif on; } } }\n", `invalid number of arguments in "empty_gif" directive in FILE:2`},
		{"in server", "events {}\nhttp { server { empty_gif; } }\n", `"empty_gif" directive is not allowed here in FILE:2`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := servertest.LoadError(t, tc.conf, nil); got != tc.want {
				t.Errorf("error\n%s\nwant\n%s", got, tc.want)
			}
			if n := oracle.CheckConfig(t, tc.conf).Emerg; n != tc.want {
				t.Errorf("nginx -t says\n%s\nthe test expects\n%s", n, tc.want)
			}
		})
	}
}

func TestOracleEmptyGIF(t *testing.T) {
	ngx := oracle.Start(t, conf)
	s := servertest.Start(t, "events {}\n"+conf)
	cmp := oracle.DefaultComparison()
	for _, req := range []string{
		"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
		"GET / HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-5\r\nConnection: close\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: localhost\r\nIf-Modified-Since: Mon, 28 Sep 1970 06:00:00 GMT\r\nConnection: close\r\n\r\n",
	} {
		oracle.Compare(t, req, ngx.Addr(0), s.Addr("0"), cmp)
	}
	head := cmp
	head.NoBody = true
	oracle.Compare(t, "HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", ngx.Addr(0), s.Addr("0"), head)
}
