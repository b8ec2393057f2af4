package cgiup_test

import (
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/testutil"
)

// TestCache: a cacheable request sends the cache's params (the client's
// conditional and range headers dropped, an expired entry revalidated
// with its Last-Modified and ETag), HEAD goes upstream as HEAD (no
// cache_convert_head), and a 304 refreshes the stored entry.
func TestCache(t *testing.T) {
	for _, proto := range []string{"scgi", "uwsgi"} {
		t.Run(proto, func(t *testing.T) {
			testutil.CheckLeaks(t)
			b := testutil.StartBackendFunc(t, func(i int) testutil.Script {
				return testutil.Script{reader(proto), testutil.Func(func(c *testutil.BackendConn) error {
					req := c.LastRequest()
					ans := "Status: 200 OK\r\nLast-Modified: Thu, 01 Jan 2015 00:00:00 GMT\r\nETag: \"v1\"\r\nCache-Control: max-age=1\r\nContent-Length: 4\r\n\r\nbody"
					if req.Header("HTTP_IF_NONE_MATCH") == `"v1"` {
						ans = "Status: 304 Not Modified\r\nCache-Control: max-age=100\r\n\r\n"
					}
					_, err := c.Write([]byte(ans))
					return err
				})}
			})
			s := serveProto(t, proto, "PFX_cache_path %%PREFIX%%/cache keys_zone=z:1m;", `
        location / {
            PFX_cache z;
            PFX_cache_key $uri;
            PFX_cache_revalidate on;
            PFX_param REQUEST_METHOD $request_method;
            add_header X-Cache $upstream_cache_status;
            PFX_pass `+b.Addr()+`;
        }`)
			do := func(req, want string) {
				t.Helper()
				if got := testutil.RoundTrip(t, s.Addr("A"), req).Get("X-Cache"); got != want {
					t.Fatalf("%q: X-Cache %q, want %q", req, got, want)
				}
			}
			do("HEAD /h HTTP/1.0\r\n\r\n", "MISS")
			do("GET /a HTTP/1.0\r\nIf-Modified-Since: Thu, 01 Jan 2015 00:00:00 GMT\r\nRange: bytes=0-1\r\nIf-None-Match: \"x\"\r\n\r\n", "MISS")
			do("GET /a HTTP/1.0\r\n\r\n", "HIT")
			time.Sleep(2100 * time.Millisecond) // the entry expires (max-age=1, whole seconds)
			do("GET /a HTTP/1.0\r\n\r\n", "REVALIDATED")
			do("GET /a HTTP/1.0\r\n\r\n", "HIT")
			reqs := b.Requests()
			if len(reqs) != 3 {
				t.Fatalf("%d requests upstream", len(reqs))
			}
			if m := reqs[0].Header("REQUEST_METHOD"); m != "HEAD" {
				t.Errorf("HEAD went upstream as %q", m)
			}
			for _, h := range []string{"HTTP_IF_MODIFIED_SINCE", "HTTP_RANGE", "HTTP_IF_NONE_MATCH"} {
				if v := reqs[1].Header(h); v != "" {
					t.Errorf("cacheable request sent %s: %q", h, v)
				}
			}
			if v := reqs[2].Header("HTTP_IF_MODIFIED_SINCE"); v != "Thu, 01 Jan 2015 00:00:00 GMT" {
				t.Errorf("revalidation HTTP_IF_MODIFIED_SINCE %q", v)
			}
			if v := reqs[2].Header("HTTP_IF_NONE_MATCH"); v != `"v1"` {
				t.Errorf("revalidation HTTP_IF_NONE_MATCH %q", v)
			}
		})
	}
}
