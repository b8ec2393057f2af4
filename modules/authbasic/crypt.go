package authbasic

import (
	"bytes"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"errors"

	"github.com/sluicehq/sluice/httpd"
	"golang.org/x/crypto/bcrypt"
)

// errUnsupported is a hash whose scheme Debian's crypt(3) (libxcrypt)
// verifies but sluice does not (see docs/compat.md): yescrypt ("$y$"),
// gost-yescrypt ("$gy$"), scrypt ("$7$"), sha1crypt ("$sha1$"), SunMD5
// ("$md5"), NT ("$3$"), BSDi extended DES ("_"), and "$2x$" with bytes
// over 127 in the password.
var errUnsupported = errors.New("unsupported password scheme")

// verify reports whether key (the password the client sent) matches the
// user's field of the password file, as nginx's ngx_crypt compares
// crypt(key, hash) with hash: both are C strings there, so each ends at
// its first NUL byte.
func verify(key, hash []byte) (bool, error) {
	if i := bytes.IndexByte(key, 0); i >= 0 {
		key = key[:i]
	}
	if i := bytes.IndexByte(hash, 0); i >= 0 {
		hash = hash[:i]
	}
	switch {
	case bytes.HasPrefix(hash, []byte("$apr1$")):
		return equal(md5Crypt(key, hash, "$apr1$"), hash), nil
	case bytes.HasPrefix(hash, []byte("{PLAIN}")):
		return equal(hash[len("{PLAIN}"):], key), nil
	case bytes.HasPrefix(hash, []byte("{SSHA}")):
		return equal(sshaCrypt(key, hash[len("{SSHA}"):]), hash[len("{SSHA}"):]), nil
	case bytes.HasPrefix(hash, []byte("{SHA}")):
		sum := sha1.Sum(key)
		return equal([]byte(base64.StdEncoding.EncodeToString(sum[:])), hash[len("{SHA}"):]), nil
	}
	return libcCrypt(key, hash)
}

// libcCrypt is what nginx's fallback to the system's crypt_r() does on
// Debian, where crypt(3) is libxcrypt: the scheme is chosen by the
// hash's prefix, and a setting crypt cannot use gives a failure token
// ("*0"), which never equals the hash: a mismatch.
func libcCrypt(key, hash []byte) (bool, error) {
	switch {
	case bytes.HasPrefix(hash, []byte("$1$")):
		return equal(md5Crypt(key, hash, "$1$"), hash), nil
	case bytes.HasPrefix(hash, []byte("$5$")):
		out, ok := shaCrypt(key, hash, false)
		return ok && equal(out, hash), nil
	case bytes.HasPrefix(hash, []byte("$6$")):
		out, ok := shaCrypt(key, hash, true)
		return ok && equal(out, hash), nil
	case bytes.HasPrefix(hash, []byte("$2a$")), bytes.HasPrefix(hash, []byte("$2b$")), bytes.HasPrefix(hash, []byte("$2y$")):
		// libxcrypt uses the first 72 bytes of the password
		if len(key) > 72 {
			key = key[:72]
		}
		return bcrypt.CompareHashAndPassword(hash, key) == nil, nil
	case bytes.HasPrefix(hash, []byte("$2x$")):
		// $2x$ reproduces an old sign extension bug of bytes over 127;
		// for ASCII passwords it is bcrypt
		for _, c := range key {
			if c >= 0x80 {
				return false, errUnsupported
			}
		}
		if len(key) > 72 {
			key = key[:72]
		}
		return bcrypt.CompareHashAndPassword(hash, key) == nil, nil
	case bytes.HasPrefix(hash, []byte("$y$")),
		bytes.HasPrefix(hash, []byte("$gy$")), bytes.HasPrefix(hash, []byte("$7$")),
		bytes.HasPrefix(hash, []byte("$sha1$")), bytes.HasPrefix(hash, []byte("$md5")),
		bytes.HasPrefix(hash, []byte("$3$")), bytes.HasPrefix(hash, []byte("_")):
		return false, errUnsupported
	}
	// anything else is a DES setting: two salt characters, and whatever
	// follows a 13-character hash makes it a mismatch (Debian's
	// libxcrypt has no bigcrypt)
	out, ok := desCrypt(key, hash)
	return ok && equal(out, hash), nil
}

// equal compares in constant time for inputs of the same length.
func equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// sshaCrypt is "{SSHA}" base64(SHA1(key salt) salt) (ngx_crypt_ssha):
// the salt is what follows the first 20 bytes of the decoded hash; a hash
// that does not decode, or decodes to fewer than 20 bytes, has no salt.
func sshaCrypt(key, enc []byte) []byte {
	dec, ok := httpd.DecodeBase64(string(enc))
	if !ok || len(dec) < 20 {
		dec = make([]byte, 20)
	}
	h := sha1.New()
	h.Write(key)
	h.Write(dec[20:])
	h.Sum(dec[:0])
	return []byte(base64.StdEncoding.EncodeToString(dec))
}

// itoa64 is crypt's base64 alphabet.
const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// to64 appends the n low 6-bit groups of v, least significant first.
func to64(p []byte, v uint32, n int) []byte {
	for ; n > 0; n-- {
		p = append(p, itoa64[v&0x3f])
		v >>= 6
	}
	return p
}
