package core

import (
	"runtime"
	"strings"
)

// Version is sluice's own version.
const Version = "0.1.0"

// NginxVersion is the nginx version whose behaviour sluice follows; -V
// prints it as "nginx version: nginx/X.Y.Z" so tools that parse nginx's
// output (the nginx test suite among them) know what to expect.
const NginxVersion = "1.29.6"

// nginxModules are the nginx modules a default nginx build has (or that
// its configure script can add and test suites look for), by the name used
// in "--without-<name>_module" / "--with-<name>_module".
var nginxModules = []struct {
	name     string
	optional bool // built only with --with-<name>_module
}{
	{"http_charset", false}, {"http_gzip", false}, {"http_ssi", false},
	{"http_userid", false}, {"http_access", false}, {"http_auth_basic", false},
	{"http_mirror", false}, {"http_autoindex", false}, {"http_geo", false},
	{"http_map", false}, {"http_split_clients", false}, {"http_referer", false},
	{"http_rewrite", false}, {"http_proxy", false}, {"http_fastcgi", false},
	{"http_uwsgi", false}, {"http_scgi", false}, {"http_grpc", false},
	{"http_memcached", false}, {"http_limit_conn", false}, {"http_limit_req", false},
	{"http_empty_gif", false}, {"http_browser", false},
	{"http_upstream_hash", false}, {"http_upstream_ip_hash", false},
	{"http_upstream_least_conn", false}, {"http_upstream_random", false},
	{"http_upstream_keepalive", false}, {"http_upstream_zone", false},
	{"http_ssl", true}, {"http_v2", true}, {"http_v3", true},
	{"http_realip", true}, {"http_addition", true}, {"http_sub", true},
	{"http_auth_request", true}, {"http_dav", true}, {"http_flv", true},
	{"http_image_filter", true}, {"http_mp4", true}, {"http_gunzip", true}, {"http_gzip_static", true},
	{"http_random_index", true}, {"http_secure_link", true},
	{"http_degradation", true}, {"http_slice", true}, {"http_stub_status", true},
}

// ConfigureArguments returns the "configure arguments:" text for -V given
// the nginx modules sluice implements (names as in nginxModules, e.g.
// "http_proxy"): "--without-X_module" for every default module missing,
// "--with-X_module" for every optional one present, and
// "--without-http-cache" while the proxy cache is absent.
func ConfigureArguments(implemented []string) string {
	have := map[string]bool{}
	for _, n := range implemented {
		have[n] = true
	}
	var b strings.Builder
	for _, m := range nginxModules {
		switch {
		case m.optional && have[m.name]:
			b.WriteString(" --with-" + m.name + "_module")
		case !m.optional && !have[m.name]:
			b.WriteString(" --without-" + m.name + "_module")
		}
	}
	if !have["http_cache"] {
		b.WriteString(" --without-http-cache")
	}
	b.WriteString(" --without-mail_pop3_module --without-mail_imap_module --without-mail_smtp_module")
	return b.String()
}

// VersionText is what -v prints, and the first lines of -V and -h.
func VersionText() string {
	return "sluice version: sluice/" + Version + "\n" +
		"nginx version: nginx/" + NginxVersion + " (compatible; sluice/" + Version + ")\n"
}

// ConfigureText is the rest of -V.
func ConfigureText(implemented []string) string {
	sni := ""
	for _, n := range implemented {
		if n == "http_ssl" {
			// nginx's "built with OpenSSL x.y.z" line, truthfully: tools
			// that gate features on the library's version (the nginx test
			// suite, certbot) read the level Go's TLS compares with
			// (TLS 1.3, SNI and ALPN callbacks, per-handshake
			// certificates; no certificate compression, which is 3.2's)
			sni = "built with Go crypto/tls in place of OpenSSL (features compare with OpenSSL 3.0.0)\n"
			// as nginx prints it; tools (the nginx test suite) look for it
			sni += "TLS SNI support enabled\n"
		}
	}
	return "built by " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n" + sni +
		"configure arguments:" + ConfigureArguments(implemented) + "\n"
}
