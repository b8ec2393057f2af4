// Package securelink is nginx's ngx_http_secure_link_module: the variable
// $secure_link says whether a link carries a valid checksum (and has not
// expired), for use with if or map.
//
// With secure_link and secure_link_md5, the secure_link value is
// "checksum[,expires]": the checksum is the binary MD5 of the
// secure_link_md5 value in base64url (at most 24 characters; decoding ends
// at the first '=', so padding and anything after it are ignored; '+' and
// '/' are refused), expires is a Unix time in decimal digits above zero.
// $secure_link is "1" for a good checksum, "0" for a good checksum whose
// time has passed, not found otherwise (a bad expiry, a checksum that does
// not decode to 16 bytes or does not match, secure_link or secure_link_md5
// missing). $secure_link_expires is the text after the comma once it
// parsed, whatever the checksum; it is known only after $secure_link was
// evaluated (secure_link_md5 may use it), and both values are cached for
// the request as in nginx. The checksum is compared in constant time.
//
// With secure_link_secret (the older mode), the request target as
// received must be /prefix/<32 hex digits>/link, the digits (either case)
// being the MD5 of link (the arguments included) followed by the word;
// $secure_link is then link, not found otherwise. secure_link_secret
// cannot be used on a level that has secure_link or secure_link_md5; a
// level with neither inherits the secret.
//
// Directives
//
//	Syntax:  secure_link expression;
//	Context: http, server, location
//
//	Syntax:  secure_link_md5 expression;
//	Context: http, server, location
//
//	Syntax:  secure_link_secret word;
//	Context: location
//
// (nginx.org documents secure_link_secret for location only; nginx
// accepts it in http and server too, as sluice does.)
package securelink
