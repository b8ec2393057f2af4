package httpd_test

import (
	"encoding/binary"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// ppConf reads PROXY protocol headers on port 0 and shows what they said;
// /real takes the client address from them (the balancer, 127.0.0.1, is
// trusted); port 1 reads none.
const ppConf = `
error_log error.log info;
events {}
http {
    log_format pp "$remote_addr:$remote_port";
    add_header X-IP $remote_addr!$remote_port;
    add_header X-PP $proxy_protocol_addr!$proxy_protocol_port;
    add_header X-PPS $proxy_protocol_server_addr!$proxy_protocol_server_port;
    server {
        listen 127.0.0.1:%%PORT_0%% proxy_protocol;
        client_header_timeout 1s;
        set_real_ip_from 127.0.0.1/32;
        location / { return 200 "ok\n"; }
        location /real {
            real_ip_header proxy_protocol;
            location /real/deny { deny 192.0.2.1; return 200 "ok\n"; }
            return 200 "real\n";
        }
    }
    server {
        listen 127.0.0.1:%%PORT_1%%;
        location / { return 200 "plain\n"; }
    }
}
`

// ppV2 builds a PROXY protocol version 2 header.
func ppV2(verCmd, famTrans byte, body []byte) string {
	b := []byte("\r\n\r\n\x00\r\nQUIT\n")
	b = append(b, verCmd, famTrans)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
	return string(append(b, body...))
}

// ppInet4 is a version 2 address block: 192.0.2.1:123 to 192.0.2.2:5678.
var ppInet4 = []byte{192, 0, 2, 1, 192, 0, 2, 2, 0, 123, 0x16, 0x2e}

// ppInet6 is 2001:db8::1:123 to 2001:db8::2:5678.
var ppInet6 = []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 123, 0x16, 0x2e}

var ppRequests = []struct{ name, req string }{
	{"v1 tcp4", "PROXY TCP4 192.0.2.1 192.0.2.2 123 5678\r\nGET / HTTP/1.0\r\n\r\n"},
	{"v1 tcp6 as sent", "PROXY TCP6 2001:Db8::1 2001:Db8::2 123 5678\r\nGET / HTTP/1.0\r\n\r\n"},
	{"v1 unknown", "PROXY UNKNOWN\r\nGET / HTTP/1.0\r\n\r\n"},
	{"v1 unknown with addresses", "PROXY UNKNOWN 1 2 3 4 5 6\r\nGET / HTTP/1.0\r\n\r\n"},
	{"v1 port 0", "PROXY TCP4 192.0.2.1 192.0.2.2 0 0\r\nGET / HTTP/1.0\r\n\r\n"},
	{"v1 keepalive", "PROXY TCP4 192.0.2.1 192.0.2.2 123 5678\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.0\r\n\r\n"},
	{"v1 large header", "PROXY TCP4 192.0.2.1 192.0.2.2 123 5678\r\nGET / HTTP/1.0\r\nX-Long: " + strings.Repeat("x", 3000) + "\r\n\r\n"},
	{"v1 realip", "PROXY TCP4 192.0.2.1 192.0.2.2 123 5678\r\nGET /real HTTP/1.0\r\n\r\n"},
	{"v1 realip v6", "PROXY TCP6 2001:Db8::1 2001:Db8::2 123 5678\r\nGET /real HTTP/1.0\r\n\r\n"},
	{"v1 realip unknown", "PROXY UNKNOWN\r\nGET /real HTTP/1.0\r\n\r\n"},
	{"v1 realip deny", "PROXY TCP4 192.0.2.1 192.0.2.2 123 5678\r\nGET /real/deny HTTP/1.0\r\n\r\n"},
	{"v2 tcp4", ppV2(0x21, 0x11, ppInet4) + "GET / HTTP/1.0\r\n\r\n"},
	{"v2 tcp6", ppV2(0x21, 0x21, ppInet6) + "GET / HTTP/1.0\r\n\r\n"},
	{"v2 tlv skipped", ppV2(0x21, 0x11, append(append([]byte(nil), ppInet4...), 1, 0, 2, 'h', '2')) + "GET / HTTP/1.0\r\n\r\n"},
	{"v2 local", ppV2(0x20, 0x00, nil) + "GET / HTTP/1.0\r\n\r\n"},
	{"v2 unknown family", ppV2(0x21, 0x41, []byte{1, 2, 3, 4}) + "GET / HTTP/1.0\r\n\r\n"},
	{"v2 datagram", ppV2(0x21, 0x12, ppInet4) + "GET / HTTP/1.0\r\n\r\n"},
	{"v2 realip", ppV2(0x21, 0x21, ppInet6) + "GET /real HTTP/1.0\r\n\r\n"},
	// refused: the connection is closed without an answer
	{"no header", "GET / HTTP/1.0\r\n\r\n"},
	{"v1 lower case", "proxy TCP4 192.0.2.1 192.0.2.2 123 5678\r\nGET / HTTP/1.0\r\n\r\n"},
	{"v1 bad port", "PROXY TCP4 192.0.2.1 192.0.2.2 123 99999\r\nGET / HTTP/1.0\r\n\r\n"},
	{"v1 bad address", "PROXY TCP4 192.0.2.x 192.0.2.2 123 5678\r\nGET / HTTP/1.0\r\n\r\n"},
	{"v1 LF only", "PROXY TCP4 192.0.2.1 192.0.2.2 123 5678\nGET / HTTP/1.0\r\n\r\n"},
	{"v2 version 3", ppV2(0x31, 0x11, ppInet4) + "GET / HTTP/1.0\r\n\r\n"},
	{"v2 too large", ppV2(0x21, 0x11, ppInet4)[:20]},
	{"v2 short addresses", ppV2(0x21, 0x11, ppInet4[:8]) + "GET / HTTP/1.0\r\n\r\n"},
}

// TestDifferentialProxyProtocol sends the same PROXY protocol headers to
// Debian's nginx and to sluice: same answers, same refusals (a closed
// connection), same error log lines; nothing left behind.
func TestDifferentialProxyProtocol(t *testing.T) {
	testutil.CheckLeaks(t)
	n := oracle.Start(t, ppConf)
	s := servertest.Start(t, ppConf)
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = 300e6
	for _, tc := range ppRequests {
		t.Run(tc.name, func(t *testing.T) {
			oracle.Compare(t, tc.req, n.Addr(0), s.Addr("0"), cmp)
		})
	}
	t.Run("plain address", func(t *testing.T) {
		oracle.Compare(t, "GET / HTTP/1.0\r\n\r\n", n.Addr(1), s.Addr("1"), cmp)
	})
	t.Run("header alone, then the request", func(t *testing.T) {
		// the pause lets the server read the header by itself; should both
		// arrive together the case is the "v1 tcp4" one
		for _, addr := range []string{n.Addr(0), s.Addr("0")} {
			c := testutil.Dial(t, addr)
			if err := c.WriteString("PROXY TCP4 192.0.2.1 192.0.2.2 123 5678\r\n"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			if err := c.WriteString("GET / HTTP/1.0\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			resp, err := c.ReadResponse()
			c.Close()
			if err != nil {
				t.Fatalf("%s: %v", addr, err)
			}
			if got := resp.Get("X-PP"); resp.StatusCode != 200 || got != "192.0.2.1!123" {
				t.Errorf("%s: %d, X-PP %q", addr, resp.StatusCode, got)
			}
		}
	})
	t.Run("timeout", func(t *testing.T) {
		for _, addr := range []string{n.Addr(0), s.Addr("0")} {
			c := testutil.Dial(t, addr)
			if closed, _, _ := c.WaitClosed(5 * time.Second); !closed {
				t.Errorf("%s: not closed after client_header_timeout", addr)
			}
			c.Close()
		}
	})
	// the log lines of the refusals and the timeout, ports and
	// connection numbers aside
	// nginx 1.22 logs a broken header's whole first read, line ends and
	// all; later versions (and sluice) stop at the first line end
	nlog := ppBrokenWhole.ReplaceAllString(n.ErrorLog(), `broken header: "$1"`)
	want := ppLogLines(nlog, strconv.Itoa(n.Port(0)))
	got := ppLogLines(s.ErrorLog(), s.Port("0"))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("error log lines differ\nsluice:\n%s\nnginx:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(want) != 8 {
		t.Errorf("nginx logged %d lines about PROXY protocol, want 8 (7 refusals, 1 timeout):\n%s", len(want), strings.Join(want, "\n"))
	}
}

var ppBrokenWhole = regexp.MustCompile(`broken header: "([^\r\n"]*)[^"]*"`)

var ppLogLine = regexp.MustCompile(`\[(?:error|info)\] \d+#\d+: \*\d+ (.* while reading PROXY protocol, .*)`)

// ppLogLines are the lines logged while reading PROXY protocol headers.
func ppLogLines(log, port string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if m := ppLogLine.FindStringSubmatch(l); m != nil {
			out = append(out, strings.ReplaceAll(m[1], ":"+port, ":PORT"))
		}
	}
	return out
}

// TestProxyProtocolTLV: $proxy_protocol_tlv_* (nginx 1.23.2, newer than
// the oracle) by name, by type, and inside the SSL TLV; a TLV name nginx
// does not know is logged.
func TestProxyProtocolTLV(t *testing.T) {
	s := servertest.Start(t, `
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_0%% proxy_protocol;
        location / {
            return 200 "[$proxy_protocol_tlv_alpn] [$proxy_protocol_tlv_0x2] [$proxy_protocol_tlv_ssl_verify] [$proxy_protocol_tlv_ssl_cn] [$proxy_protocol_tlv_0x0f] [$proxy_protocol_tlv_crc32c]";
        }
    }
}`)
	tlv := func(t byte, v string) []byte {
		b := []byte{t}
		b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
		return append(b, v...)
	}
	body := append([]byte(nil), ppInet4...)
	body = append(body, tlv(0x01, "h2")...)
	body = append(body, tlv(0x02, "example.com")...)
	body = append(body, tlv(0x20, "\x01\x00\x00\x00\x07"+string(tlv(0x22, "client.example")))...)
	cases := []struct{ name, head, want string }{
		{"v2 with TLVs", ppV2(0x21, 0x11, body), "[h2] [example.com] [7] [client.example] [] []"},
		{"v2 without TLVs", ppV2(0x21, 0x11, ppInet4), "[] [] [] [] [] []"},
		{"v1", "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n", "[] [] [] [] [] []"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := testutil.RoundTrip(t, s.Addr("0"), tc.head+"GET / HTTP/1.0\r\n\r\n")
			if got := string(resp.Body); got != tc.want {
				t.Errorf("body %q, want %q", got, tc.want)
			}
		})
	}
	if !strings.Contains(s.ErrorLog(), `[error]`) || !strings.Contains(s.ErrorLog(), `unknown PROXY protocol TLV "crc32c"`) {
		t.Errorf("error log lacks the unknown TLV:\n%s", s.ErrorLog())
	}
}
