package authbasic

// Traditional Unix crypt(3): 25 DES encryptions of a zero block under the
// first 8 characters of the password (7 bits each), with the expansion
// perturbed by a 12-bit salt of two characters. The tables are the DES
// standard's (FIPS 46-3), bits numbered from 1 at the left; the cipher
// works on one byte per bit, which is slow but plain, and crypt's 25
// rounds take microseconds anyway.

var (
	desIP = [64]uint8{
		58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
		62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
		57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
		61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7}
	desE = [48]uint8{
		32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9,
		8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17,
		16, 17, 18, 19, 20, 21, 20, 21, 22, 23, 24, 25,
		24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1}
	desP = [32]uint8{
		16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
		2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25}
	desPC1 = [56]uint8{
		57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
		10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
		63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
		14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4}
	desPC2 = [48]uint8{
		14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
		23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
		41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
		44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32}
	desShifts = [16]uint8{1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1}
	desS      = [8][64]uint8{
		{14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
			0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
			4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
			15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13},
		{15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
			3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
			0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
			13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9},
		{10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
			13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
			13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
			1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12},
		{7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
			13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
			10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
			3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14},
		{2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
			14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
			4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
			11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3},
		{12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
			10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
			9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
			4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13},
		{4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
			13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
			1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
			6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12},
		{13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
			1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
			7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
			2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11}}
)

// desValue is the value of a crypt base64 character, -1 outside it.
func desValue(c byte) int {
	switch {
	case c == '.' || c == '/':
		return int(c - '.')
	case c >= '0' && c <= '9':
		return int(c-'0') + 2
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 12
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 38
	}
	return -1
}

// isDESSalt reports whether s starts with two salt characters.
func isDESSalt(s []byte) bool {
	return len(s) >= 2 && desValue(s[0]) >= 0 && desValue(s[1]) >= 0
}

// desCrypt is crypt(key, setting) for a traditional DES setting; ok is
// false when the setting does not start with two salt characters
// (libxcrypt's failure).
func desCrypt(key, setting []byte) (out []byte, ok bool) {
	if !isDESSalt(setting) {
		return nil, false
	}
	saltBits := desValue(setting[0]) | desValue(setting[1])<<6

	// the key: 7 bits per character, the parity bit (8th) zero
	var k [64]uint8
	for i := 0; i < 8 && i < len(key); i++ {
		for j := range 7 {
			k[8*i+j] = key[i] >> (6 - j) & 1
		}
	}
	var subkeys [16][48]uint8
	var cd [56]uint8
	for i := range 56 {
		cd[i] = k[desPC1[i]-1]
	}
	for r := range 16 {
		for range desShifts[r] {
			c0, d0 := cd[0], cd[28]
			copy(cd[0:27], cd[1:28])
			copy(cd[28:55], cd[29:56])
			cd[27], cd[55] = c0, d0
		}
		for i := range 48 {
			subkeys[r][i] = cd[desPC2[i]-1]
		}
	}

	// the salted expansion: salt bit i swaps positions i and i+24
	e := desE
	for i := range 12 {
		if saltBits>>i&1 != 0 {
			e[i], e[i+24] = e[i+24], e[i]
		}
	}

	var block [64]uint8
	for range 25 {
		block = desEncrypt(block, &subkeys, &e)
	}

	out = make([]byte, 0, 13)
	out = append(out, setting[0], setting[1])
	for i := range 11 {
		v := 0
		for j := range 6 {
			v <<= 1
			if b := 6*i + j; b < 64 {
				v |= int(block[b])
			}
		}
		out = append(out, itoa64[v])
	}
	return out, true
}

// desEncrypt encrypts one block, one byte per bit.
func desEncrypt(in [64]uint8, subkeys *[16][48]uint8, e *[48]uint8) [64]uint8 {
	var lr [64]uint8
	for i := range 64 {
		lr[i] = in[desIP[i]-1]
	}
	l, r := lr[:32], lr[32:]
	var x [48]uint8
	var f, t [32]uint8
	for round := range 16 {
		for i := range 48 {
			x[i] = r[e[i]-1] ^ subkeys[round][i]
		}
		for s := range 8 {
			b := x[6*s : 6*s+6]
			row := b[0]<<1 | b[5]
			col := b[1]<<3 | b[2]<<2 | b[3]<<1 | b[4]
			v := desS[s][row*16+col]
			for j := range 4 {
				f[4*s+j] = v >> (3 - j) & 1
			}
		}
		for i := range 32 {
			t[i] = l[i] ^ f[desP[i]-1]
		}
		copy(l, r)
		copy(r, t[:])
	}
	// the halves are swapped before the final permutation
	var pre, out [64]uint8
	copy(pre[:32], r)
	copy(pre[32:], l)
	for i := range 64 {
		out[desIP[i]-1] = pre[i]
	}
	return out
}
