package upstream

import (
	"crypto/md5"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/cache"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/buf"
)

// The response cache on the framework (the NGX_HTTP_CACHE parts of
// ngx_http_upstream.c). Before the request is built, the entry is looked
// up: a fresh one is served from its file (the stored head parsed again by
// the protocol's ProcessHeader, as nginx does), else the request goes
// upstream. A cacheable answer (buffered, with a validity from
// X-Accel-Expires, Cache-Control, Expires or cache_valid) is written to a
// temp file as its body streams to the client and renamed into the cache
// only once complete. An expired entry may answer instead of a failing
// upstream (use_stale) or be revalidated by a 304.

// Cache statuses ($upstream_cache_status).
const (
	cacheMiss = 1 + iota
	cacheBypass
	cacheExpired
	cacheStale
	cacheUpdating
	cacheRevalidated
	cacheHit
)

var cacheStatusNames = [...]string{"", "MISS", "BYPASS", "EXPIRED", "STALE", "UPDATING", "REVALIDATED", "HIT"}

// cacheReq is one request's cache state (the upstream's side of
// ngx_http_cache_t).
type cacheReq struct {
	conf      *CacheConf
	status    int
	e         *cache.Entry
	cacheable bool
	w         *cache.Writer
	wfailed   bool
	// from the response head (nginx's parse-time header handlers)
	validSec, updatingSec, errorSec int64
	noCache, expired                bool
	vary                            string
}

// close releases the entry when the request ends.
func (cr *cacheReq) close() {
	if cr.w != nil {
		cr.w.Abort()
		cr.w = nil
	}
	if cr.e != nil {
		cr.e.Close()
	}
}

// Cacheable reports whether the response may be stored (the protocol then
// sends the cache's header set: no Range or conditional fields of the
// client, revalidation fields of its own).
func (u *Upstream) Cacheable() bool { return u.cache != nil && u.cache.cacheable }

// CacheLastModified is $upstream_cache_last_modified: the Last-Modified of
// an expired entry being revalidated.
func (u *Upstream) CacheLastModified() (string, bool) {
	cr := u.cache
	if cr == nil || !cr.conf.Revalidate.Get() || cr.status != cacheExpired || cr.e.Header.LastModified < 0 {
		return "", false
	}
	return time.Unix(cr.e.Header.LastModified, 0).UTC().Format(http.TimeFormat), true
}

// CacheETag is $upstream_cache_etag: the ETag of an expired entry being
// revalidated.
func (u *Upstream) CacheETag() (string, bool) {
	cr := u.cache
	if cr == nil || !cr.conf.Revalidate.Get() || cr.status != cacheExpired || cr.e.Header.ETag == "" {
		return "", false
	}
	return cr.e.Header.ETag, true
}

// cacheStart looks the response up before anything goes upstream
// (ngx_http_upstream_cache). done means the request was answered from the
// cache (or failed) with st.
func (u *Upstream) cacheStart() (st httpd.Status, done bool) {
	c := &u.Conf.Cache
	r := u.R
	if r.MethodBit&c.Methods.Get() == 0 {
		return 0, false
	}
	z := c.zone
	if c.zoneValue != nil {
		name := c.zoneValue.Eval(r)
		if name == "" || name == "off" {
			// an empty or "off" value turns caching off for the request
			// (ngx_http_upstream_cache_get)
			return 0, false
		}
		z = zonesOfRequest(r).find(c.prefix, name)
		if z == nil {
			r.Log().Logf(errlog.Error, r, nil, "cache \"%s\" not found", name)
			return 500, true
		}
	}
	if z == nil {
		return 0, false
	}
	if r.MethodBit == httpd.MethodHEAD && c.ConvertHead.Get() {
		u.Method = "GET"
	}
	key := cacheKey(r, c)
	e := &cache.Entry{Zone: z, KeyText: key, Key: cache.KeyOf(key),
		MinUses: c.MinUses.Get(), MaxHead: int(u.Conf.BufferSize.Get()), Variant: variantOf(r, key)}
	cr := &cacheReq{conf: c, e: e}
	r.AddCleanup(cr.close)
	headerStart := 336 + len("\nKEY: ") + len(key) + 1
	if headerStart+256 > int(u.Conf.BufferSize.Get()) {
		size := u.Conf.BufferSize.Get()
		r.Log().Logf(errlog.Error, r, nil, "%sbuffer_size %d is not enough for cache key, it should be increased to at least %d",
			c.prefix, size, (headerStart+256+1023)&^1023)
		return 0, false
	}
	u.cache = cr
	cr.cacheable = true
	if testPredicates(r, c.Bypass.Get()) {
		cr.status = cacheBypass
		return 0, false
	}
	e.Lock = c.Lock.Get()
	e.LockAge = c.LockAge.Get()
	cr.status = cacheMiss
	deadline := time.Now().Add(c.LockTimeout.Get())
	for {
		res, err := e.Open()
		if err != nil {
			r.Log().Logf(errlog.Crit, r, nil, "%s", err)
		}
		switch res {
		case cache.Busy:
			if e.Wait(deadline) {
				r.Log().Logf(errlog.Info, r, nil, "cache lock timeout")
				e.NoWait = true
			}
			continue
		case cache.Hit:
			cr.status = cacheHit
			if st, ok := u.cacheServe(); ok {
				return st, true
			}
			return 0, false
		case cache.Updating:
			// a background update goes upstream whatever another request
			// does with the entry
			if !r.Background() && u.staleUpdating() {
				cr.status = cacheUpdating
				if st, ok := u.cacheServe(); ok {
					return st, true
				}
				return 0, false
			}
			cr.status = cacheExpired
		case cache.Stale:
			cr.status = cacheExpired
			if c.Background.Get() && !r.Background() && u.staleUpdating() {
				// served stale now, updated by a background subrequest
				// once the response went out
				// (ngx_http_upstream_cache_background_update)
				cr.status = cacheStale
				st, ok := u.cacheServe()
				if !ok {
					return 0, false
				}
				if _, rc := r.Subrequest(r.URI, r.Args, httpd.SubrequestBackground|httpd.SubrequestClone, nil); rc == httpd.Error {
					return httpd.Error, true
				}
				return st, true
			}
		case cache.Scarce:
			cr.cacheable = false
		case cache.Error:
			// an intercepted error cached: error_page handles it again
			// (the default case of ngx_http_upstream_cache)
			cr.status = cacheHit
			return httpd.Status(e.Error), true
		}
		break
	}
	if !cacheRangeOK(r, c) {
		cr.cacheable = false
	}
	return 0, false
}

// staleUpdating reports whether the expired entry found may answer while
// it is updated: proxy_cache_use_stale updating, or within its
// stale-while-revalidate time (nginx's c->stale_updating).
func (u *Upstream) staleUpdating() bool {
	cr := u.cache
	return cr.conf.UseStale.Get()&FtUpdating != 0 ||
		addSec(cr.e.Header.ValidSec, cr.e.Header.UpdatingSec) >= time.Now().Unix()
}

// cacheServe answers from the entry found; ok false means its head was
// invalid and the request goes upstream as a miss.
func (u *Upstream) cacheServe() (httpd.Status, bool) {
	st, invalid := u.cacheSend(nil)
	if !invalid {
		u.cacheDone()
		return st, true
	}
	cr := u.cache
	cr.status = cacheMiss
	cr.e.CloseFile()
	if re, ok := u.Proto.(Reiniter); ok {
		if err := re.Reinit(u); err != nil {
			return 500, true
		}
	}
	u.reinit()
	return 0, false
}

// cacheDone ends an exchange answered from the cache without an upstream:
// the protocol's Finalize runs, nothing else is left to release.
func (u *Upstream) cacheDone() {
	if u.finalized {
		return
	}
	u.finalized = true
	if f, ok := u.Proto.(Finalizer); ok {
		f.Finalize(u, 0)
	}
	u.setAction("sending to client")
}

// cacheSend sends the entry found (ngx_http_upstream_cache_send and
// ngx_http_cache_send): the stored head through the protocol's
// ProcessHeader and the framework's header processing, the body from the
// file. invalid means the stored head did not parse.
//
// beforeBody, when not nil, runs once the stored head is parsed, before
// anything is sent: a revalidated entry's new validity is recorded there,
// so that a request following the answer finds it fresh.
func (u *Upstream) cacheSend(beforeBody func()) (st httpd.Status, invalid bool) {
	r := u.R
	cr := u.cache
	e := cr.e
	u.ctx.last = u
	if u.state == nil {
		u.state = &State{ResponseTime: -1}
	}
	bodyLen := e.Length - int64(e.Header.BodyStart)
	if e.Header.HeaderStart == e.Header.BodyStart {
		// an HTTP/0.9 answer: the body alone
		r.HTTPVersion = 9
		if beforeBody != nil {
			beforeBody()
		}
		return u.cacheBody(bodyLen), false
	}
	if u.Buffer == nil || len(u.Buffer) < len(e.Head) {
		if u.Buffer != nil {
			u.R.PutBufferAtEnd(u.Buffer)
		}
		u.Buffer = buf.Get(max(int(u.Conf.BufferSize.Get())+u.Conf.HeadExtra, len(e.Head)))
	}
	u.HeadersIn.reset()
	u.Pos, u.Last = 0, copy(u.Buffer, e.Head)
	switch u.Proto.ProcessHeader(u) {
	case HeaderDone:
	case Failed:
		return 500, false
	default:
		r.Log().Logf(errlog.Crit, r, nil, "cache file \"%s\" contains invalid header", e.Zone.Path(e.Key))
		return 0, true
	}
	if st, done := u.processHeaders(); done {
		return st, false
	}
	r.Out.ContentLengthN = bodyLen
	u.cacheRanges(true)
	r.DisableNotModified = false
	if beforeBody != nil {
		beforeBody()
	}
	return u.cacheBody(bodyLen), false
}

// cacheBody sends the head and the stored body.
func (u *Upstream) cacheBody(n int64) httpd.Status {
	r := u.R
	e := u.cache.e
	rc := r.SendHeader()
	if rc == httpd.Error || rc > httpd.OK || r.HeaderOnly {
		return rc
	}
	ch := &httpd.Chain{Last: true}
	if n > 0 {
		ch.AppendFile(e.File, int64(e.Header.BodyStart), n)
	}
	return r.Output(ch)
}

// cacheRanges lets the range filter serve a cached or cacheable response
// when the upstream allowed ranges (ngx_http_upstream_copy_allow_ranges):
// the range filter then sends its own Accept-Ranges.
func (u *Upstream) cacheRanges(cached bool) {
	r := u.R
	if u.Conf.ForceRanges.Get() {
		if cached {
			r.SingleRange = false
		}
		return
	}
	if r.Out.AcceptRanges < 0 {
		return
	}
	r.Out.Delete(r.Out.AcceptRanges)
	r.Out.AcceptRanges = -1
	r.AllowRanges = true
	r.SingleRange = !cached
}

// cacheHeaders applies the cache rules of the response head: X-Accel-
// Expires, Cache-Control, Expires, Set-Cookie and Vary (the parse-time
// handlers of ngx_http_upstream_headers_in).
func (u *Upstream) cacheHeaders() {
	cr := u.cache
	if cr == nil {
		return
	}
	cr.validSec, cr.updatingSec, cr.errorSec = 0, 0, 0
	cr.noCache, cr.expired, cr.vary = false, false, ""
	ign := u.Conf.IgnoreHeaders.Get()
	now := time.Now().Unix()
	in := &u.HeadersIn
	xae, exp := false, false
	var varies []string
	for i := range in.List {
		h := &in.List[i]
		if h.Deleted {
			continue
		}
		switch u.lowerName(h.Key) {
		case "x-accel-expires":
			if xae {
				continue
			}
			xae = true
			if ign&IgnXAccelExpires != 0 {
				continue
			}
			v := h.Value
			if v == "" {
				continue
			}
			if v[0] != '@' {
				n, ok := atoi(v)
				switch {
				case !ok:
				case n == 0:
					cr.cacheable = false
				default:
					cr.validSec = addSec(now, n)
					cr.noCache, cr.expired = false, false
				}
				continue
			}
			if n, ok := atoi(v[1:]); ok {
				cr.validSec = n
				cr.noCache, cr.expired = false, false
			}
		case "cache-control":
			if ign&IgnCacheControl != 0 {
				continue
			}
			u.cacheControl(h.Value, xae, now)
		case "expires":
			if exp {
				continue
			}
			exp = true
			if ign&IgnExpires != 0 || cr.validSec != 0 {
				continue
			}
			t := http1.ParseHTTPTime(h.Value)
			if t == -1 || t < now {
				cr.expired = true
				continue
			}
			cr.validSec = t
		case "set-cookie":
			if ign&IgnSetCookie == 0 {
				cr.cacheable = false
			}
		case "vary":
			varies = append(varies, h.Value)
		}
	}
	if len(varies) > 0 && ign&IgnVary == 0 && cr.cacheable {
		vary := strings.Join(varies, ", ")
		// a line of "*", whichever Vary line it is, makes the response
		// uncacheable (ngx_http_upstream_process_vary)
		if slices.Contains(varies, "*") {
			cr.cacheable = false
		} else {
			if len(vary) > cache.VaryLen {
				cr.cacheable = false
			}
			cr.vary = vary
		}
	}
}

// cacheControl is one Cache-Control line
// (ngx_http_upstream_process_cache_control).
func (u *Upstream) cacheControl(v string, xae bool, now int64) {
	cr := u.cache
	low := ascii.ToLower(v)
	if !(cr.validSec != 0 && xae) {
		if strings.Contains(low, "no-cache") || strings.Contains(low, "no-store") || strings.Contains(low, "private") {
			cr.noCache = true
			return
		}
		i, off := strings.Index(low, "s-maxage="), 9
		if i < 0 {
			i, off = strings.Index(low, "max-age="), 8
		}
		if i >= 0 {
			n, ok := deltaSeconds(low[i+off:])
			if !ok {
				cr.cacheable = false
				return
			}
			if n == 0 {
				cr.noCache = true
				return
			}
			cr.validSec = addSec(now, n)
			cr.expired = false
		}
	}
	if i := strings.Index(low, "stale-while-revalidate="); i >= 0 {
		n, ok := deltaSeconds(low[i+23:])
		if !ok {
			cr.cacheable = false
			return
		}
		cr.updatingSec, cr.errorSec = n, n
	}
	if i := strings.Index(low, "stale-if-error="); i >= 0 {
		n, ok := deltaSeconds(low[i+15:])
		if !ok {
			cr.cacheable = false
			return
		}
		cr.errorSec = n
	}
}

// deltaSeconds parses the digits of a delta-seconds value up to a
// separator (ngx_http_upstream_process_delta_seconds): a value too large
// for an int64 is the largest one, no digits at all is 0, any other
// character fails.
func deltaSeconds(s string) (int64, bool) {
	var n int64
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch == ',' || ch == ';' || ch == ' ' {
			break
		}
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := int64(ch - '0')
		if n > (math.MaxInt64-d)/10 {
			// the rest must not fail: nginx stops at the overflow
			return math.MaxInt64, true
		}
		n = n*10 + d
	}
	return n, true
}

// addSec is t plus n seconds, the largest time instead of an overflow
// (nginx's ngx_min(ngx_time() + n, NGX_MAX_INT_T_VALUE)).
func addSec(t, n int64) int64 {
	if n > math.MaxInt64-t {
		return math.MaxInt64
	}
	return t + n
}

// cacheError caches an upstream error status handed to error_page, for
// the validity the response gave (Cache-Control, X-Accel-Expires, Expires)
// or else cache_valid; a request finding it is answered with the status
// until then (the cache part of ngx_http_upstream_intercept_errors).
func (u *Upstream) cacheError(status int) {
	cr := u.cache
	if cr == nil {
		return
	}
	if cr.noCache || cr.expired {
		cr.cacheable = false
	}
	if cr.cacheable {
		valid := cr.validSec
		if valid == 0 {
			if d := cr.conf.validFor(status); d > 0 {
				valid = time.Now().Unix() + int64(d/time.Second)
				cr.validSec = valid
			}
		}
		if valid != 0 {
			cr.e.Fail(status, valid)
		}
	}
	cr.e.Release()
}

// cacheTestNext serves an expired entry instead of an error status listed
// in use_stale, or the revalidated entry for a 304 (the cache part of
// ngx_http_upstream_test_next).
func (u *Upstream) cacheTestNext() (httpd.Status, bool) {
	cr := u.cache
	if cr == nil || cr.status != cacheExpired || cr.e.File == nil {
		return 0, false
	}
	status := u.HeadersIn.StatusN
	if status == 304 && cr.conf.Revalidate.Get() {
		return u.cacheRevalidate(), true
	}
	mask := statusFt(status)
	if mask == 0 {
		return 0, false
	}
	if cr.conf.UseStale.Get()&mask == 0 {
		return 0, false
	}
	u.state.Status = status
	return u.cacheStale(), true
}

// cacheStaleOnError serves an expired entry when the last attempt failed
// with a class listed in use_stale, or within the entry's stale-if-error
// time (the cache part of ngx_http_upstream_next).
func (u *Upstream) cacheStaleOnError(ft uint32) (httpd.Status, bool) {
	cr := u.cache
	if cr == nil || cr.status != cacheExpired || cr.e.File == nil {
		return 0, false
	}
	staleError := addSec(cr.e.Header.ValidSec, cr.e.Header.ErrorSec) >= time.Now().Unix()
	if cr.conf.UseStale.Get()&ft == 0 && !staleError {
		return 0, false
	}
	return u.cacheStale(), true
}

// cacheStale answers with the expired entry and ends the exchange.
func (u *Upstream) cacheStale() httpd.Status {
	cr := u.cache
	u.endConn()
	if re, ok := u.Proto.(Reiniter); ok {
		if err := re.Reinit(u); err != nil {
			return u.finalize(500)
		}
	}
	u.reinit()
	cr.status = cacheStale
	cr.cacheable = false
	st, invalid := u.cacheSend(nil)
	if invalid {
		st = 500
	}
	u.finalize(0)
	return st
}

// cacheRevalidate answers a 304 to a revalidation with the stored entry
// and extends its validity.
func (u *Upstream) cacheRevalidate() httpd.Status {
	cr := u.cache
	c := cr.conf
	now := time.Now().Unix()
	// the validity the 304 gave, else the stored head's own, else
	// cache_valid for the stored status (ngx_http_upstream_test_next)
	valid, updating, errSec := cr.validSec, cr.updatingSec, cr.errorSec
	u.releaseConn()
	u.endConn()
	if re, ok := u.Proto.(Reiniter); ok {
		if err := re.Reinit(u); err != nil {
			return u.finalize(500)
		}
	}
	u.reinit()
	cr.status = cacheRevalidated
	cr.cacheable = false
	st, invalid := u.cacheSend(func() {
		if valid == 0 {
			// the stored head, parsed again, gives its validity as when
			// it was stored (nginx's header handlers run as
			// ngx_http_upstream_cache_send parses it)
			u.cacheHeaders()
			valid, updating, errSec = cr.validSec, cr.updatingSec, cr.errorSec
		}
		if valid == 0 {
			// its status then (cache_valid for 200)
			if d := c.validFor(u.HeadersIn.StatusN); d > 0 {
				valid = now + int64(d/time.Second)
			}
		}
		if valid != 0 {
			if err := cr.e.UpdateTimes(valid, updating, errSec, now); err != nil {
				u.R.Log().Logf(errlog.Crit, u.R, nil, "cache header update failed: %s", err)
			}
		}
	})
	if invalid {
		st = 500
	}
	u.finalize(0)
	return st
}

// cacheResponse decides whether the response is stored and starts its
// cache file (the cache part of ngx_http_upstream_send_response). It runs
// once the head was processed, before it is sent.
func (u *Upstream) cacheResponse() {
	cr := u.cache
	if cr == nil {
		return
	}
	r := u.R
	c := cr.conf
	cr.e.CloseFile()
	if cr.noCache || cr.expired {
		cr.cacheable = false
	}
	if testPredicates(r, c.NoCache.Get()) {
		cr.cacheable = false
	}
	if !u.Buffering || u.Upgrade {
		cr.cacheable = false
	}
	status := u.HeadersIn.StatusN
	if cr.cacheable {
		now := time.Now().Unix()
		valid := cr.validSec
		if valid == 0 {
			if d := c.validFor(status); d > 0 {
				valid = now + int64(d/time.Second)
			}
		}
		if valid == 0 {
			cr.cacheable = false
		} else {
			h := cache.Header{ValidSec: valid, UpdatingSec: cr.updatingSec, ErrorSec: cr.errorSec,
				Date: now, LastModified: -1, Vary: cr.vary}
			if status == 200 || status == 206 {
				h.LastModified = u.HeadersIn.LastModifiedTime
				if et, ok := u.HeadersIn.Value("ETag"); ok && len(et) <= cache.ETagLen {
					h.ETag = et
				}
			}
			if cr.vary != "" && cr.e.Variant != nil {
				h.Variant = cr.e.Variant(cr.vary)
			}
			head := u.Buffer[:u.Pos]
			if r.HTTPVersion == 9 {
				head = nil
			}
			w, err := cr.e.Create(h, head, u.Conf.TempPath.Get())
			if err != nil {
				r.Log().Logf(errlog.Crit, r, nil, "%s", err)
				cr.cacheable = false
			} else {
				cr.w = w
			}
		}
	}
	if !cr.cacheable {
		cr.e.Release()
	}
	r.DisableNotModified = !cr.cacheable
	if cr.cacheable {
		u.cacheRanges(false)
	}
}

// cacheSkipBody tells whether a header-only response can end at once: no
// cache file and no proxy_store file wants the body.
func (u *Upstream) cacheSkipBody() bool {
	return (u.cache == nil || u.cache.w == nil) && u.Conf.Store.Get() == nil
}

// filterTap is the buffered mode's body filter: the decoded body also goes
// to the cache file.
func (u *Upstream) filterTap(raw []byte) error {
	err := u.filter(raw)
	if err != nil || u.cache == nil || u.cache.w == nil || u.cache.wfailed {
		return err
	}
	for _, b := range u.Out {
		if werr := u.cache.w.Write(b); werr != nil {
			u.cache.wfailed = true
			u.Logf(errlog.Crit, nil, "%s", werr)
			break
		}
	}
	return nil
}

// cacheFinalize stores a complete cacheable response, or drops its file
// (ngx_http_file_cache_update / ngx_http_file_cache_free).
func (u *Upstream) cacheFinalize(rc int) {
	cr := u.cache
	if cr == nil {
		return
	}
	if w := cr.w; w != nil {
		cr.w = nil
		if rc == 0 && u.Length == 0 && !cr.wfailed {
			// a body its framing ended is complete as it is (no body at
			// all for a HEAD sent upstream, whatever Content-Length said);
			// one the close ended must have the length announced
			// (ngx_http_upstream_process_request)
			length := int64(-1)
			if u.closeEnded && !u.HeadersIn.Chunked && u.R.HTTPVersion != 9 {
				length = u.HeadersIn.ContentLengthN
			}
			if err := w.Commit(length, u.R.Log(), u.R); err != nil && err != cache.ErrNotMoved {
				u.R.Log().Logf(errlog.Crit, u.R, nil, "%s", err)
			}
		} else {
			w.Abort()
		}
	}
	cr.e.Release()
}

// cacheKey evaluates the key (the module's create_key): cache_key, or
// $scheme$proxy_host$request_uri.
func cacheKey(r *httpd.Request, c *CacheConf) string {
	if x := c.Key.Get(); x != nil {
		return strings.Clone(x.Eval(r))
	}
	var b strings.Builder
	for _, name := range [...]string{"scheme", "proxy_host", "request_uri"} {
		if v, ok := r.VarByName(name); ok {
			b.WriteString(v)
		}
	}
	return b.String()
}

// variantOf returns the function computing the request's variant for a
// Vary value (ngx_http_file_cache_vary and ..._vary_header): the key, then
// for each name Vary lists (split at spaces and commas, in lower case) the
// values of the request's fields of that name joined with commas; the
// values of Accept-Charset, Accept-Encoding and Accept-Language are taken
// token by token (split at spaces and commas), so that whitespace and empty
// elements do not make another variant.
func variantOf(r *httpd.Request, key string) func(string) [16]byte {
	return func(vary string) [16]byte {
		h := md5.New()
		h.Write([]byte(key))
		for _, name := range strings.FieldsFunc(ascii.ToLower(vary), varySep) {
			h.Write([]byte(name))
			h.Write([]byte{':'})
			normalize := name == "accept-charset" || name == "accept-encoding" || name == "accept-language"
			multiple := false
			for _, f := range r.In.List {
				if f.Deleted || !ascii.EqualFold(f.Key, name) {
					continue
				}
				if !normalize {
					if multiple {
						h.Write([]byte{','})
					}
					h.Write([]byte(f.Value))
					multiple = true
					continue
				}
				for _, tok := range strings.FieldsFunc(f.Value, varySep) {
					if multiple {
						h.Write([]byte{','})
					}
					h.Write([]byte(tok))
					multiple = true
				}
			}
			h.Write([]byte("\r\n"))
		}
		var v [16]byte
		copy(v[:], h.Sum(nil))
		return v
	}
}

// varySep separates the names of Vary and the tokens of the Accept-*
// fields it normalizes.
func varySep(c rune) bool { return c == ' ' || c == ',' }

// testPredicates reports whether any value is non-empty and not "0"
// (ngx_http_test_predicates answering NGX_DECLINED).
func testPredicates(r *httpd.Request, list []*httpd.Complex) bool {
	for _, x := range list {
		if v := x.Eval(r); v != "" && v != "0" {
			return true
		}
	}
	return false
}

// cacheRangeOK applies cache_max_range_offset
// (ngx_http_upstream_cache_check_range): false when a range starts too far
// for the response to be worth caching.
func cacheRangeOK(r *httpd.Request, c *CacheConf) bool {
	max := c.MaxRangeOffset.Get()
	if r.In.Range < 0 || max == maxOff {
		return true
	}
	if max == 0 {
		return false
	}
	v := r.In.Get(r.In.Range)
	if len(v) < 7 || !ascii.EqualFold(v[:6], "bytes=") {
		return true
	}
	v = strings.TrimLeft(v[6:], " ")
	if strings.HasPrefix(v, "-") {
		return false
	}
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	off, _ := strconv.ParseInt(v[:i], 10, 64)
	return off < max
}
