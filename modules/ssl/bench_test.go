package ssl_test

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// BenchmarkTLSKeepalive: requests on one kept-alive TLS connection (the
// client's work included), for the cost of the generic path TLS takes.
func BenchmarkTLSKeepalive(b *testing.B) {
	dir := b.TempDir()
	writeCert(b, dir, "one.example", true)
	s := servertest.Start(b, strings.ReplaceAll(`
events {}
http {
    access_log off;
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:%%PORT_0%% ssl;
        ssl_certificate DIR/one.example.pem;
        ssl_certificate_key DIR/one.example.key;
        location / { return 200 "ok"; }
    }
}`, "DIR", dir))
	tc, err := dialTLS(s.Addr("0"), &tls.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer tc.Close()
	cl := testutil.NewRawClient(tc)
	req := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := cl.WriteString(req); err != nil {
			b.Fatal(err)
		}
		if _, err := cl.ReadResponse(); err != nil {
			b.Fatal(err)
		}
	}
}
