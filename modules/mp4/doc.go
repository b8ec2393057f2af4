// Package mp4 is nginx's ngx_http_mp4_module: pseudo-streaming of MP4
// files. "?start=" and "?end=" (seconds, with up to three decimals kept)
// cut the movie: the moov atom is read into memory (up to
// mp4_max_buffer_size), its sample tables (stts, stss, ctts, stsc, stsz,
// stco/co64) and durations (mvhd, tkhd, mdhd) are rewritten for the cut,
// and the answer is ftyp, the new moov, and an mdat whose data is sent
// straight from the file range the cut covers.
//
//	location /video/ {
//	    mp4;
//	    mp4_buffer_size     1m;
//	    mp4_max_buffer_size 5m;
//	}
//
// Directives (as nginx.org documents them):
//
//	Syntax:  mp4;
//	Default: —
//	Context: location
//
//	Syntax:  mp4_buffer_size size;
//	Default: mp4_buffer_size 512K;
//	Context: http, server, location
//
//	Syntax:  mp4_max_buffer_size size;
//	Default: mp4_max_buffer_size 10M;
//	Context: http, server, location
//
//	Syntax:  mp4_start_key_frame on | off;
//	Default: mp4_start_key_frame off;
//	Context: http, server, location
//
//	Syntax:  mp4_limit_rate on | off | factor;
//	Default: mp4_limit_rate off;
//	Context: http, server, location
//
//	Syntax:  mp4_limit_rate_after time;
//	Default: mp4_limit_rate_after 60s;
//	Context: http, server, location
//
// The cut starts at the sample at the start time (nginx cuts on key
// frames only as far as the tables say so: with mp4_start_key_frame on,
// a video track starts at the key frame before the start time and an
// edit list hides the frames before it). A track that ends before the
// start time is left out. Atoms other than those named above are left
// out of the new moov, as in nginx.
//
// GET and HEAD only (others get 405); a URI ending in '/' and a path
// that is not a regular file are left to the next content handler. A
// start or end that is not a number is ignored: the whole file is sent
// (nginx answers no 400 there). A file whose moov precedes mdat is sent
// as it is when nothing is cut. A file that cannot be cut gets 500 and
// the error_log line nginx writes ("mp4 atom too large", "mp4 moov atom
// is too large:N, you may want to increase mp4_max_buffer_size", "start
// time is out mp4 stts samples", "... is not supported", ...). Byte
// ranges apply to the answer as cut (one range only).
//
// mp4_limit_rate and mp4_limit_rate_after are part of nginx's commercial
// subscription, absent from nginx OSS; sluice applies them to cut
// answers only (the bitrate needs the moov): the rate is the file's size
// over the movie's duration times the factor, after the bytes of
// mp4_limit_rate_after seconds at that bitrate.
//
// The atom parser reads the file through one buffer, as nginx does, and
// never trusts a size: every table is bounds-checked against its atom
// and the buffer, and where nginx would read outside its buffer (an atom
// inside moov whose data is not in the moov read) sluice refuses the
// file with "mp4 atom too large" and 500.
package mp4
