package cgi

import (
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// Param is one X_param line (ngx_http_upstream_param_t).
type Param struct {
	// Key is the parameter's name as written.
	Key string
	// Value is the compiled value; nil when Func computes it.
	Value *httpd.Complex
	// Func computes the value of a built-in param (the cache's
	// revalidation params) when Value is nil.
	Func func(r *httpd.Request) string
	// IfNotEmpty skips the param when its value is empty.
	IfNotEmpty bool
	// empty: the value as written is empty (an HTTP_ param that only
	// hides the client's header)
	empty bool
}

// value evaluates the param for a request.
func (p *Param) value(r *httpd.Request) string {
	if p.Value != nil {
		return p.Value.Eval(r)
	}
	if p.Func != nil {
		return p.Func(r)
	}
	return ""
}

// Params is one level's X_param configuration: the lines written at this
// level and, after Merge, the compiled sets in effect.
type Params struct {
	// Src are the lines of this level (unset: none, inherit).
	Src conf.List[Param]
	// Set is the compiled set for ordinary requests; CacheSet the one for
	// cacheable requests (nil when the level has no cache).
	Set, CacheSet *Set
}

// SetParam returns the X_param directive's setter ("KEY VALUE
// [if_not_empty]", nginx's ngx_http_upstream_param_set_slot) for a
// location conf type C.
func SetParam[C any](get func(*C) *Params) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		ps := get(c.Conf.(*C))
		p := Param{Key: c.Arg(0), empty: c.Arg(1) == ""}
		if len(c.Args) == 3 {
			if c.Arg(2) != "if_not_empty" {
				return c.Errorf("invalid parameter \"%s\"", c.Arg(2))
			}
			p.IfNotEmpty = true
		}
		x, err := httpd.ConfigOf(c).Compile(c, c.Arg(1))
		if err != nil {
			return err
		}
		p.Value = x
		conf.Append(&ps.Src, p)
		return nil
	}
}

// Merge computes the sets in effect at this level
// (ngx_http_fastcgi_merge_loc_conf's part on params): a level without
// lines of its own shares its parent's compiled sets. Every set has
// Defaults unless a line names them. cache tells whether the level caches
// responses; cacheDefaults are the params of cacheable requests added in
// the same way (see CacheDefaults).
func (ps *Params) Merge(parent *Params, cache bool, cacheDefaults []Param) {
	if !ps.Src.IsSet() {
		// the lines are inherited too (params_source): a level below
		// that caches compiles its cache set from them
		ps.Src = parent.Src
		if parent.Set == nil {
			// the upper level's set is compiled once and shared by
			// every block below it that has no lines of its own
			parent.Set = Compile(parent.Src.Get(), Defaults)
		}
		ps.Set = parent.Set
		if cache {
			if parent.CacheSet == nil {
				parent.CacheSet = Compile(parent.Src.Get(), cacheDefaults)
			}
			ps.CacheSet = parent.CacheSet
		}
		return
	}
	ps.Set = Compile(ps.Src.Get(), Defaults)
	if cache {
		ps.CacheSet = Compile(ps.Src.Get(), cacheDefaults)
	}
}

// Set is a compiled list of params (ngx_http_fastcgi_params_t): what to
// send, and the HTTP_ names that hide the client's headers.
type Set struct {
	params []Param
	// hidden are the names after "HTTP_" of the params, lower-cased
	// ("user_agent"): a client header whose name maps to one is not
	// passed.
	hidden []string
}

// Compile builds a Set from a level's lines and defaults
// (ngx_http_fastcgi_init_params): the lines first, then each default that
// no line names (compared case-insensitively), with if_not_empty. An
// HTTP_ param hides the client's header of that name; when its value is
// written empty it is not sent at all.
func Compile(src []Param, defaults []Param) *Set {
	all := append([]Param(nil), src...)
next:
	for _, d := range defaults {
		for _, p := range src {
			if ascii.EqualFold(p.Key, d.Key) {
				continue next
			}
		}
		d.IfNotEmpty = true
		all = append(all, d)
	}
	s := &Set{}
	for _, p := range all {
		if len(p.Key) > len("HTTP_") && strings.HasPrefix(p.Key, "HTTP_") {
			s.hidden = append(s.hidden, ascii.ToLower(p.Key[len("HTTP_"):]))
			if p.empty || (p.Value == nil && p.Func == nil) {
				continue
			}
		}
		s.params = append(s.params, p)
	}
	return s
}

// Each calls fn with every param to send for the request, in order, with
// its evaluated value; if_not_empty params with an empty value are
// skipped. A nil Set has none.
func (s *Set) Each(r *httpd.Request, fn func(key, value string)) {
	if s == nil {
		return
	}
	for i := range s.params {
		p := &s.params[i]
		v := p.value(r)
		if p.IfNotEmpty && v == "" {
			continue
		}
		fn(p.Key, v)
	}
}

// Passes reports whether the client's header h goes upstream as an HTTP_
// param: it is not deleted and no param sets its HTTP_ name (the header's
// name lower-cased with '-' as '_' is compared with the params' names
// after "HTTP_").
func (s *Set) Passes(h *httpd.Header) bool {
	if h.Deleted {
		return false
	}
	if s == nil {
		return true
	}
	for _, n := range s.hidden {
		if sameHTTPName(n, h.Key) {
			return false
		}
	}
	return true
}

// sameHTTPName compares a lower-case param name (after "HTTP_") with a
// header name mapped as nginx maps it (lower case, '-' as '_').
func sameHTTPName(lower, name string) bool {
	if len(lower) != len(name) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c |= 0x20
		case c == '-':
			c = '_'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// HTTPNameLen is the length of the HTTP_ param name of a header name.
func HTTPNameLen(name string) int { return len("HTTP_") + len(name) }

// AppendHTTPName appends the HTTP_ param name of a client header name:
// "HTTP_" and the name upper-cased, '-' as '_' ("User-Agent" gives
// "HTTP_USER_AGENT").
func AppendHTTPName(dst []byte, name string) []byte {
	dst = append(dst, "HTTP_"...)
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z':
			c &^= 0x20
		case c == '-':
			c = '_'
		}
		dst = append(dst, c)
	}
	return dst
}

// Client headers of the same name go upstream as one HTTP_ param, their
// values joined with ", " ("; " for Cookie), as nginx does since 1.23.0
// (ngx_http_link_multi_headers): the first line of a name carries them
// all, the later ones are not sent. Set.EachHeader walks them; JoinedLen
// and AppendJoined give a header's value.

// EachHeader calls fn with the index in list (the request's r.In.List) of
// each client header that goes upstream as an HTTP_ param: one that
// Passes, and the first line of its name.
func (s *Set) EachHeader(list []httpd.Header, fn func(i int)) {
	for i := range list {
		if s.Passes(&list[i]) && FirstOfName(list, i) {
			fn(i)
		}
	}
}

// FirstOfName reports whether list[i] is the first live header of its
// name (case-insensitively).
func FirstOfName(list []httpd.Header, i int) bool {
	for j := 0; j < i; j++ {
		if !list[j].Deleted && ascii.EqualFold(list[j].Key, list[i].Key) {
			return false
		}
	}
	return true
}

// joinSep is the separator of joined values of a header.
func joinSep(name string) string {
	if ascii.EqualFold(name, "Cookie") {
		return "; "
	}
	return ", "
}

// JoinedLen is the length of the value AppendJoined appends for list[i].
func JoinedLen(list []httpd.Header, i int) int {
	n := len(list[i].Value)
	for j := i + 1; j < len(list); j++ {
		if !list[j].Deleted && ascii.EqualFold(list[j].Key, list[i].Key) {
			n += 2 + len(list[j].Value)
		}
	}
	return n
}

// AppendJoined appends the value of list[i] joined with the values of the
// later headers of its name.
func AppendJoined(dst []byte, list []httpd.Header, i int) []byte {
	dst = append(dst, list[i].Value...)
	sep := ""
	for j := i + 1; j < len(list); j++ {
		if !list[j].Deleted && ascii.EqualFold(list[j].Key, list[i].Key) {
			if sep == "" {
				sep = joinSep(list[i].Key)
			}
			dst = append(dst, sep...)
			dst = append(dst, list[j].Value...)
		}
	}
	return dst
}
