package authbasic

import "crypto/md5"

// md5Crypt is Poul-Henning Kamp's MD5-crypt with the given magic ("$1$"
// for crypt(3), "$apr1$" for Apache's variant, as nginx's
// ngx_crypt_apr1): the salt is at most 8 characters after the magic, up
// to a "$".
func md5Crypt(key, setting []byte, magic string) []byte {
	salt := setting[len(magic):]
	n := 0
	for n < len(salt) && n < 8 && salt[n] != '$' {
		n++
	}
	salt = salt[:n]

	ctx := md5.New()
	ctx.Write(key)
	ctx.Write([]byte(magic))
	ctx.Write(salt)

	alt := md5.New()
	alt.Write(key)
	alt.Write(salt)
	alt.Write(key)
	var final [16]byte
	alt.Sum(final[:0])
	for n := len(key); n > 0; n -= 16 {
		ctx.Write(final[:min(n, 16)])
	}
	clear(final[:])
	for i := len(key); i != 0; i >>= 1 {
		if i&1 != 0 {
			ctx.Write(final[:1])
		} else {
			ctx.Write(key[:1])
		}
	}
	ctx.Sum(final[:0])

	for i := range 1000 {
		alt.Reset()
		if i&1 != 0 {
			alt.Write(key)
		} else {
			alt.Write(final[:])
		}
		if i%3 != 0 {
			alt.Write(salt)
		}
		if i%7 != 0 {
			alt.Write(key)
		}
		if i&1 != 0 {
			alt.Write(final[:])
		} else {
			alt.Write(key)
		}
		alt.Sum(final[:0])
	}

	out := make([]byte, 0, len(magic)+len(salt)+1+22)
	out = append(out, magic...)
	out = append(out, salt...)
	out = append(out, '$')
	f := func(i int) uint32 { return uint32(final[i]) }
	out = to64(out, f(0)<<16|f(6)<<8|f(12), 4)
	out = to64(out, f(1)<<16|f(7)<<8|f(13), 4)
	out = to64(out, f(2)<<16|f(8)<<8|f(14), 4)
	out = to64(out, f(3)<<16|f(9)<<8|f(15), 4)
	out = to64(out, f(4)<<16|f(10)<<8|f(5), 4)
	out = to64(out, f(11), 2)
	return out
}
