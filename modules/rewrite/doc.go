// Package rewrite is nginx's ngx_http_rewrite_module: "rewrite", "return",
// "set", "if", "break", "rewrite_log" and "uninitialized_variable_warn",
// with nginx's semantics and error wording.
//
// Statements of a server block run in the server rewrite phase, those of
// a location in the rewrite phase; they are not inherited by nested
// blocks. Each block's statements are compiled once, at configuration
// time, into a list of statement values; an "if" block's statements are
// compiled into the enclosing block's list behind the condition, and when
// a location-level condition holds, the request switches to the block's
// anonymous location, so other directives inside it (proxy_pass,
// add_header...) apply.
//
// Values (replacements, "set" values, comparison operands, file test
// paths, return texts) follow nginx's script grammar: text, "$name",
// "${name}" and captures "$1".."$9" of the last regex match. Captures are
// escaped for a query string where nginx escapes them: after the "?" of a
// replacement, in a redirect, and in values computed before any rewrite
// matched, when the request URI had "%" escapes or a "+".
//
// Directives
//
//	Syntax:  rewrite regex replacement [last | break | redirect | permanent];
//	Context: server, location, if
//
//	Syntax:  return code [text]; return code URL; return URL;
//	Context: server, location, if
//
//	Syntax:  break;
//	Context: server, location, if
//
//	Syntax:  if (condition) { ... }
//	Context: server, location
//
//	Syntax:  set $variable value;
//	Context: server, location, if
//
//	Syntax:  rewrite_log on | off;
//	Default: rewrite_log off;
//	Context: http, server, location, if
//
//	Syntax:  uninitialized_variable_warn on | off;
//	Default: uninitialized_variable_warn on;
//	Context: http, server, location, if
//
// Conditions: "$variable" (false when empty or "0"), "$variable = value",
// "!=", "~ regex", "~*" (caseless), "!~", "!~*", "-f path", "-d", "-e",
// "-x" and their "!" negations.
//
// Regular expressions are Go's RE2 (see httpd.CompileRegex).
package rewrite
