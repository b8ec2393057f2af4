// Package charset is nginx's charset filter
// (ngx_http_charset_filter_module): it adds the charset to a response's
// Content-Type and can recode the body from one charset to another, both
// ways between two single-byte charsets and from a single-byte charset to
// UTF-8 and back.
//
//	include        /path/to/sluice/modules/charset/maps/koi-utf;
//	location / {
//	    charset        utf-8;
//	    source_charset koi8-r;
//	}
//
// Directives (as nginx.org documents them):
//
//	Syntax:  charset charset | off;
//	Default: charset off;
//	Context: http, server, location, if in location
//
// Adds the charset to the "Content-Type" response header of responses
// whose type is in charset_types; when source_charset differs, the body is
// recoded. The value may contain variables.
//
//	Syntax:  charset_map charset1 charset2 { ... }
//	Default: —
//	Context: http
//
// Describes the table recoding charset1 into charset2 and back: lines of
// two hexadecimal bytes, or, when charset2 is utf-8, a byte and the
// character's UTF-8 sequence in hexadecimal (a character below U+10000).
// Bytes 0x00-0x7F map to themselves; bytes above that no line names
// become '?'. UTF-8 can only be the second charset.
//
//	Syntax:  charset_types mime-type ...;
//	Default: charset_types text/html text/xml text/plain text/vnd.wap.wml
//	         application/javascript application/rss+xml;
//	Context: http, server, location
//
// Enables the module for these MIME types in addition to text/html; "*"
// matches any.
//
//	Syntax:  override_charset on | off;
//	Default: override_charset off;
//	Context: http, server, location, if in location
//
// Recodes responses that already name a charset in their Content-Type
// (proxied ones) into the charset. An upstream's X-Accel-Charset header
// names the charset to recode into as well.
//
//	Syntax:  source_charset charset;
//	Default: —
//	Context: http, server, location, if in location
//
// The charset of responses that do not name one. The value may contain
// variables.
//
// Recoding into UTF-8 and out of it drops Content-Length; a character the
// single-byte charset lacks becomes "&#N;" (its decimal code point), a bad
// UTF-8 sequence '?'. A response with a Content-Encoding is not recoded
// (and is not given a charset when it would need recoding). The body of a
// subrequest is recoded into the main response's charset. Every recoding
// a location configures must have a charset_map, else the configuration
// fails ("no "charset_map" between the charsets "A" and "B""); a charset
// known only at run time without a map is logged with that line and the
// body passes unchanged.
//
// The maps directory has tables to include, as nginx ships conf/koi-win,
// conf/koi-utf and conf/win-utf: koi-utf (KOI8-R to UTF-8), win-utf
// (windows-1251 to UTF-8) and koi-win (KOI8-R to windows-1251). They were
// written from the charsets' definitions and cover every character (for
// koi-win every character the two charsets share), where nginx's cover
// the Russian, Ukrainian and Byelorussian letters and some symbols, with
// KOI8-U letters at 0xA4, 0xA6, 0xA7, 0xAD, 0xB4, 0xB6, 0xB7 and 0xBD of
// its "koi8-r".
package charset
