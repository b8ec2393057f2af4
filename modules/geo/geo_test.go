package geo_test

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// geoConf is served by nginx and sluice alike: X-Geo shows the variables.
// INCLUDE is a file of more networks.
const geoConf = `
events {}
http {
    access_log off;

    geo $arg_ip $net {
        default            def;
        include            INCLUDE;
        10.0.0.0/8         ten;
        10.1.0.0/16        ten-one;
        10.1.2.0/24        ten-one-two;
        10.1.2.3           host;
        10.1.2.3/32        host2;
        10.200.0.0/16      deleted;
        delete             10.200.0.0/16;
        192.168.0.0/23     pair;
        0.0.0.0/1          low-half;
        255.255.255.255    none;
        ::1                v6-lo;
        2001:db8::/32      doc;
        2001:db8:1::/48    doc-one;
        ::ffff:0:0/96      mapped-net;
        fe80::/10          link;
    }

    geo $arg_ip $nodef {
        10.0.0.0/8  ten;
    }

    geo $arg_ip $rng {
        ranges;
        default                      rdef;
        10.0.0.0-10.0.255.255        a;
        10.0.1.0-10.0.1.255          b;
        10.0.0.0-10.0.0.9            c;
        10.0.254.255-10.3.0.10       cross;
        10.2.0.0-10.2.0.255          hole;
        delete                       10.2.0.0-10.2.0.255;
        0.0.0.0-0.0.0.255            zero;
        255.255.255.0-255.255.255.254 top;
        192.168.1.1-192.168.1.1      one;
    }

    geo $client {
        default      other;
        127.0.0.1    loopback;
        192.0.2.0/24 testnet;
        2001:db8::/32 doc;
    }

    geo $proxied {
        proxy        127.0.0.1;
        proxy        192.0.2.0/28;
        default      other;
        127.0.0.1    loopback;
        192.0.2.0/24 testnet;
        198.51.100.0/24 testnet2;
        2001:db8::/32 doc;
    }

    geo $recursive {
        proxy        127.0.0.1;
        proxy        192.0.2.0/28;
        proxy        2001:db8::/64;
        proxy_recursive;
        default      other;
        127.0.0.1    loopback;
        192.0.2.0/24 testnet;
        198.51.100.0/24 testnet2;
        2001:db8::/32 doc;
    }

    geo $arg_ip $argproxied {
        proxy        10.0.0.0/8;
        default      other;
        10.0.0.0/8   ten;
        192.0.2.0/24 testnet;
    }

    geo $arg_ip $rproxied {
        ranges;
        proxy        127.0.0.1;
        default      other;
        192.0.2.0-192.0.2.255 testnet;
    }

    server {
        listen 127.0.0.1:%%PORT_0%%;
        listen unix:%%PREFIX%%/s.sock;
        location / {
            add_header X-Geo "net=$net nodef=[$nodef] rng=$rng client=$client";
            add_header X-Proxy "p=$proxied r=$recursive a=$argproxied rp=$rproxied";
            return 204;
        }
    }
}
`

const includeText = `
172.16.0.0/12  private;
10.5.0.0/16    included;
`

func startBoth(t *testing.T) (n *oracle.Nginx, s *servertest.Server) {
	t.Helper()
	dir := t.TempDir()
	inc := filepath.Join(dir, "geo.conf")
	if err := os.WriteFile(inc, []byte(includeText), 0644); err != nil {
		t.Fatal(err)
	}
	conf := strings.ReplaceAll(geoConf, "INCLUDE", inc)
	return oracle.Start(t, conf), servertest.Start(t, conf)
}

// addresses are the addresses compared: edges of every network and range
// above, oddities of the address syntax, and random ones.
func addresses() []string {
	list := []string{
		"", "junk", "10.0.0.0", "10.0.0.1", "9.255.255.255", "10.255.255.255", "11.0.0.0",
		"10.1.0.0", "10.1.255.255", "10.1.2.0", "10.1.2.2", "10.1.2.3", "10.1.2.4", "10.1.2.255",
		"10.200.0.1", "10.5.1.1", "172.16.0.1", "172.31.255.255", "172.32.0.0",
		"192.168.0.0", "192.168.1.255", "192.168.2.0", "192.168.1.1", "192.168.1.2",
		"0.0.0.0", "127.255.255.255", "128.0.0.0", "255.255.255.254", "255.255.255.255", "255.255.255.0",
		"10.0.0.9", "10.0.0.10", "10.0.0.255", "10.0.1.0", "10.0.1.255", "10.0.2.0",
		"10.0.254.254", "10.0.254.255", "10.0.255.249", "10.0.255.250", "10.0.255.255",
		"10.1.0.0", "10.2.0.0", "10.2.0.255", "10.2.1.0", "10.3.0.10", "10.3.0.11",
		"::1", "::2", "::", "2001:db8::", "2001:db8::1", "2001:db8:1::1", "2001:db8:2::1", "2001:db9::",
		"::ffff:10.1.2.3", "::ffff:127.0.0.1", "::ffff:0:1", "::ffff:1.2.3.4", "fe80::1", "febf::1", "fec0::1",
		"0:0:0:0:0:0:0:1", "2001:DB8::1", "::10.1.2.3", "1.2.3", "1.2.3.4.5", "010.001.002.003", "10.1.2.3:80",
		"[::1]", "10..2.3", "1.2.3.", "10.1.2.3%20", "%20", "::ffff:10.0.1.5", "1:2:3:4:5:6:7:8", "1::2::3",
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	prefixes := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/14"), netip.MustParsePrefix("192.168.0.0/22"),
		netip.MustParsePrefix("172.16.0.0/11"), netip.MustParsePrefix("0.0.0.0/0"),
		netip.MustParsePrefix("2001:db8::/31"), netip.MustParsePrefix("::/0"),
	}
	for i := 0; i < 300; i++ {
		p := prefixes[i%len(prefixes)]
		b := p.Addr().AsSlice()
		for j := range b {
			r := byte(rnd.UintN(256))
			bitsLeft := p.Bits() - j*8
			switch {
			case bitsLeft >= 8:
			case bitsLeft <= 0:
				b[j] = r
			default:
				mask := byte(0xff) >> bitsLeft
				b[j] = b[j]&^mask | r&mask
			}
		}
		a, _ := netip.AddrFromSlice(b)
		list = append(list, a.String())
	}
	return list
}

// TestOracleAddresses compares the variables for many addresses given as
// $arg_ip.
func TestOracleAddresses(t *testing.T) {
	n, s := startBoth(t)
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-Geo", "X-Proxy")
	for _, a := range addresses() {
		t.Run(a, func(t *testing.T) {
			oracle.Compare(t, "GET /?ip="+a+" HTTP/1.0\r\n\r\n", n.Addr(0), s.Addr("0"), cmp)
		})
	}
}

// TestOracleForwarded compares X-Forwarded-For as geo's proxy directive
// reads it, the client being 127.0.0.1.
func TestOracleForwarded(t *testing.T) {
	n, s := startBoth(t)
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-Proxy")
	cases := []struct {
		name, headers, query string
	}{
		{"none", "", ""},
		{"one address", "X-Forwarded-For: 198.51.100.7\r\n", ""},
		{"trusted chain", "X-Forwarded-For: 198.51.100.7, 192.0.2.3\r\n", ""},
		{"untrusted in chain", "X-Forwarded-For: 192.0.2.3, 198.51.100.7, 192.0.2.5\r\n", ""},
		{"all trusted", "X-Forwarded-For: 192.0.2.1, 192.0.2.2\r\n", ""},
		{"untrusted proxy in the /24", "X-Forwarded-For: 198.51.100.7, 192.0.2.100\r\n", ""},
		{"with port", "X-Forwarded-For: 198.51.100.7:8080\r\n", ""},
		{"v6", "X-Forwarded-For: 2001:db8:1::1\r\n", ""},
		{"v6 brackets port", "X-Forwarded-For: [2001:db8:1::1]:80\r\n", ""},
		{"v6 trusted chain", "X-Forwarded-For: 198.51.100.1, 2001:db8::5\r\n", ""},
		{"junk", "X-Forwarded-For: junk\r\n", ""},
		{"junk before", "X-Forwarded-For: junk, 198.51.100.7\r\n", ""},
		{"junk inside chain", "X-Forwarded-For: 198.51.100.1, junk, 192.0.2.4\r\n", ""},
		{"separators", "X-Forwarded-For:  ,198.51.100.7 ,, \r\n", ""},
		{"empty", "X-Forwarded-For: \r\n", ""},
		{"two lines", "X-Forwarded-For: 198.51.100.1\r\nX-Forwarded-For: 192.0.2.2\r\n", ""},
		{"two lines, first untrusted", "X-Forwarded-For: 198.51.100.1, 198.51.100.2\r\nX-Forwarded-For: 192.0.2.2\r\n", ""},
		{"two lines, all trusted", "X-Forwarded-For: 192.0.2.3\r\nX-Forwarded-For: 192.0.2.2\r\n", ""},
		{"two lines, junk in last", "X-Forwarded-For: 198.51.100.1\r\nX-Forwarded-For: junk\r\n", ""},
		{"mapped", "X-Forwarded-For: ::ffff:192.0.2.9, ::ffff:192.0.2.1\r\n", ""},
		{"address argument trusted", "X-Forwarded-For: 192.0.2.77\r\n", "ip=10.9.9.9"},
		{"address argument untrusted", "X-Forwarded-For: 192.0.2.77\r\n", "ip=11.9.9.9"},
		{"address argument junk", "X-Forwarded-For: 192.0.2.77\r\n", "ip=junk"},
		{"ranges mode", "X-Forwarded-For: 192.0.2.77\r\n", "ip=127.0.0.1"},
		{"ranges mode v6", "X-Forwarded-For: 2001:db8::1\r\n", "ip=127.0.0.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			oracle.Compare(t, "GET /?"+tc.query+" HTTP/1.0\r\n"+tc.headers+"\r\n", n.Addr(0), s.Addr("0"), cmp)
		})
	}
}

// TestOracleUnix: a client on a UNIX-domain socket is looked up as
// 255.255.255.255, and proxies never trust it.
func TestOracleUnix(t *testing.T) {
	n, s := startBoth(t)
	get := func(sock string) string {
		nc, err := net.DialTimeout("unix", sock, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprint(nc, "GET / HTTP/1.0\r\nX-Forwarded-For: 192.0.2.1\r\n\r\n")
		data, _ := readAll(nc)
		r, _, err := testutil.ParseResponse(data, true, testutil.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Get("X-Geo") + " | " + r.Get("X-Proxy")
	}
	want := get(filepath.Join(n.Prefix(), "s.sock"))
	if got := get(filepath.Join(s.Prefix(), "s.sock")); got != want {
		t.Errorf("sluice %q, nginx %q", got, want)
	}
}

func readAll(c net.Conn) ([]byte, error) {
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return out, err
		}
	}
}

// TestValues pins a few values of geoConf (the oracle tests compare them
// with nginx's).
func TestValues(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "geo.conf")
	if err := os.WriteFile(inc, []byte(includeText), 0644); err != nil {
		t.Fatal(err)
	}
	s := servertest.Start(t, strings.ReplaceAll(geoConf, "INCLUDE", inc))
	cases := []struct {
		name, req, header, want string
	}{
		{"longest network", "/?ip=10.1.2.3", "X-Geo", "net=host2 nodef=[ten] rng=cross client=loopback"},
		{"deleted network", "/?ip=10.200.0.1", "X-Geo", "net=ten nodef=[ten] rng=rdef client=loopback"},
		{"included", "/?ip=172.16.0.1", "X-Geo", "net=private nodef=[] rng=rdef client=loopback"},
		{"not an address", "/?ip=junk", "X-Geo", "net=none nodef=[] rng=rdef client=loopback"},
		{"mapped", "/?ip=::ffff:10.1.2.3", "X-Geo", "net=host2 nodef=[ten] rng=cross client=loopback"},
		{"v6", "/?ip=2001:db8:1::1", "X-Geo", "net=doc-one nodef=[] rng=rdef client=loopback"},
		{"range split", "/?ip=10.0.0.5", "X-Geo", "net=ten nodef=[ten] rng=c client=loopback"},
		{"range deleted leaves a hole", "/?ip=10.2.0.5", "X-Geo", "net=ten nodef=[ten] rng=rdef client=loopback"},
		{"range edge", "/?ip=10.3.0.11", "X-Geo", "net=ten nodef=[ten] rng=rdef client=loopback"},
		{"proxy without header", "/", "X-Proxy", "p=loopback r=loopback a=other rp=other"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := testutil.RoundTrip(t, s.Addr("0"), "GET "+tc.req+" HTTP/1.0\r\n\r\n")
			if got := r.Get(tc.header); got != tc.want {
				t.Errorf("%s: %q, want %q", tc.header, got, tc.want)
			}
		})
	}
	r := testutil.RoundTrip(t, s.Addr("0"), "GET / HTTP/1.0\r\nX-Forwarded-For: 198.51.100.1, 192.0.2.2\r\n\r\n")
	if got, want := r.Get("X-Proxy"), "p=testnet r=testnet2 a=other rp=other"; got != want {
		t.Errorf("forwarded: %q, want %q", got, want)
	}
}
