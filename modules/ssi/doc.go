// Package ssi is nginx's SSI filter (ngx_http_ssi_filter_module): it
// processes Server Side Includes commands in responses passing through it.
//
//	location / {
//	    ssi on;
//	}
//
// Directives (as nginx.org documents them): ssi, ssi_silent_errors,
// ssi_types, ssi_value_length, ssi_min_file_chunk, ssi_last_modified, and
// nginx's undocumented ssi_ignore_recycled_buffers (accepted, no effect).
//
// Commands have the form <!--# command parameter="value" ... -->:
//
//   - include virtual="uri" | file="uri" [wait="yes|no"] [set="var" | stub="block"]
//     runs a subrequest and outputs its body; with set, its body (at most
//     subrequest_output_buffer_size bytes) goes into an SSI variable
//     instead; with stub, a block is output when the subrequest fails or
//     sends no body. A relative URI is taken from the current request's
//     directory.
//   - echo var="name" [default="text"] [encoding="none|url|entity"]
//   - set var="name" value="text with $variables"
//   - if expr="..." / elif expr="..." / else / endif, where expr is "$a",
//     "$a = text", "$a != text", "$a = /regex/" or "$a != /regex/"; a
//     match's captures are $1..$9 and named captures SSI variables
//   - config errmsg="text" timefmt="strftime format"
//   - block name="name" / endblock
//
// A command that fails outputs "[an error occurred while processing the
// directive]" (or config's errmsg) unless ssi_silent_errors is on, and its
// reason is logged as nginx logs it. $date_local and $date_gmt print the
// current time with the request's timefmt.
//
// The parser is a state machine fed with the body's pieces as they come
// (a command may be split anywhere); file pieces are read 32 KB at a
// time, and text longer than ssi_min_file_chunk is sent from the file.
//
// Differences from nginx:
//
//   - Subrequests run synchronously and in document order (see package
//     httpd): an include's body goes out before the text after it is even
//     parsed, so "wait" changes nothing and "can only wait for one
//     subrequest at a time" never happens. The output is the same as
//     nginx's; only the error log differs in order: what the text after an
//     include logs comes after the subrequest's lines, nginx logs it before.
//   - Regular expressions are Go's RE2, compiled when a command uses them
//     (and cached). Patterns PCRE accepts but RE2 does not (backreferences,
//     lookaround) fail the command with `regex "..." cannot be compiled by
//     RE2` where nginx logs PCRE's message. Captures count as PCRE's do:
//     up to the last group that took part in the match.
//   - timefmt is formatted by sluice's own strftime in the "C" locale
//     (glibc's conversions and flags); %Z of $date_gmt is "GMT".
//   - When a would-be command ("<!-") is split across pieces and turns out
//     to be text, its first bytes are output in place; nginx outputs them
//     after what the next command produced.
//   - The stub of an include is output when the subrequest passed no body
//     bytes to the filters at all; nginx looks at its first output call
//     only.
package ssi
