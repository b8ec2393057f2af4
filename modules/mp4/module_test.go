package mp4_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// TestNoLeaks: answers cut, whole, refused, or abandoned by the client
// leave no descriptor open on the file and no goroutine.
func TestNoLeaks(t *testing.T) {
	testutil.CheckLeaks(t)
	s := servertest.Start(t, diffConf)
	writeMovies(t, s.Prefix())
	for _, req := range []string{
		"GET /moovlast.mp4?start=2 HTTP/1.0\r\n\r\n",
		"GET /moovfirst.mp4 HTTP/1.0\r\n\r\n",
		"HEAD /co64.mp4?start=2 HTTP/1.0\r\n\r\n",
		"GET /moovlast.mp4?start=2 HTTP/1.0\r\nRange: bytes=0-9\r\n\r\n",
		"GET /truncated.mp4?start=2 HTTP/1.0\r\n\r\n",
		"GET /small/moovlast.mp4?start=2 HTTP/1.0\r\n\r\n",
	} {
		testutil.RoundTrip(t, s.Addr("0"), req)
	}
	c := testutil.Dial(t, s.Addr("0"))
	c.WriteString("GET /moovlast.mp4?start=1 HTTP/1.0\r\n\r\n")
	c.Close()
	testutil.CheckNoFDsUnder(t, filepath.Join(s.Prefix(), "html"))
}

// TestConfErrors checks the module's errors against Debian's "nginx -t".
func TestConfErrors(t *testing.T) {
	conf := func(loc string) string {
		return "events {}\nhttp {\n    server {\n        location / { " + loc + " }\n    }\n}\n"
	}
	tests := []struct{ name, conf, want string }{
		{"argument", conf("mp4 on;"), `invalid number of arguments in "mp4" directive in FILE:4`},
		{"server level", "events {}\nhttp {\n    server {\n        mp4;\n    }\n}\n",
			`"mp4" directive is not allowed here in FILE:4`},
		{"buffer size", conf("mp4_buffer_size 1x;"), `"mp4_buffer_size" directive invalid value in FILE:4`},
		{"max buffer size", conf("mp4_max_buffer_size;"), `invalid number of arguments in "mp4_max_buffer_size" directive in FILE:4`},
		{"key frame", conf("mp4_start_key_frame yes;"),
			`invalid value "yes" in "mp4_start_key_frame" directive, it must be "on" or "off" in FILE:4`},
		{"duplicate", conf("mp4_buffer_size 1k; mp4_buffer_size 2k;"), `"mp4_buffer_size" directive is duplicate in FILE:4`},
	}
	for _, tc := range tests {
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

// TestLimitRateConf: mp4_limit_rate is not in nginx OSS; its values are
// checked as nginx.org documents them.
func TestLimitRateConf(t *testing.T) {
	conf := func(loc string) string {
		return "events {}\nhttp {\n    server {\n        location / { " + loc + " }\n    }\n}\n"
	}
	tests := []struct{ name, conf, want string }{
		{"on", conf("mp4_limit_rate on;"), ""},
		{"off", conf("mp4_limit_rate off;"), ""},
		{"factor", conf("mp4_limit_rate 2.5;"), ""},
		{"zero", conf("mp4_limit_rate 0;"), `"mp4_limit_rate" directive invalid value in FILE:4`},
		{"word", conf("mp4_limit_rate fast;"), `"mp4_limit_rate" directive invalid value in FILE:4`},
		{"after", conf("mp4_limit_rate_after 1m;"), ""},
		{"after bad", conf("mp4_limit_rate_after x;"), `"mp4_limit_rate_after" directive invalid value in FILE:4`},
		{"duplicate", conf("mp4_limit_rate on; mp4_limit_rate off;"), `"mp4_limit_rate" directive is duplicate in FILE:4`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := servertest.LoadError(t, tc.conf, nil); got != tc.want {
				t.Errorf("error\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// TestLimitRate: a cut answer is limited to the file's average bitrate
// times the factor ($limit_rate shows it).
func TestLimitRate(t *testing.T) {
	s := servertest.Start(t, `
error_log %%PREFIX%%/error.log info;
events {}
http {
    log_format rate "$request_uri $limit_rate";
    access_log %%PREFIX%%/access.log rate;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        root %%PREFIX%%/html;
        location / { mp4; mp4_limit_rate 2; mp4_limit_rate_after 30s; }
        location /on/ { alias %%PREFIX%%/html/; mp4; mp4_limit_rate on; }
    }
}
`)
	writeMovies(t, s.Prefix())
	fi, err := os.Stat(filepath.Join(s.Prefix(), "html", "moovlast.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{"/moovlast.mp4?start=1", "/on/moovlast.mp4?start=1", "/moovlast.mp4"} {
		r := testutil.RoundTrip(t, s.Addr("0"), "GET "+uri+" HTTP/1.0\r\n\r\n")
		if r.StatusCode != 200 {
			t.Fatalf("%s: status %d", uri, r.StatusCode)
		}
	}
	// the movie lasts 10 s (mvhd: 10000 at timescale 1000)
	size := float64(fi.Size())
	// (30 s of media is more than the file: nothing waits)
	want := []string{
		"/moovlast.mp4 0",
		"/moovlast.mp4?start=1 " + strconv.FormatInt(int64(size/10*2), 10),
		"/on/moovlast.mp4?start=1 " + strconv.FormatInt(int64(size/10*1.1), 10),
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		lines := strings.Split(strings.TrimSpace(s.ReadFile("access.log")), "\n")
		slices.Sort(lines) // each request is logged once its answer went out
		got := strings.Join(lines, "\n")
		if got == strings.Join(want, "\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("access log\n%s\nwant\n%s", got, strings.Join(want, "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
