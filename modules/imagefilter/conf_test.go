package imagefilter_test

import (
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// TestConfErrors checks the directives against Debian's "nginx -t" with
// the module loaded (on the first line, so the line numbers agree).
func TestConfErrors(t *testing.T) {
	const load = "load_module " + oracle.ModulesDir + "/ngx_http_image_filter_module.so; "
	inLoc := func(stmts string) string {
		return "events {}\nhttp {\n    server {\n        location / {\n" + stmts + "\n        }\n    }\n}\n"
	}
	inServer := func(stmts string) string { return "events {}\nhttp {\n    server {\n" + stmts + "\n    }\n}\n" }
	for _, tc := range []struct {
		name, conf, want string
	}{
		{"unknown mode", inLoc(`image_filter blur;`), `invalid parameter "blur" in FILE:5`},
		{"no arguments", inLoc(`image_filter;`), `invalid number of arguments in "image_filter" directive in FILE:5`},
		{"four arguments", inLoc(`image_filter resize 1 2 3;`), `invalid number of arguments in "image_filter" directive in FILE:5`},
		{"rotate 45", inLoc(`image_filter rotate 45;`), `invalid parameter "45" in FILE:5`},
		{"rotate dash", inLoc(`image_filter rotate -;`), `invalid parameter "-" in FILE:5`},
		{"two words", inLoc(`image_filter size 10;`), `invalid parameter "size" in FILE:5`},
		{"resize zero", inLoc(`image_filter resize 0 10;`), `invalid parameter "0" in FILE:5`},
		{"crop junk", inLoc(`image_filter crop 10 x;`), `invalid parameter "x" in FILE:5`},
		{"three words", inLoc(`image_filter scale 10 10;`), `invalid parameter "scale" in FILE:5`},
		{"in server", inServer(`image_filter size;`), `"image_filter" directive is not allowed here in FILE:4`},
		{"jpeg quality zero", inServer(`image_filter_jpeg_quality 0;`), `invalid value "0" in FILE:4`},
		{"jpeg quality dash", inServer(`image_filter_jpeg_quality -;`), `invalid value "-" in FILE:4`},
		{"webp quality junk", inServer(`image_filter_webp_quality x;`), `invalid value "x" in FILE:4`},
		{"sharpen dash", inServer(`image_filter_sharpen -;`), `invalid value "-" in FILE:4`},
		{"bad variable", inLoc(`image_filter resize ${w 10;`), `the closing bracket in "w" variable is missing in FILE:5`},
		{"buffer", inServer(`image_filter_buffer 1x;`), `"image_filter_buffer" directive invalid value in FILE:4`},
		{"transparency", inServer(`image_filter_transparency yes;`), `invalid value "yes" in "image_filter_transparency" directive, it must be "on" or "off" in FILE:4`},
		{"interlace duplicate", inServer(`image_filter_interlace on; image_filter_interlace off;`), `"image_filter_interlace" directive is duplicate in FILE:4`},
		{"valid", inServer(`image_filter_buffer 10m; image_filter_sharpen x; image_filter_jpeg_quality $arg_q;
			location / { image_filter resize - 10; image_filter rotate $arg_r; image_filter crop $arg_w 5; image_filter test; }`), ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := servertest.LoadError(t, tc.conf, nil); got != tc.want {
				t.Errorf("error\n%s\nwant\n%s", got, tc.want)
			}
			if n := oracle.CheckConfig(t, load+tc.conf).Emerg; n != tc.want {
				t.Errorf("nginx -t says\n%s\nthe test expects\n%s", n, tc.want)
			}
		})
	}
}
