// Package imagefilter is nginx's ngx_http_image_filter_module: a filter
// that transforms JPEG, GIF, PNG and WebP responses — answers their size
// as JSON, checks that they are images, resizes, crops and rotates them.
//
//	location /img/ {
//	    proxy_pass   http://backend;
//	    image_filter resize 150 100;
//	    image_filter rotate 90;
//	    error_page   415 = /empty;
//	}
//
// The filter holds the response head back (httpd.Request.HoldHeader)
// and gathers the body, up to image_filter_buffer or the response's
// Content-Length, whichever is known: a Content-Length over the buffer is
// answered 415 at once ("image filter: too big response: N"), a body that
// grows past it too ("image filter: too big response"). The format comes
// from the first bytes of the body's first piece, as nginx looks at its
// first buffer (Sniff); a body that is no image is answered 415 — or "{}"
// for image_filter size, after which the connection closes, as nginx's
// does. Otherwise the Content-Type becomes the format's (image/jpeg,
// image/gif, image/png, image/webp), byte ranges are off and a Refresh
// header is dropped. "test" then sends the body on as it comes. The
// others wait for the whole body:
//
//   - size answers { "img" : { "width": W, "height": H, "type": "png" } }
//     with the dimensions read from the image's header (Size), or "{}"
//     when the header does not give them; the head is replaced
//     (status 200, application/json, no other header lines).
//   - resize and crop send the image unchanged when its header says it
//     fits already, with no rotation, unless it is a JPEG whose
//     application segments (EXIF ...) take more than 5% of it. Otherwise
//     it is decoded, scaled (resize: to fit in the box keeping its
//     proportions; crop: until it covers the box one way), rotated
//     counter-clockwise, cut to the box around its centre (crop), sharpened
//     (image_filter_sharpen, true colour images only) and encoded again in
//     its format; its ETag becomes weak. A width or height of "-" is no
//     limit; a value from variables that is not a positive number is 415,
//     as is a rotation by anything but 90, 180 or 270.
//
// A HEAD request gets the head the GET would, and the connection closes
// after it, as with nginx (its image filter fails the request once the
// head is out). A 415 goes through error_page. The decoders and encoders
// are Go's image/jpeg, image/gif and image/png; their failures are logged
// with the libgd call nginx names ("gdImageCreateFromPngPtr() failed"),
// as is an image whose header announces more than 32 megapixels, which
// is not decoded (a few bytes could otherwise make the decoder allocate
// gigabytes).
// Go has no WebP codec: "size", "test" and an image that fits work, a
// WebP image that must change is answered 415 with "sluice was built
// without WebP support" (nginx's words for a libgd without WebP). The
// scaling is a box filter, not libgd's; a resized palette image keeps
// its own palette; a JPEG carries the comment "CREATOR: sluice (Go
// image/jpeg), quality = N" where libgd writes its own; interlacing is
// done for GIF only (Go writes neither progressive JPEG nor Adam7 PNG).
// See docs/compat.md.
//
// Directives
//
//	Syntax:  image_filter off;
//	         image_filter test;
//	         image_filter size;
//	         image_filter rotate 90 | 180 | 270;
//	         image_filter resize width height;
//	         image_filter crop width height;
//	Default: image_filter off;
//	Context: location
//
// Sets the type of transformation to perform on images: test ensures the
// response is an image in JPEG, GIF, PNG or WebP format, else 415; size
// outputs information about the image in JSON; rotate rotates images
// counter-clockwise by the given number of degrees (it may be combined
// with resize and crop); resize proportionally reduces an image to the
// given sizes; crop proportionally reduces an image to the larger side's
// size and crops extraneous edges by the other side. A value may contain
// variables; "-" for a width or height means it is not limited.
//
//	Syntax:  image_filter_buffer size;
//	Default: image_filter_buffer 1M;
//	Context: http, server, location
//
// Sets the maximum size of the buffer used for reading images. When the
// size is exceeded the server returns error 415.
//
//	Syntax:  image_filter_interlace on | off;
//	Default: image_filter_interlace off;
//	Context: http, server, location
//
// If enabled, final images will be interlaced (GIF only in sluice).
//
//	Syntax:  image_filter_jpeg_quality quality;
//	Default: image_filter_jpeg_quality 75;
//	Context: http, server, location
//
// Sets the desired quality of the transformed JPEG images, 1 to 100 (the
// value may contain variables).
//
//	Syntax:  image_filter_sharpen percent;
//	Default: image_filter_sharpen 0;
//	Context: http, server, location
//
// Increases sharpness of the final image (the value may contain
// variables).
//
//	Syntax:  image_filter_transparency on|off;
//	Default: image_filter_transparency on;
//	Context: http, server, location
//
// Defines whether transparency is preserved when transforming GIF images
// or PNG images with colors specified by a palette.
//
//	Syntax:  image_filter_webp_quality quality;
//	Default: image_filter_webp_quality 80;
//	Context: http, server, location
//
// Sets the desired quality of the transformed WebP images (sluice cannot
// write WebP; the directive is accepted).
package imagefilter
