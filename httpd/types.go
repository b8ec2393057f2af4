package httpd

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/internal/ascii"
)

// Types is the set of MIME types a filter applies to, as directives such
// as ssi_types and addition_types configure it (nginx's
// ngx_http_types_slot, ngx_http_merge_types, ngx_http_test_content_type).
// The zero value is unset; Inherit resolves it at merge time.
type Types struct {
	set  bool
	any  bool
	list []string
}

// SetTypes returns the setter of a types directive. The first occurrence
// in a block starts from the defaults ("text/html" for most filters), each
// value is added lowercased, a value already present draws nginx's
// `duplicate MIME type "x"` warning, and "*" matches every type (further
// values and occurrences are then ignored, as nginx ignores them).
func SetTypes[C any](get func(*C) *Types, defaults ...string) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		cf, ok := c.Conf.(*C)
		if !ok {
			return c.Errorf("internal error: %q got conf %T", c.Name, c.Conf)
		}
		t := get(cf)
		if t.any {
			return nil
		}
		if !t.set {
			t.set = true
			t.list = append(t.list[:0], defaults...)
		}
	next:
		for _, v := range c.Args {
			if v == "*" {
				t.any, t.list = true, nil
				return nil
			}
			v = ascii.ToLower(v)
			for _, have := range t.list {
				if have == v {
					c.Warnf("duplicate MIME type \"%s\"", v)
					continue next
				}
			}
			t.list = append(t.list, v)
		}
		return nil
	}
}

// Inherit gives an unset t the parent's types, or the defaults when the
// parent has none either.
func (t *Types) Inherit(parent *Types, defaults ...string) {
	if t.set {
		return
	}
	if parent != nil && parent.set {
		*t = *parent
		return
	}
	t.set = true
	t.list = append([]string(nil), defaults...)
}

// Any reports whether t matches every type ("*").
func (t *Types) Any() bool { return t.any }

// Match reports whether the response's Content-Type (its bare type,
// compared case-insensitively) is one of t. With "*" every response
// matches, even one without a type.
func (t *Types) Match(r *Request) bool {
	if t.any {
		return true
	}
	ct := r.Out.ContentType
	if ct == "" {
		return false
	}
	if n := r.Out.ContentTypeLen; n > 0 && n <= len(ct) {
		ct = ct[:n]
	}
	for _, v := range t.list {
		if ascii.EqualFold(v, ct) {
			return true
		}
	}
	return false
}
