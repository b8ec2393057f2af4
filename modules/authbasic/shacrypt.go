package authbasic

import (
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"strconv"
)

// SHA-crypt ("$5$" SHA-256, "$6$" SHA-512), Ulrich Drepper's
// specification as libxcrypt implements it: "rounds=N$" (1000 to
// 999,999,999; 5000 when absent, and then not repeated in the output),
// a salt of at most 16 characters up to a "$".
const (
	shaRoundsDefault = 5000
	shaRoundsMin     = 1000
	shaRoundsMax     = 999999999
	shaSaltMax       = 16
)

// The output's byte order, three bytes per 4 characters; the last group
// is shorter.
var (
	sha256Order = [...]int{0, 10, 20, 21, 1, 11, 12, 22, 2, 3, 13, 23, 24, 4, 14,
		15, 25, 5, 6, 16, 26, 27, 7, 17, 18, 28, 8, 9, 19, 29}
	sha512Order = [...]int{0, 21, 42, 22, 43, 1, 44, 2, 23, 3, 24, 45, 25, 46, 4,
		47, 5, 26, 6, 27, 48, 28, 49, 7, 50, 8, 29, 9, 30, 51, 31, 52, 10,
		53, 11, 32, 12, 33, 54, 34, 55, 13, 56, 14, 35, 15, 36, 57, 37, 58, 16,
		59, 17, 38, 18, 39, 60, 40, 61, 19, 62, 20, 41}
)

// shaCrypt computes the hash of key with the setting; ok is false for a
// setting libxcrypt refuses.
func shaCrypt(key, setting []byte, is512 bool) (out []byte, ok bool) {
	magic := "$5$"
	newHash := sha256.New
	if is512 {
		magic = "$6$"
		newHash = sha512.New
	}
	s := setting[len(magic):]
	rounds, custom := shaRoundsDefault, false
	if len(s) >= 7 && string(s[:7]) == "rounds=" {
		end := 7
		for end < len(s) && s[end] != '$' {
			end++
		}
		if end == len(s) {
			return nil, false
		}
		digits := s[7:end]
		if len(digits) == 0 || digits[0] < '1' || digits[0] > '9' {
			return nil, false
		}
		n, err := strconv.ParseUint(string(digits), 10, 64)
		if err != nil || n < shaRoundsMin || n > shaRoundsMax {
			return nil, false
		}
		rounds, custom = int(n), true
		s = s[end+1:]
	}
	n := 0
	for n < len(s) && n < shaSaltMax && s[n] != '$' {
		n++
	}
	salt := s[:n]

	h := newHash()
	sz := h.Size()
	h.Write(key)
	h.Write(salt)
	h.Write(key)
	b := h.Sum(nil)

	h.Reset()
	h.Write(key)
	h.Write(salt)
	writeRepeated(h, b, len(key))
	for i := len(key); i > 0; i >>= 1 {
		if i&1 != 0 {
			h.Write(b)
		} else {
			h.Write(key)
		}
	}
	a := h.Sum(nil)

	h.Reset()
	for range len(key) {
		h.Write(key)
	}
	dp := h.Sum(nil)
	p := repeated(dp, len(key))

	h.Reset()
	for range 16 + int(a[0]) {
		h.Write(salt)
	}
	ds := h.Sum(nil)
	sb := repeated(ds, len(salt))

	c := a
	for i := range rounds {
		h.Reset()
		if i&1 != 0 {
			h.Write(p)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(sb)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 != 0 {
			h.Write(c)
		} else {
			h.Write(p)
		}
		c = h.Sum(c[:0])
	}

	out = append(out, magic...)
	if custom {
		out = append(out, "rounds="...)
		out = strconv.AppendInt(out, int64(rounds), 10)
		out = append(out, '$')
	}
	out = append(out, salt...)
	out = append(out, '$')
	order := sha256Order[:]
	if is512 {
		order = sha512Order[:]
	}
	for i := 0; i+2 < len(order); i += 3 {
		out = to64(out, uint32(c[order[i]])<<16|uint32(c[order[i+1]])<<8|uint32(c[order[i+2]]), 4)
	}
	if is512 {
		out = to64(out, uint32(c[63]), 2)
	} else {
		out = to64(out, uint32(c[31])<<8|uint32(c[30]), 3)
	}
	_ = sz
	return out, true
}

// writeRepeated writes n bytes of b repeated.
func writeRepeated(h hash.Hash, b []byte, n int) {
	for ; n > len(b); n -= len(b) {
		h.Write(b)
	}
	h.Write(b[:n])
}

// repeated returns n bytes of b repeated.
func repeated(b []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, b[:min(len(b), n-len(out))]...)
	}
	return out
}
