package fastcgi

import (
	"github.com/sluicehq/sluice/httpd"
)

// The variables $fastcgi_script_name and $fastcgi_path_info
// (ngx_http_fastcgi_script_name_variable, ..._path_info_variable): the
// URI split by fastcgi_split_path_info's two captures, computed once per
// request and kept in the request's context.

// splitCtx is the request's split of its URI.
type splitCtx struct {
	done       bool
	scriptName string
	pathInfo   string
}

// addVariables defines $fastcgi_script_name and $fastcgi_path_info.
func addVariables(cf *httpd.Config) error {
	if _, err := cf.AddVariable(&httpd.Variable{Name: "fastcgi_script_name",
		Flags: httpd.VarNoCacheable,
		Get: func(r *httpd.Request, _ string, _ int) (string, bool) {
			lc := httpd.LocConf[LocConf](r, &self)
			s := split(r, lc)
			name := s.scriptName
			if name != "" && name[len(name)-1] == '/' && lc != nil {
				// a directory: the index file is appended
				return name + lc.index.Get(), true
			}
			return name, true
		}}); err != nil {
		return err
	}
	_, err := cf.AddVariable(&httpd.Variable{Name: "fastcgi_path_info",
		Flags: httpd.VarNoCacheable,
		Get: func(r *httpd.Request, _ string, _ int) (string, bool) {
			return split(r, httpd.LocConf[LocConf](r, &self)).pathInfo, true
		}})
	return err
}

// split splits the request's URI with the location's
// fastcgi_split_path_info (ngx_http_fastcgi_split): the first match is
// kept for the request; without a regex, or when it does not match, the
// script name is the URI and the path info empty.
func split(r *httpd.Request, lc *LocConf) *splitCtx {
	s := httpd.Ctx[splitCtx](r, &splitKey)
	if s == nil {
		s = &splitCtx{}
		httpd.SetCtx(r, &splitKey, s)
	}
	if s.done && s.scriptName != "" {
		return s
	}
	s.done = true
	if lc == nil || lc.split == nil {
		s.scriptName, s.pathInfo = r.URI, ""
		return s
	}
	m := lc.split.FindStringSubmatchIndex(r.URI)
	if m == nil {
		s.scriptName, s.pathInfo = r.URI, ""
		return s
	}
	s.scriptName, s.pathInfo = sub(r.URI, m[2], m[3]), sub(r.URI, m[4], m[5])
	return s
}

// sub is s[i:j], empty for a capture that did not take part.
func sub(s string, i, j int) string {
	if i < 0 {
		return ""
	}
	return s[i:j]
}

// splitKey is the context slot of the split (the exchange has its own).
var splitKey httpd.Handle
