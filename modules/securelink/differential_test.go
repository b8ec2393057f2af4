package securelink_test

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const diffConf = `
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location /s/ {
            secure_link $arg_h,$arg_e;
            secure_link_md5 "$secure_link_expires$uri secret";
            return 200 "[$secure_link][$secure_link_expires]";
        }
        location /first/ {
            secure_link $arg_h,$arg_e;
            secure_link_md5 "$uri";
            return 200 "[$secure_link_expires][$secure_link][$secure_link_expires]";
        }
        location /n/ {
            secure_link $arg_h;
            secure_link_md5 "$uri secret";
            return 200 "[$secure_link][$secure_link_expires]";
        }
        location /raw/ {
            secure_link $arg_l;
            secure_link_md5 $arg_m;
            return 200 "[$secure_link][$secure_link_expires]";
        }
        location /p/ {
            secure_link_secret word;
            return 200 "[$secure_link][$secure_link_expires]";
        }
        location /e/ {
            secure_link_secret "";
            return 200 "[$secure_link]";
        }
        location /none/ { return 200 "[$secure_link][$secure_link_expires]"; }
        location /half/ { secure_link $arg_h; return 200 "[$secure_link]"; }
    }
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name inherit;
        secure_link_secret word;
        location /p/ { return 200 "[$secure_link]"; }
        location /own/ { secure_link $arg_h; secure_link_md5 "$uri"; return 200 "[$secure_link]"; }
    }
}
`

func b64(s string) string {
	sum := md5.Sum([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func hexsum(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestDifferential compares $secure_link and $secure_link_expires for
// many links, checksums and expiry times with nginx's.
func TestDifferential(t *testing.T) {
	testutil.CheckLeaks(t)
	n := oracle.Start(t, diffConf)
	s := servertest.Start(t, diffConf)
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = -1
	future := fmt.Sprint(time.Now().Unix() + 3600)
	past := fmt.Sprint(time.Now().Unix() - 3600)
	std := func(s string) string {
		sum := md5.Sum([]byte(s))
		return base64.StdEncoding.EncodeToString(sum[:])
	}
	good := b64(future + "/s/a secret")
	cases := []struct{ name, target string }{
		{"valid future", "/s/a?h=" + good + "&e=" + future},
		{"valid past", "/s/a?h=" + b64(past+"/s/a secret") + "&e=" + past},
		{"expiry 1", "/s/a?h=" + b64("1/s/a secret") + "&e=1"},
		{"expiry zero", "/s/a?h=" + b64("0/s/a secret") + "&e=0"},
		{"expiry leading zeros", "/s/a?h=" + b64("0001/s/a secret") + "&e=0001"},
		{"expiry negative", "/s/a?h=" + b64("-1/s/a secret") + "&e=-1"},
		{"expiry not a number", "/s/a?h=" + b64("12a/s/a secret") + "&e=12a"},
		{"expiry empty", "/s/a?h=" + b64("/s/a secret") + "&e="},
		{"expiry overflow", "/s/a?h=" + b64("99999999999999999999/s/a secret") + "&e=99999999999999999999"},
		{"expiry max", "/s/a?h=" + b64("9223372036854775807/s/a secret") + "&e=9223372036854775807"},
		{"expiry with space", "/s/a?h=" + good + "&e=%20" + future},
		{"wrong uri", "/s/b?h=" + good + "&e=" + future},
		{"wrong expiry", "/s/a?h=" + good + "&e=" + past},
		{"no hash", "/s/a?e=" + future},
		{"padding", "/s/a?h=" + good + "==&e=" + future},
		{"junk after padding", "/s/a?h=" + good + "=junk!&e=" + future},
		{"standard alphabet", "/s/a?h=" + std(future+"/s/a secret") + "&e=" + future},
		{"truncated", "/s/a?h=" + good[:20] + "&e=" + future},
		{"4n+1", "/s/a?h=" + good[:21] + "&e=" + future},
		{"too long", "/s/a?h=" + good + "AAAAAAA&e=" + future},
		{"24 chars", "/s/a?h=" + good + "A&e=" + future},
		{"case changed", "/s/a?h=" + strings.ToUpper(good) + "&e=" + future},
		{"no comma, no expiry", "/n/x?h=" + b64("/n/x secret")},
		{"no comma, bad", "/n/x?h=" + b64("/n/y secret")},
		{"empty hash", "/n/x?h="},
		{"two commas", "/raw/?l=" + b64("m") + ",5,6&m=m"},
		{"raw with expiry", "/raw/?l=" + b64("m") + ",5&m=m"},
		{"raw comma only", "/raw/?l=" + b64("m") + ",&m=m"},
		{"raw empty md5 text", "/raw/?l=" + b64("") + "&m="},
		{"raw unpadded short", "/raw/?l=AAAA&m=x"},
		{"raw invalid char", "/raw/?l=" + b64("m")[:20] + "*&m=m"},
		{"raw last bits ignored", "/raw/?l=" + b64("m")[:21] + "B&m=m"},
		{"first: expires before link", "/first/x?h=" + b64("/first/x") + "&e=" + future},
		{"old valid", "/p/" + hexsum("file.txtword") + "/file.txt"},
		{"old upper hex", "/p/" + strings.ToUpper(hexsum("file.txtword")) + "/file.txt"},
		{"old wrong", "/p/" + hexsum("file.txtsalt") + "/file.txt"},
		{"old short", "/p/" + hexsum("file.txtword")[1:] + "/file.txt"},
		{"old long", "/p/0" + hexsum("file.txtword") + "/file.txt"},
		{"old not hex", "/p/" + strings.Repeat("g", 32) + "/file.txt"},
		{"old empty link", "/p/" + hexsum("word") + "/"},
		{"old no link", "/p/" + hexsum("word")},
		{"old with args", "/p/" + hexsum("a/b?x=1word") + "/a/b?x=1"},
		{"old args not counted", "/p/" + hexsum("a/bword") + "/a/b?x=1"},
		{"old escaped", "/p/" + hexsum("a%20bword") + "/a%20b"},
		{"old deeper prefix", "/p/q/" + hexsum("xword") + "/x"},
		{"empty secret", "/e/" + hexsum("x") + "/x"},
		{"no directives", "/none/?h=" + good},
		{"secure_link without md5", "/half/?h=" + good},
	}
	// a few answers spelled out, so that agreeing on nothing cannot pass
	want := map[string]string{
		"valid future":               "[1][" + future + "]",
		"valid past":                 "[0][" + past + "]",
		"wrong uri":                  "[][" + future + "]",
		"no comma, no expiry":        "[1][]",
		"first: expires before link": "[][1][]",
		"old valid":                  "[file.txt][]",
		"old with args":              "[a/b?x=1][]",
		"empty secret":               "[x]",
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, got := oracle.Compare(t, "GET "+tc.target+" HTTP/1.0\r\nHost: localhost\r\n\r\n", n.Addr(0), s.Addr("0"), cmp)
			if w, ok := want[tc.name]; ok && (got.Resp == nil || string(got.Resp.Body) != w) {
				t.Errorf("sluice answered %+v, want body %q", got.Resp, w)
			}
		})
	}
	for _, tc := range []struct{ name, req string }{
		{"absolute URI", "GET http://localhost/p/" + hexsum("file.txtword") + "/file.txt HTTP/1.0\r\n\r\n"},
		{"inherited secret", "GET /p/" + hexsum("file.txtword") + "/file.txt HTTP/1.0\r\nHost: inherit\r\n\r\n"},
		{"own link under a secret", "GET /own/?h=" + b64("/own/") + " HTTP/1.0\r\nHost: inherit\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			oracle.Compare(t, tc.req, n.Addr(0), s.Addr("0"), cmp)
		})
	}
}
