package geo_test

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
)

// TestRequestAllocs: a keepalive request whose response shows geo
// variables (networks, ranges, $address, X-Forwarded-For through proxy)
// allocates as much as one showing a variable without geo: the lookups
// allocate nothing.
func TestRequestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	s := servertest.Start(t, `
events {}
http {
    access_log off;
    keepalive_requests 100000000;
    geo $arg_ip $net {
        default def;
        10.0.0.0/8 ten;
        2001:db8::/32 doc;
    }
    geo $arg_ip $rng {
        ranges;
        default def;
        10.0.0.0-10.0.255.255 ten;
    }
    geo $proxied {
        proxy 127.0.0.1;
        proxy_recursive;
        default def;
        192.0.2.0/24 testnet;
    }
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location /geo { return 200 "$net$rng$proxied"; }
        location /plain { return 200 "$arg_ip$arg_ip$arg_ip"; }
    }
}`)
	measure := func(path, headers string) float64 {
		c, err := net.Dial("tcp", s.Addr("A"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		req := []byte("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + headers + "\r\n")
		br := bufio.NewReaderSize(c, 4096)
		c.Write(req)
		buf := make([]byte, responseSize(t, br))
		round := func() {
			c.Write(req)
			if _, err := io.ReadFull(br, buf); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 100; i++ {
			round()
		}
		return testing.AllocsPerRun(300, round)
	}
	base := measure("/plain?ip=10.0.0.1", "")
	cases := []struct{ name, path, headers string }{
		{"v4", "/geo?ip=10.1.2.3", ""},
		{"v6", "/geo?ip=2001:db8::1", ""},
		{"forwarded", "/geo?ip=10.1.2.3", "X-Forwarded-For: 198.51.100.1, 192.0.2.7\r\n"},
	}
	for _, tc := range cases {
		a := measure(tc.path, tc.headers)
		t.Logf("%s: %.2f allocations per request (%.2f without geo)", tc.name, a, base)
		if a > base {
			t.Errorf("%s: %.2f allocations per request, %.2f without geo", tc.name, a, base)
		}
	}
}

func responseSize(t *testing.T, br *bufio.Reader) int {
	t.Helper()
	n, cl := 0, 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		n += len(line)
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			cl, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if line == "\r\n" {
			break
		}
	}
	if _, err := io.ReadFull(br, make([]byte, cl)); err != nil {
		t.Fatal(err)
	}
	return n + cl
}
