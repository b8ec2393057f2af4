package tlsconf

import (
	"crypto/tls"
	"errors"

	"github.com/sluicehq/sluice/conf"
)

// The bits of ssl_protocols and proxy_ssl_protocols, nginx's NGX_SSL_*
// values.
const (
	ProtoSSLv2 uint = 0x0002
	ProtoSSLv3 uint = 0x0004
	ProtoTLS10 uint = 0x0008
	ProtoTLS11 uint = 0x0010
	ProtoTLS12 uint = 0x0020
	ProtoTLS13 uint = 0x0040
)

// DefaultProtocols is the default of ssl_protocols and proxy_ssl_protocols
// since nginx 1.23.4.
const DefaultProtocols = ProtoTLS12 | ProtoTLS13

// protocols are the values ssl_protocols takes, in order; version 0 marks
// the protocols Go does not implement.
var protocols = []struct {
	name    string
	bit     uint
	version uint16
}{
	{"SSLv2", ProtoSSLv2, 0}, {"SSLv3", ProtoSSLv3, 0},
	{"TLSv1", ProtoTLS10, tls.VersionTLS10}, {"TLSv1.1", ProtoTLS11, tls.VersionTLS11},
	{"TLSv1.2", ProtoTLS12, tls.VersionTLS12}, {"TLSv1.3", ProtoTLS13, tls.VersionTLS13},
}

// Protocols names the bits for conf.SetBitmask: ssl_protocols and
// proxy_ssl_protocols are nginx's bitmask slots (names in any case, a name
// twice a warning, a second directive adding to the first).
var Protocols = func() conf.Enum[uint] {
	e := make(conf.Enum[uint], len(protocols))
	for i, p := range protocols {
		e[i].Name, e[i].Value = p.name, p.bit
	}
	return e
}()

// errNoProtocol is Versions' answer to a mask of protocols Go lacks.
var errNoProtocol = errors.New("no protocol enabled: SSLv2 and SSLv3 are not supported")

// Versions returns the lowest and highest TLS versions of a protocol mask:
// Go enables a range, so a gap in the mask is filled. SSLv2 and SSLv3,
// which Go does not implement, enable nothing, and a mask of only those
// is an error.
func Versions(mask uint) (min, max uint16, err error) {
	for _, p := range protocols {
		if mask&p.bit == 0 || p.version == 0 {
			continue
		}
		if min == 0 {
			min = p.version
		}
		max = p.version
	}
	if min == 0 {
		return 0, 0, errNoProtocol
	}
	return min, max, nil
}

// ProtocolName returns the name $ssl_protocol reports for a negotiated
// version, as OpenSSL names it ("TLSv1.3").
func ProtocolName(v uint16) string {
	for _, p := range protocols {
		if p.version == v && v != 0 {
			return p.name
		}
	}
	return "unknown"
}
