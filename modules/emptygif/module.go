// Package emptygif is nginx's ngx_http_empty_gif_module: a location that
// answers with a single-pixel transparent GIF.
//
//	location = /_.gif {
//	    empty_gif;
//	}
//
// Directives (as nginx.org documents them):
//
//	Syntax:  empty_gif;
//	Default: —
//	Context: location
//
// The answer is 200 with "Content-Type: image/gif", the 43-byte image and
// "Last-Modified: Mon, 28 Sep 1970 06:00:00 GMT", as nginx sends it; GET
// and HEAD only, other methods get 405.
package emptygif

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// self is the module's identity for conf lookups.
var self httpd.Handle

// Module is the empty_gif module.
var Module = &httpd.Module{
	Name:   "empty_gif",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "empty_gif", Context: conf.HTTPLoc, Args: conf.NoArgs, Syntax: "empty_gif;",
			Doc: "Answers with a single-pixel transparent GIF.", Set: setEmptyGIF},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
}

// LocConf holds the image as the body of the location's answer.
type LocConf struct {
	body *httpd.Complex
}

// gif is the smallest transparent GIF, 1x1 pixel: a GIF89a header, a
// two-colour global table (black, white), a graphic control extension
// making colour 1 transparent, and one LZW-coded pixel of colour 1.
const gif = "GIF89a" +
	"\x01\x00\x01\x00" + // logical screen 1x1
	"\x80\x01\x00" + // global colour table of 2 entries, background 1
	"\x00\x00\x00\xff\xff\xff" + // black, white
	"\x21\xf9\x04\x01\x00\x00\x01\x00" + // graphic control: transparent index 1
	"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00" + // image descriptor 1x1 at 0,0
	"\x02\x02\x4c\x01\x00" + // LZW minimum code size 2, one 2-byte block
	"\x3b" // trailer

// lastModified is nginx's Last-Modified for the image (23349600).
const lastModified = 23349600

// setEmptyGIF makes the image the location's content handler
// (ngx_http_empty_gif).
func setEmptyGIF(c *conf.Cmd) error {
	body, err := httpd.ConfigOf(c).Compile(c, gif)
	if err != nil {
		return err
	}
	c.Conf.(*LocConf).body = body
	httpd.CoreLocOf(c).Handler = handler
	return nil
}

// handler answers with the image (ngx_http_empty_gif_handler).
func handler(r *httpd.Request) httpd.Status {
	if r.MethodBit&(httpd.MethodGET|httpd.MethodHEAD) == 0 {
		return 405
	}
	r.Out.LastModifiedTime = lastModified
	return r.SendResponse(200, "image/gif", httpd.LocConf[LocConf](r, &self).body)
}
