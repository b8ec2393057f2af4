package flv

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/bytesconv"
	"github.com/sluicehq/sluice/modules/static"
)

// Module is the flv module.
var Module = &httpd.Module{
	Name: "flv",
	Directives: []conf.Directive{
		{Name: "flv", Context: conf.HTTPLoc, Args: conf.NoArgs, Syntax: "flv;",
			Doc: "Serves FLV files from the offset in the start argument, with the FLV header prepended.",
			Set: func(c *conf.Cmd) error {
				httpd.CoreLocOf(c).Handler = handler
				return nil
			}},
	},
}

// header is the FLV file header sent before a file cut at start: version
// 1, audio and video, header size 9, then the first PreviousTagSize (0).
const header = "FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00"

// handler serves the file from ?start= (ngx_http_flv_handler).
func handler(r *httpd.Request) httpd.Status {
	f, _, fi, rc := static.OpenMedia(r)
	if rc != httpd.OK {
		return rc
	}
	defer f.Close()
	start := int64(0)
	if r.Args != "" {
		if v, ok := http1.Arg(bytesconv.Bytes(r.Args), []byte("start")); ok {
			if n, ok := conf.Atoi(bytesconv.String(v)); ok && n < fi.Size() {
				start = n
			}
		}
	}
	r.SetAction("sending flv to client")
	if start == 0 {
		return static.SendFile(r, f, fi, "", 0)
	}
	return static.SendFile(r, f, fi, header, start)
}
