package slice_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// conf runs in sluice and, for the differential test, in Debian's nginx:
// the first server slices what the second serves (a static file, and
// answers that break the slice rules).
const conf = `
http {
    proxy_cache_path %%ROOT%%/cache keys_zone=NAME:1m;
    proxy_cache_key  $uri$is_args$args$slice_range;
    proxy_temp_path  %%ROOT%%/temp;
    map $http_range $range { ~bytes=(.+) $1; }
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location /proxy/ {
            slice 4;
            proxy_pass http://127.0.0.1:%%PORT_1%%/;
            proxy_set_header Range $slice_range;
        }
        location /cache/ {
            slice 4;
            proxy_pass http://127.0.0.1:%%PORT_1%%/;
            proxy_cache NAME;
            proxy_cache_valid 200 206 1h;
            proxy_set_header Range $slice_range;
            add_header X-Cache $upstream_cache_status;
        }
        location /off/ {
            proxy_pass http://127.0.0.1:%%PORT_1%%/;
            proxy_set_header Range $slice_range;
            add_header X-Range "[$slice_range]";
        }
        location /unbuffered/ {
            slice 4;
            proxy_buffering off;
            proxy_pass http://127.0.0.1:%%PORT_1%%/;
            proxy_set_header Range $slice_range;
        }
        location /norange/ {
            slice 4;
            proxy_pass http://127.0.0.1:%%PORT_1%%/;
        }
    }
    server {
        listen 127.0.0.1:%%PORT_1%%;
        server_name localhost;
        root %%ROOT%%/files;
        location /bad_status {
            add_header Content-Range "bytes 0-3/100";
            if ($http_range = "bytes=4-7") { return 200; }
            return 206 fooo;
        }
        location /bad_etag {
            add_header Content-Range "bytes $range/100";
            add_header ETag $http_range;
            return 206 fooo;
        }
        location /bad_crange { add_header Content-Range "bytes"; return 206 fooo; }
        location /bad_length { add_header Content-Range "bytes 0-3/*"; return 206 fooo; }
        location /bad_range1 { add_header Content-Range "bytes 0-4/100"; return 206 foooo; }
        location /bad_range2 { add_header Content-Range "bytes 1-4/100"; return 206 fooo; }
        location /whole { return 200 whole; }
    }
}
`

const content = "0123456789abcdefghij" // 20 bytes: five slices of 4

func setup(t *testing.T) (string, string) {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"files", "cache", "temp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "files", "t"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(conf, "%%ROOT%%", root), root
}

func sluiceConf(c string) string {
	return "events {}\n" + strings.NewReplacer("%%PORT_0%%", "%%PORT_A%%", "%%PORT_1%%", "%%PORT_B%%").Replace(c)
}

func get(uri, extra string) string {
	return "GET " + uri + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + extra + "\r\n"
}

func TestSlice(t *testing.T) {
	c, root := setup(t)
	testutil.CheckLeaksWith(t, testutil.LeakOptions{Dirs: []string{filepath.Join(root, "temp")}})
	s := servertest.Start(t, sluiceConf(c))
	tests := []struct {
		name, uri, extra string
		status           int
		body             string
		contentRange     string
		cache            string
	}{
		{"whole", "/proxy/t", "", 200, content, "", ""},
		{"range in one slice", "/proxy/t", "Range: bytes=5-6\r\n", 206, "56", "bytes 5-6/20", ""},
		{"range across slices", "/proxy/t", "Range: bytes=3-13\r\n", 206, "3456789abcd", "bytes 3-13/20", ""},
		{"suffix range", "/proxy/t", "Range: bytes=-3\r\n", 206, "hij", "bytes 17-19/20", ""},
		{"open range", "/proxy/t", "Range: bytes=9-\r\n", 206, "9abcdefghij", "bytes 9-19/20", ""},
		{"several ranges give all", "/proxy/t", "Range: bytes=1-1,5-5\r\n", 200, content, "", ""},
		{"not satisfiable", "/proxy/t", "Range: bytes=30-\r\n", 416, "", "bytes */20", ""},
		{"cache miss", "/cache/t", "Range: bytes=4-5\r\n", 206, "45", "bytes 4-5/20", "MISS"},
		{"cache hit", "/cache/t", "Range: bytes=6-7\r\n", 206, "67", "bytes 6-7/20", "HIT"},
		{"cache whole", "/cache/t", "", 200, content, "", "MISS"},
		{"cache whole again", "/cache/t", "", 200, content, "", "HIT"},
		{"if-range starts at 0", "/cache/t?ir", "Range: bytes=9-10\r\nIf-Range: Thu, 01 Jan 1970 00:00:00 GMT\r\n", 200, content, "", "MISS"},
		{"upstream ignores range", "/norange/t", "", 200, content, "", ""},
		{"upstream 200", "/proxy/whole", "", 200, "whole", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := testutil.RoundTrip(t, s.Addr("A"), get(tc.uri, tc.extra))
			if r.StatusCode != tc.status || (tc.status != 416 && string(r.Body) != tc.body) || !r.Complete {
				t.Fatalf("want %d %q, got:\n%s", tc.status, tc.body, r)
			}
			if got := r.Get("Content-Range"); got != tc.contentRange {
				t.Errorf("Content-Range %q, want %q", got, tc.contentRange)
			}
			if got := r.Get("X-Cache"); got != tc.cache {
				t.Errorf("X-Cache %q, want %q", got, tc.cache)
			}
		})
	}
	// the connection goes on after a sliced response
	cl := testutil.Dial(t, s.Addr("A"))
	defer cl.Close()
	for i, req := range []string{"GET /proxy/t HTTP/1.1\r\nHost: localhost\r\nRange: bytes=3-10\r\n\r\n",
		"GET /unbuffered/t HTTP/1.1\r\nHost: localhost\r\n\r\n", get("/proxy/t", "")} {
		if err := cl.WriteString(req); err != nil {
			t.Fatal(err)
		}
		r, err := cl.ReadResponse()
		if err != nil || !r.Complete || !strings.Contains(content, string(r.Body)) || len(r.Body) < 8 {
			t.Fatalf("keepalive request %d: %v\n%s", i, err, r)
		}
	}
	// $slice_range outside a slice location is not found
	r := testutil.RoundTrip(t, s.Addr("A"), get("/off/t", ""))
	if r.Get("X-Range") != "[]" {
		t.Errorf("$slice_range with slice 0: %q", r.Get("X-Range"))
	}
	// each slice is one cache entry: five of /cache/t, then /cache/t?ir
	entries := 0
	filepath.WalkDir(filepath.Join(root, "cache"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			entries++
		}
		return nil
	})
	if entries != 10 {
		t.Errorf("%d cache entries, want 10", entries)
	}
}

// TestSliceErrors checks that a slice that breaks the rules cuts the
// response (the connection closes before the announced length) and logs
// nginx's line.
func TestSliceErrors(t *testing.T) {
	c, root := setup(t)
	testutil.CheckLeaksWith(t, testutil.LeakOptions{Dirs: []string{filepath.Join(root, "temp")}})
	s := servertest.Start(t, sluiceConf(c))
	tests := []struct {
		uri, log string
		headSent bool
	}{
		{"/proxy/bad_status", "unexpected status code 200 in slice response", true},
		{"/proxy/bad_etag", "etag mismatch in slice response", true},
		{"/proxy/bad_crange", "invalid range in slice response", false},
		{"/proxy/bad_length", "no complete length in slice response", false},
		{"/proxy/bad_range1", "unexpected range in slice response: 0-5", false},
		{"/proxy/bad_range2", "unexpected range in slice response: 1-5", false},
	}
	for _, tc := range tests {
		t.Run(strings.TrimPrefix(tc.uri, "/proxy/"), func(t *testing.T) {
			cl := testutil.Dial(t, s.Addr("A"))
			defer cl.Close()
			if err := cl.WriteString(get(tc.uri, "")); err != nil {
				t.Fatal(err)
			}
			data, _ := cl.ReadUntilClose()
			if !tc.headSent && len(data) != 0 {
				t.Errorf("want nothing, got %q", data)
			}
			if tc.headSent {
				if !strings.HasPrefix(string(data), "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(string(data), "\r\n\r\nfooo") {
					t.Errorf("want the first slice only, got %q", data)
				}
			}
			if !strings.Contains(s.ErrorLog(), "[error]") || !strings.Contains(s.ErrorLog(), tc.log) {
				t.Errorf("error log lacks %q:\n%s", tc.log, s.ErrorLog())
			}
		})
	}
}

// TestOracleSlice compares sluice and nginx on the same configuration.
func TestOracleSlice(t *testing.T) {
	nc, _ := setup(t)
	sc, _ := setup(t)
	ngx := oracle.Start(t, nc)
	s := servertest.Start(t, sluiceConf(sc))
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-Cache")
	for _, tc := range []struct{ name, uri, extra string }{
		{"whole", "/proxy/t", ""},
		{"range", "/proxy/t", "Range: bytes=5-6\r\n"},
		{"across", "/proxy/t", "Range: bytes=3-13\r\n"},
		{"suffix", "/proxy/t", "Range: bytes=-3\r\n"},
		{"open", "/proxy/t", "Range: bytes=9-\r\n"},
		{"many", "/proxy/t", "Range: bytes=1-1,5-5\r\n"},
		{"unsatisfiable", "/proxy/t", "Range: bytes=30-\r\n"},
		{"spaces", "/proxy/t", "Range: bytes= 7-8\r\n"},
		{"cache miss", "/cache/t", "Range: bytes=4-5\r\n"},
		{"cache hit", "/cache/t", "Range: bytes=6-7\r\n"},
		{"cache whole", "/cache/t", ""},
		{"cache whole hit", "/cache/t", ""},
		{"if-range bad", "/cache/t?ir", "Range: bytes=9-10\r\nIf-Range: bad\r\n"},
		{"head", "/proxy/t", ""},
		{"unbuffered", "/unbuffered/t", "Range: bytes=2-9\r\n"},
		{"unbuffered whole", "/unbuffered/t", ""},
		{"off", "/off/t", "Range: bytes=2-3\r\n"},
		{"off whole", "/off/t", ""},
		{"upstream ignores range", "/norange/t", "Range: bytes=2-3\r\n"},
		{"upstream 200", "/proxy/whole", ""},
		{"bad crange", "/proxy/bad_crange", ""},
		{"bad length", "/proxy/bad_length", ""},
		{"bad range", "/proxy/bad_range1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cmp
			req := get(tc.uri, tc.extra)
			if tc.name == "head" {
				req = "HEAD" + strings.TrimPrefix(req, "GET")
				c.NoBody = true
			}
			oracle.Compare(t, req, ngx.Addr(0), s.Addr("A"), c)
		})
	}
}
