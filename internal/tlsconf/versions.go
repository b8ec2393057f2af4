package tlsconf

import (
	"crypto/tls"
	"fmt"
)

// DefaultProtocols is the default of ssl_protocols and proxy_ssl_protocols
// since nginx 1.23.4.
var DefaultProtocols = []string{"TLSv1.2", "TLSv1.3"}

// protocolNames are the values ssl_protocols takes, in order; 0 marks the
// protocols Go does not implement.
var protocolNames = []struct {
	name    string
	version uint16
}{
	{"SSLv2", 0}, {"SSLv3", 0},
	{"TLSv1", tls.VersionTLS10}, {"TLSv1.1", tls.VersionTLS11},
	{"TLSv1.2", tls.VersionTLS12}, {"TLSv1.3", tls.VersionTLS13},
}

// Versions returns the lowest and highest TLS versions that ssl_protocols'
// arguments enable. A value outside nginx's list is an error worded as
// nginx's ("invalid value \"X\""); SSLv2 and SSLv3, which Go does not
// implement, enable nothing, and a list of only those is an error.
func Versions(args []string) (min, max uint16, err error) {
	for _, a := range args {
		found := false
		for _, p := range protocolNames {
			if p.name != a {
				continue
			}
			found = true
			if p.version == 0 {
				break
			}
			if min == 0 || p.version < min {
				min = p.version
			}
			if p.version > max {
				max = p.version
			}
		}
		if !found {
			return 0, 0, fmt.Errorf("invalid value \"%s\"", a)
		}
	}
	if min == 0 {
		return 0, 0, fmt.Errorf("no protocol enabled: SSLv2 and SSLv3 are not supported")
	}
	return min, max, nil
}

// ProtocolName returns the name $ssl_protocol reports for a negotiated
// version, as OpenSSL names it ("TLSv1.3").
func ProtocolName(v uint16) string {
	for _, p := range protocolNames {
		if p.version == v && v != 0 {
			return p.name
		}
	}
	return "unknown"
}
