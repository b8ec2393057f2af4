package gzipstatic

import (
	"errors"
	"syscall"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/modules/gzip"
)

// gzip_static's values (NGX_HTTP_GZIP_STATIC_*).
const (
	staticOff = iota
	staticOn
	staticAlways
)

var modes = conf.Enum[int]{{Name: "off", Value: staticOff}, {Name: "on", Value: staticOn}, {Name: "always", Value: staticAlways}}

// self is the module's identity for conf lookups.
var self httpd.Handle

// Module is the gzip_static module (ngx_http_gzip_static_module). Listed
// after the static module, its content handler runs before static's.
var Module = &httpd.Module{
	Name:   "gzip_static",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "gzip_static", Context: conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc, Args: conf.Take1,
			Syntax: "gzip_static on | off | always;", Default: "gzip_static off;",
			Doc: "Serves FILE.gz, with Content-Encoding: gzip, for a request of FILE when the client accepts gzip (on) or in any case (always).",
			Set: conf.SetEnum(modes, func(c *LocConf) *conf.Num { return &c.Mode })},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		p, c := parent.(*LocConf), child.(*LocConf)
		c.Mode.Inherit(p.Mode, staticOff)
		return nil
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHandler(httpd.Content, handler)
		return nil
	},
}

// LocConf is the gzip_static setting of one level.
type LocConf struct {
	// Mode is gzip_static: off, on or always.
	Mode conf.Num
}

// handler serves FILE.gz for FILE (ngx_http_gzip_static_handler).
func handler(r *httpd.Request) httpd.Status {
	if r.MethodBit&(httpd.MethodGET|httpd.MethodHEAD) == 0 {
		return httpd.Declined
	}
	if r.URI == "" || r.URI[len(r.URI)-1] == '/' {
		return httpd.Declined
	}
	mode := httpd.LocConf[LocConf](r, &self).Mode.Get()
	if mode == staticOff {
		return httpd.Declined
	}
	ok := true
	if mode == staticOn {
		ok = gzip.OK(r)
	}
	vary := gzip.VaryOn(r)
	if !vary && !ok {
		return httpd.Declined
	}
	path, good := r.MapURIToPath(".gz")
	if !good {
		return 500
	}
	f, failed, err := r.OpenFile(path)
	if err != nil {
		return openFailed(r, path, failed, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		r.Log().Logf(errlog.Crit, r, err, "fstat() \"%s\" failed", path)
		return httpd.Declined
	}
	if mode == staticOn {
		// the encoding of FILE depends on the request: with gzip_vary on,
		// "Vary: Accept-Encoding" (nginx's r->gzip_vary)
		if vary {
			r.VaryAcceptEncoding = true
		}
		if !ok {
			return httpd.Declined
		}
	}
	if fi.IsDir() {
		return httpd.Declined
	}
	if !fi.Mode().IsRegular() {
		r.Log().Logf(errlog.Crit, r, nil, "\"%s\" is not a regular file", path)
		return 404
	}
	if rc := r.DiscardRequestBody(); rc != httpd.OK {
		return rc
	}
	r.SetAction("sending response to client")
	out := &r.Out
	out.Status = 200
	out.ContentLengthN = fi.Size()
	out.LastModifiedTime = fi.ModTime().Unix()
	r.SetETag()
	r.SetContentType()
	out.ContentEncoding = out.Add("Content-Encoding", "gzip")
	r.AllowRanges = true
	if rc := r.SendHeader(); rc == httpd.Error || rc > httpd.OK || r.HeaderOnly {
		return rc
	}
	var c httpd.Chain
	var pieces [1]httpd.Piece
	c.Pieces = pieces[:0]
	c.AppendFile(f, 0, fi.Size())
	c.Last = true // for a subrequest: the end of its body (see the static module)
	return r.Output(&c)
}

// openFailed logs a failed open of FILE.gz as nginx does and declines, so
// that the static module serves FILE: nothing for a missing file, an
// error line for a denied one, a crit line otherwise (with no errno: 500).
func openFailed(r *httpd.Request, path, failed string, err error) httpd.Status {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		r.Log().Logf(errlog.Crit, r, err, "%s \"%s\" failed", failed, path)
		return 500
	}
	level := errlog.Crit
	switch errno {
	case syscall.ENOENT, syscall.ENOTDIR, syscall.ENAMETOOLONG:
		return httpd.Declined
	case syscall.EACCES, syscall.EMLINK, syscall.ELOOP:
		level = errlog.Error
	}
	r.Log().Logf(level, r, errno, "%s \"%s\" failed", failed, path)
	return httpd.Declined
}
