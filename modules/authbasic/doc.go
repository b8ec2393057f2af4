// Package authbasic is nginx's ngx_http_auth_basic_module: it limits
// access to users of HTTP Basic authentication ("Authorization: Basic
// base64(name:password)") listed in a password file.
//
// The handler runs in the access phase, so "satisfy any" lets either it or
// the access module's allow rules admit a request (the 401's
// WWW-Authenticate is then dropped). With auth_basic set and a user file,
// a request without usable credentials (no Authorization header, another
// scheme than Basic, bad base64 as nginx's decoder reads it, no ":" or an
// empty name) is answered 401 with "WWW-Authenticate: Basic
// realm="string"", logged at info as "no user/password was provided for
// basic authentication". The realm is written as it is: nginx neither
// escapes nor refuses quotes in it. The password file is opened and read
// at each request, so that changes apply at once: a file that does not
// exist answers 403 (logged at error, open() "..." failed (2: No such
// file or directory)), one that cannot be opened or read 500 (crit). A
// user not in the file is logged as user "name" was not found in "file",
// a wrong password as user "name": password mismatch, both at error and
// answered 401. auth_delay delays these 401s.
//
// The file has one "name:password" line per user, optionally followed by
// ":comment"; lines starting with "#" are comments. The password is in
// one of nginx's schemes ({PLAIN}text, {SHA}base64 SHA-1, {SSHA} salted
// SHA-1, $apr1$ Apache MD5) or, as nginx passes every other value to the
// system's crypt(3), one of Debian's libxcrypt: $1$ MD5-crypt, $5$ and
// $6$ SHA-crypt (with rounds=), $2a$/$2b$/$2y$ bcrypt ($2x$ for ASCII
// passwords), and traditional DES crypt. A value crypt(3) does not
// understand is a mismatch, as there. The schemes libxcrypt verifies and
// sluice does not (yescrypt $y$, gost-yescrypt $gy$, scrypt $7$,
// $sha1$, SunMD5 $md5, NT $3$, BSDi "_") answer 500 with a crit line
// naming the scheme, rather than a misleading "password mismatch".
//
// $remote_user is the user name of the Authorization header, whether or
// not any check took place.
//
// nginx 1.29 checks CONNECT requests (its tunnel module) against
// Proxy-Authorization and answers 407 with Proxy-Authenticate; sluice
// refuses CONNECT before any phase runs, so only the 401 path exists
// (the framework's satisfy and auth_delay handle 407 all the same).
//
// Directives
//
//	Syntax:  auth_basic string | off;
//	Default: auth_basic off;
//	Context: http, server, location, limit_except
//
//	Syntax:  auth_basic_user_file file;
//	Default: —
//	Context: http, server, location, limit_except
package authbasic
