package tlsconf

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
)

// attr is a set of the properties OpenSSL's cipher list keywords select
// by.
type attr uint32

const (
	kRSA attr = 1 << iota
	kECDHE
	aRSA
	aECDSA
	encAES128
	encAES256
	encAESGCM
	encCHACHA20
	enc3DES
	encRC4
	macSHA1
	macSHA256
	macSHA384
	macAEAD
	strHigh
	strMedium
	tls12Only
	notDefault // in ALL but not in DEFAULT
)

// suite is one TLS 1.2 (and earlier) cipher suite Go implements, with
// its OpenSSL name.
type suite struct {
	id   uint16
	name string
	bits int
	attr attr
}

// suites are in OpenSSL's default order of preference (the order of
// "openssl ciphers ALL"), which a cipher list starts from.
var suites = []suite{
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE-ECDSA-AES256-GCM-SHA384", 256, kECDHE | aECDSA | encAES256 | encAESGCM | macAEAD | strHigh | tls12Only},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE-RSA-AES256-GCM-SHA384", 256, kECDHE | aRSA | encAES256 | encAESGCM | macAEAD | strHigh | tls12Only},
	{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-ECDSA-CHACHA20-POLY1305", 256, kECDHE | aECDSA | encCHACHA20 | macAEAD | strHigh | tls12Only},
	{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-RSA-CHACHA20-POLY1305", 256, kECDHE | aRSA | encCHACHA20 | macAEAD | strHigh | tls12Only},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE-ECDSA-AES128-GCM-SHA256", 128, kECDHE | aECDSA | encAES128 | encAESGCM | macAEAD | strHigh | tls12Only},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE-RSA-AES128-GCM-SHA256", 128, kECDHE | aRSA | encAES128 | encAESGCM | macAEAD | strHigh | tls12Only},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "ECDHE-ECDSA-AES128-SHA256", 128, kECDHE | aECDSA | encAES128 | macSHA256 | strHigh | tls12Only},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "ECDHE-RSA-AES128-SHA256", 128, kECDHE | aRSA | encAES128 | macSHA256 | strHigh | tls12Only},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "ECDHE-ECDSA-AES256-SHA", 256, kECDHE | aECDSA | encAES256 | macSHA1 | strHigh},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "ECDHE-RSA-AES256-SHA", 256, kECDHE | aRSA | encAES256 | macSHA1 | strHigh},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "ECDHE-ECDSA-AES128-SHA", 128, kECDHE | aECDSA | encAES128 | macSHA1 | strHigh},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "ECDHE-RSA-AES128-SHA", 128, kECDHE | aRSA | encAES128 | macSHA1 | strHigh},
	{tls.TLS_RSA_WITH_AES_256_GCM_SHA384, "AES256-GCM-SHA384", 256, kRSA | aRSA | encAES256 | encAESGCM | macAEAD | strHigh | tls12Only},
	{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, "AES128-GCM-SHA256", 128, kRSA | aRSA | encAES128 | encAESGCM | macAEAD | strHigh | tls12Only},
	{tls.TLS_RSA_WITH_AES_128_CBC_SHA256, "AES128-SHA256", 128, kRSA | aRSA | encAES128 | macSHA256 | strHigh | tls12Only},
	{tls.TLS_RSA_WITH_AES_256_CBC_SHA, "AES256-SHA", 256, kRSA | aRSA | encAES256 | macSHA1 | strHigh},
	{tls.TLS_RSA_WITH_AES_128_CBC_SHA, "AES128-SHA", 128, kRSA | aRSA | encAES128 | macSHA1 | strHigh},
	{tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, "ECDHE-RSA-DES-CBC3-SHA", 112, kECDHE | aRSA | enc3DES | macSHA1 | strMedium | notDefault},
	{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, "DES-CBC3-SHA", 112, kRSA | aRSA | enc3DES | macSHA1 | strMedium | notDefault},
	{tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, "ECDHE-ECDSA-RC4-SHA", 128, kECDHE | aECDSA | encRC4 | macSHA1 | strMedium | notDefault},
	{tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA, "ECDHE-RSA-RC4-SHA", 128, kECDHE | aRSA | encRC4 | macSHA1 | strMedium | notDefault},
	{tls.TLS_RSA_WITH_RC4_128_SHA, "RC4-SHA", 128, kRSA | aRSA | encRC4 | macSHA1 | strMedium | notDefault},
}

// keywords are OpenSSL's cipher list aliases (but ALL, DEFAULT and the
// protocol names, which selects handles), as the attributes a suite must
// have one of; a zero set selects nothing: a class of suites Go does not
// implement, such as DHE, PSK or CAMELLIA.
var keywords = map[string]attr{
	"COMPLEMENTOFALL": 0, "COMPLEMENTOFDEFAULT": notDefault,
	"HIGH": strHigh, "MEDIUM": strMedium, "LOW": 0, "EXPORT": 0, "EXP": 0,
	"kRSA": kRSA, "RSA": kRSA, "aRSA": aRSA,
	"kECDHE": kECDHE, "kEECDH": kECDHE, "ECDHE": kECDHE, "EECDH": kECDHE,
	"aECDSA": aECDSA, "ECDSA": aECDSA,
	"AES": encAES128 | encAES256, "AES128": encAES128, "AES256": encAES256,
	"AESGCM": encAESGCM, "CHACHA20": encCHACHA20, "3DES": enc3DES, "RC4": encRC4,
	"SHA1": macSHA1, "SHA": macSHA1, "SHA256": macSHA256, "SHA384": macSHA384,
	"TLSv1.2": tls12Only,
	"aNULL":   0, "eNULL": 0, "NULL": 0, "ADH": 0, "AECDH": 0, "MD5": 0,
	"DES": 0, "IDEA": 0, "SEED": 0, "CAMELLIA": 0, "CAMELLIA128": 0, "CAMELLIA256": 0,
	"ARIA": 0, "ARIA128": 0, "ARIA256": 0, "AESCCM": 0, "AESCCM8": 0,
	"kDHE": 0, "kEDH": 0, "DHE": 0, "EDH": 0, "DH": 0, "kDH": 0, "ADHE": 0,
	"aDSS": 0, "DSS": 0, "PSK": 0, "kPSK": 0, "kECDHEPSK": 0, "kDHEPSK": 0,
	"kRSAPSK": 0, "aPSK": 0, "SRP": 0, "kSRP": 0, "aSRP": 0, "GOST": 0,
	"kGOST": 0, "aGOST": 0, "SUITEB128": 0, "SUITEB128ONLY": 0, "SUITEB192": 0,
}

// selects reports whether suite s matches one term of an element ("HIGH",
// "ECDHE-RSA-AES128-SHA"); an unknown term matches nothing, as OpenSSL
// ignores it.
func selects(s *suite, term string) bool {
	switch term {
	case "ALL":
		return true
	case "DEFAULT":
		return s.attr&notDefault == 0
	case "TLSv1", "TLSv1.0", "SSLv3":
		return s.attr&tls12Only == 0
	}
	if a, ok := keywords[term]; ok {
		return s.attr&a != 0
	}
	for i := range suites {
		if suites[i].name == term {
			return s.id == suites[i].id
		}
	}
	return false
}

// Ciphers returns the TLS 1.2 (and earlier) suites an OpenSSL cipher list
// selects ("HIGH:!aNULL:!MD5", "ECDHE+AESGCM:-RSA", ...), following
// OpenSSL's rules: elements apart by ':', ' ', ',' or ';', combined by '+';
// a plain element adds the suites it names, '-' removes them, '!' removes
// them for good, '+' moves them to the end, "@STRENGTH" sorts by key
// length and "@SECLEVEL=n" is ignored. Names OpenSSL knows but Go does not
// implement select nothing. A list that selects nothing is nginx's
// error: SSL_CTX_set_cipher_list("...") failed (SSL: ... no cipher match).
// The order of the result is the selection's; Go's crypto/tls orders the
// suites it offers by its own preference.
func Ciphers(spec string) ([]uint16, error) {
	var list []*suite
	killed := map[uint16]bool{}
	for _, elem := range strings.FieldsFunc(spec, func(r rune) bool {
		return r == ':' || r == ' ' || r == ',' || r == ';'
	}) {
		cmd := ""
		if i := strings.IndexByte(elem, '@'); i >= 0 {
			elem, cmd = elem[:i], elem[i:]
		}
		if elem != "" {
			list = apply(list, killed, elem)
		}
		if cmd == "@STRENGTH" {
			slices.SortStableFunc(list, func(a, b *suite) int { return b.bits - a.bits })
		}
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("SSL_CTX_set_cipher_list(\"%s\") failed (SSL: error:0A0000B9:SSL routines::no cipher match)", spec)
	}
	ids := make([]uint16, len(list))
	for i, s := range list {
		ids[i] = s.id
	}
	return ids, nil
}

// apply applies one element of a cipher list to the selection so far.
func apply(list []*suite, killed map[uint16]bool, elem string) []*suite {
	op := byte(0)
	if c := elem[0]; c == '!' || c == '-' || c == '+' {
		op, elem = c, elem[1:]
	}
	terms := strings.Split(elem, "+")
	var hit []*suite
	for i := range suites {
		s := &suites[i]
		all := true
		for _, t := range terms {
			if !selects(s, t) {
				all = false
				break
			}
		}
		if all {
			hit = append(hit, s)
		}
	}
	switch op {
	case 0:
		for _, s := range hit {
			if !killed[s.id] && !slices.Contains(list, s) {
				list = append(list, s)
			}
		}
	case '-', '!':
		list = slices.DeleteFunc(list, func(s *suite) bool { return slices.Contains(hit, s) })
		if op == '!' {
			for _, s := range hit {
				killed[s.id] = true
			}
		}
	case '+':
		var moved []*suite
		list = slices.DeleteFunc(list, func(s *suite) bool {
			if slices.Contains(hit, s) {
				moved = append(moved, s)
				return true
			}
			return false
		})
		list = append(list, moved...)
	}
	return list
}

// CipherName returns the name $ssl_cipher reports for a negotiated suite:
// OpenSSL's name for a TLS 1.2 suite ("ECDHE-RSA-AES128-GCM-SHA256"), the
// standard name for a TLS 1.3 one ("TLS_AES_128_GCM_SHA256"), as OpenSSL
// reports them.
func CipherName(id uint16) string {
	for i := range suites {
		if suites[i].id == id {
			return suites[i].name
		}
	}
	return tls.CipherSuiteName(id)
}
