package referer_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// diffConf has one location per valid_referers configuration; each
// answers $invalid_referer.
const diffConf = `
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name www.example.com *.wild.example .dot.example tail.* ~^re\d+\.example$;
        location / { return 200 "[$invalid_referer]"; }
        location /none { valid_referers none example.org; return 200 "[$invalid_referer]"; }
        location /blocked { valid_referers blocked example.org; return 200 "[$invalid_referer]"; }
        location /names { valid_referers server_names; return 200 "[$invalid_referer]"; }
        location /hosts { valid_referers Example.ORG *.sub.example.org .dot.example.net www.example.* ; return 200 "[$invalid_referer]"; }
        location /uri { valid_referers example.org/path/ example.net/ *.example.com/x .z.example/Y; return 200 "[$invalid_referer]"; }
        location /regex { valid_referers ~\.regex\.example ~^foo\.example/bar ~EXAMPLE\.CAP; return 200 "[$invalid_referer]"; }
        location /mixed { valid_referers none blocked server_names example.org ~\.org/reg; return 200 "[$invalid_referer]"; }
        location /outer {
            valid_referers example.org ~\.rx\.example;
            location /outer/in { return 200 "[$invalid_referer]"; }
            location /outer/own { valid_referers example.net; return 200 "[$invalid_referer]"; }
            return 200 "[$invalid_referer]";
        }
        location /big {
            referer_hash_bucket_size 128;
            valid_referers a-rather-long-host-name-that-needs-a-bigger-bucket-than-sixty-four.example;
            return 200 "[$invalid_referer]";
        }
    }
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name srv.example;
        valid_referers none server_names;
        location / { return 200 "[$invalid_referer]"; }
        location /loc { valid_referers server_names example.org/p; return 200 "[$invalid_referer]"; }
    }
}
`

var referers = []string{
	"",
	"http://example.org",
	"http://example.org/",
	"https://example.org/anything",
	"HTTP://EXAMPLE.ORG/",
	"hTtPs://Example.Org:8080/x",
	"http://example.org:80",
	"http://example.org.evil",
	"http://evil.example.org/",
	"http://a.sub.example.org/",
	"http://sub.example.org/",
	"http://a.b.sub.example.org/",
	"http://dot.example.net/",
	"http://x.dot.example.net/q",
	"http://www.example.com/",
	"http://www.example.co.uk/",
	"http://www.example/",
	"http://www.wild.example/",
	"http://wild.example/",
	"http://dot.example/",
	"http://a.dot.example/",
	"http://tail.foo/",
	"http://tail/",
	"http://re12.example/",
	"http://RE12.example/",
	"http://re.example/",
	"http://example.org/path/",
	"http://example.org/path",
	"http://example.org/path/deeper?q",
	"http://example.org:81/path/x",
	"http://example.org/PATH/",
	"http://example.net",
	"http://example.net/",
	"http://example.net:1/",
	"http://a.example.com/x",
	"http://a.example.com/xyz",
	"http://a.example.com/",
	"http://z.example/Y",
	"http://q.z.example/Yes",
	"http://z.example/y",
	"http://www.regex.example/",
	"http://foo.example/bar",
	"http://foo.example/baz",
	"https://host.example.cap/",
	"http://a.org/reg",
	"http://a.rx.example/",
	"http://srv.example/",
	"http://SRV.example/p",
	"http://srv.example/p",
	"http://srv.example:8080/p",
	"http://example.org/p",
	"http://example.org/q",
	"http://a-rather-long-host-name-that-needs-a-bigger-bucket-than-sixty-four.example/",
	"http://i.ru",
	"http://i.r",
	"https://i.r",
	"ftp://example.org/",
	"example.org",
	"//example.org/",
	"http:/example.org/",
	"http://",
	"http:///",
	"http://:80/",
	"http://example.org\\evil",
	"http://" + strings.Repeat("a", 255) + "/",
	"http://" + strings.Repeat("a", 256) + "/",
	"http://" + strings.Repeat("a", 256) + ".rx.example/",
	"http://ex%61mple.org/",
	"http://example.org./",
	"http://.example.org/",
	"http://user@example.org/",
	"http://example.org?x",
	"http://example.org#x",
	"junk",
}

// TestDifferential asks nginx and sluice for $invalid_referer with many
// Referer values against every configuration.
func TestDifferential(t *testing.T) {
	testutil.CheckLeaks(t)
	n := oracle.Start(t, diffConf)
	s := servertest.Start(t, diffConf)
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = -1
	type target struct{ host, uri string }
	var targets []target
	for _, u := range []string{"/", "/none", "/blocked", "/names", "/hosts", "/uri", "/regex", "/mixed", "/outer", "/outer/in", "/outer/own", "/big"} {
		targets = append(targets, target{"localhost", u})
	}
	targets = append(targets, target{"srv.example", "/"}, target{"srv.example", "/loc"})
	for _, tg := range targets {
		t.Run(tg.host+tg.uri, func(t *testing.T) {
			for _, ref := range referers {
				req := "GET " + tg.uri + " HTTP/1.0\r\nHost: " + tg.host + "\r\n"
				if ref != "" {
					req += "Referer: " + ref + "\r\n"
				}
				oracle.Compare(t, req+"\r\n", n.Addr(0), s.Addr("0"), cmp)
			}
			// no Referer at all, and two of them (the first counts)
			oracle.Compare(t, "GET "+tg.uri+" HTTP/1.0\r\nHost: "+tg.host+"\r\n\r\n", n.Addr(0), s.Addr("0"), cmp)
			oracle.Compare(t, "GET "+tg.uri+" HTTP/1.0\r\nHost: "+tg.host+"\r\nReferer: http://example.org/\r\nReferer: junk\r\n\r\n", n.Addr(0), s.Addr("0"), cmp)
		})
	}
}
