package dav

import "strings"

// Depth header values (NGX_HTTP_DAV_*_DEPTH).
const (
	depthInfinity = -1
	depthInvalid  = -2
)

// parseDepth reads a "Depth" header value: "0", "1" or "infinity"
// (case-sensitive, as nginx compares it), else depthInvalid.
func parseDepth(v string) int {
	switch v {
	case "0":
		return 0
	case "1":
		return 1
	case "infinity":
		return depthInfinity
	}
	return depthInvalid
}

// parseOverwrite reads an "Overwrite" header value: one of T, t, F, f.
func parseOverwrite(v string) (overwrite, ok bool) {
	switch v {
	case "T", "t":
		return true, true
	case "F", "f":
		return false, true
	}
	return false, false
}

// Destination header faults.
const (
	destOK = iota
	destNoHost
	destInvalid
	destOtherHost
)

// parseDestination returns the path part of a "Destination" header
// value: the value itself when it starts with '/', else what follows the
// host in "http://host..." ("https://" on a TLS connection), where host
// must begin with the request's server name (nginx compares a prefix and
// then looks for the first '/').
func parseDestination(v, server string, tls bool) (string, int) {
	if strings.HasPrefix(v, "/") {
		return v, destOK
	}
	if server == "" {
		return "", destNoHost
	}
	scheme := "http://"
	if tls {
		scheme = "https://"
	}
	host, ok := strings.CutPrefix(v, scheme)
	if !ok {
		return "", destInvalid
	}
	if !strings.HasPrefix(host, server) {
		return "", destOtherHost
	}
	i := strings.IndexByte(host[len(server):], '/')
	if i < 0 {
		return "", destInvalid
	}
	return host[len(server)+i:], destOK
}
