package upstream

import (
	"math"
	"testing"
	"time"

	"github.com/sluicehq/sluice/httpd"
)

// TestCacheHeaders checks the cache rules of response heads
// (X-Accel-Expires, Cache-Control, Expires): the validity, the
// stale-while-revalidate and stale-if-error times, and whether the
// response may be stored, as nginx's header handlers set them.
func TestCacheHeaders(t *testing.T) {
	tests := []struct {
		name       string
		fields     [][2]string
		valid      int64 // seconds from now, or absolute with abs
		abs        bool
		updating   int64
		errorSec   int64
		noCache    bool
		uncachable bool
	}{
		{name: "max-age", fields: [][2]string{{"Cache-Control", "max-age=60"}}, valid: 60},
		{name: "s-maxage over max-age", fields: [][2]string{{"Cache-Control", "max-age=1, s-maxage=10"}}, valid: 10},
		// nginx 1.29.2: a value too large is the largest time
		{name: "max-age overflow", fields: [][2]string{{"Cache-Control", "max-age=9223372036854775808"}}, valid: math.MaxInt64, abs: true},
		// the digits after the overflow are not looked at
		{name: "max-age overflow stops", fields: [][2]string{{"Cache-Control", "max-age=99999999999999999999x"}}, valid: math.MaxInt64, abs: true},
		{name: "max-age empty is 0", fields: [][2]string{{"Cache-Control", "max-age=, public"}}, noCache: true},
		{name: "max-age with a letter", fields: [][2]string{{"Cache-Control", "max-age=6x"}}, uncachable: true},
		{name: "max-age ended by a tab", fields: [][2]string{{"Cache-Control", "max-age=60\t"}}, uncachable: true},
		{name: "max-age zero", fields: [][2]string{{"Cache-Control", "max-age=0"}}, noCache: true},
		{name: "stale-while-revalidate overflow", fields: [][2]string{{"Cache-Control", "max-age=5, stale-while-revalidate=99999999999999999999"}},
			valid: 5, updating: math.MaxInt64, errorSec: math.MaxInt64},
		{name: "extensions before x-accel-expires", fields: [][2]string{{"Cache-Control", "stale-while-revalidate=2145902155"}, {"X-Accel-Expires", "@1"}},
			valid: 1, abs: true, updating: 2145902155, errorSec: 2145902155},
		{name: "extensions after x-accel-expires", fields: [][2]string{{"X-Accel-Expires", "@1"}, {"Cache-Control", "stale-while-revalidate=2145902155, stale-if-error=7"}},
			valid: 1, abs: true, updating: 2145902155, errorSec: 7},
		{name: "x-accel-expires over no-cache", fields: [][2]string{{"Cache-Control", "no-cache"}, {"X-Accel-Expires", "60"}}, valid: 60},
		{name: "x-accel-expires overflow ignored", fields: [][2]string{{"X-Accel-Expires", "99999999999999999999"}, {"Cache-Control", "max-age=7"}}, valid: 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := &Upstream{Conf: &Conf{}, cache: &cacheReq{conf: &CacheConf{}, cacheable: true}}
			for _, f := range tc.fields {
				u.HeadersIn.List = append(u.HeadersIn.List, httpd.Header{Key: f[0], Value: f[1]})
			}
			before := time.Now().Unix()
			u.cacheHeaders()
			after := time.Now().Unix()
			cr := u.cache
			validOK := cr.validSec == tc.valid
			if !tc.abs && tc.valid != 0 {
				validOK = cr.validSec >= before+tc.valid && cr.validSec <= after+tc.valid
			}
			if tc.noCache || tc.uncachable {
				validOK = true
			}
			if !validOK || cr.updatingSec != tc.updating || cr.errorSec != tc.errorSec ||
				cr.noCache != tc.noCache || cr.cacheable == tc.uncachable {
				t.Errorf("valid %d (now %d) updating %d error %d no-cache %v cacheable %v; want valid %d (abs %v) updating %d error %d no-cache %v cacheable %v",
					cr.validSec, before, cr.updatingSec, cr.errorSec, cr.noCache, cr.cacheable,
					tc.valid, tc.abs, tc.updating, tc.errorSec, tc.noCache, !tc.uncachable)
			}
		})
	}
}
