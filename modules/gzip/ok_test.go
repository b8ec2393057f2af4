package gzip

import "testing"

// TestAcceptsGzip follows nginx's reading of Accept-Encoding, quirks
// included (ngx_http_gzip_accept_encoding, ngx_http_gzip_quantity).
func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		name, ae string
		want     bool
	}{
		{"alone", "gzip", true},
		{"upper case", "GZIP", true},
		{"after comma", "deflate,gzip", true},
		{"after space", "deflate, gzip", true},
		{"before comma", "gzip , deflate", true},
		{"x-gzip", "x-gzip", false},
		{"x-gzip then gzip", "x-gzip, gzip", true},
		{"suffix", "gzipx", false},
		{"only the first counts", "gzipx, gzip", false},
		{"after a rejected one at the restart point", "xgzipgzip", true},
		{"deflate only", "deflate, br", false},
		{"q=1", "gzip;q=1", true},
		{"q=1.0", "gzip; q=1.0", true},
		{"q=1.000", "gzip;q=1.000", true},
		{"q=1.001", "gzip;q=1.001", false},
		{"q=1.5", "gzip;q=1.5", false},
		{"q=0", "gzip;q=0", false},
		{"q=0.", "gzip;q=0.", false},
		{"q=0.0", "gzip;q=0.0", false},
		{"q=0.000", "gzip;q=0.000", false},
		{"q=0.001", "gzip;q=0.001", true},
		{"q=0.5", "gzip;q=0.5", true},
		{"q=0.9999", "gzip;q=0.9999", false},
		{"Q=0.5", "gzip; Q=0.5", true},
		{"q=0 then more", "gzip;q=0, deflate", false},
		{"q=0.5 then more", "gzip;q=0.5,deflate", true},
		{"q=2", "gzip;q=2", false},
		{"q without =", "gzip;q", false},
		{"q= too short", "gzip;q=", false},
		{"semicolon alone", "gzip;", true},
		{"other parameter", "gzip;x=1", false},
		{"q then junk", "gzip;q=0.5x", false},
		{"blank parameter", "gzip; ", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := acceptsGzip(tc.ae); got != tc.want {
				t.Errorf("acceptsGzip(%q) = %v, want %v", tc.ae, got, tc.want)
			}
		})
	}
}

func TestListHas(t *testing.T) {
	tests := []struct {
		name, v, token string
		want           bool
	}{
		{"alone", "no-cache", "no-cache", true},
		{"case", "No-Cache", "no-cache", true},
		{"second", "public, no-cache", "no-cache", true},
		{"trailing blanks", "no-cache  , x", "no-cache", true},
		{"with value", "no-cache=\"Set-Cookie\"", "no-cache", false},
		{"prefix of another", "no-cache-x", "no-cache", false},
		{"inside another", "x-no-cache", "no-cache", false},
		{"absent", "max-age=0", "private", false},
		{"short", "no", "no-cache", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := listHas(tc.v, tc.token); got != tc.want {
				t.Errorf("listHas(%q, %q) = %v", tc.v, tc.token, got)
			}
		})
	}
}

func TestRatioFormat(t *testing.T) {
	tests := []struct {
		in, out int64
		want    string
	}{
		{100, 100, "1.00"},
		{300, 100, "3.00"},
		{2125, 1000, "2.13"},
		{2124, 1000, "2.12"},
		{1999, 1000, "2.00"},
		{10, 30, "0.33"},
		{20, 30, "0.67"},
		{3800, 201, "18.91"},
	}
	for _, tc := range tests {
		if got := ratio(tc.in, tc.out); got != tc.want {
			t.Errorf("ratio(%d, %d) = %q, want %q", tc.in, tc.out, got, tc.want)
		}
	}
}
