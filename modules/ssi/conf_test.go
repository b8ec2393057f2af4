package ssi_test

import (
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// inServer puts statements at line 4 of a configuration, at server level.
func inServer(stmts string) string {
	return "events {}\nhttp {\n    server {\n" + stmts + "\n    }\n}\n"
}

// TestConfErrors checks nginx's wording: each configuration is also given
// to Debian's "nginx -t", which must say the same.
func TestConfErrors(t *testing.T) {
	tests := []struct {
		name, conf, want string
		warns            []string
	}{
		{name: "ssi value", conf: inServer(`ssi maybe;`),
			want: `invalid value "maybe" in "ssi" directive, it must be "on" or "off" in FILE:4`},
		{name: "ssi duplicate", conf: inServer(`ssi on; ssi off;`), want: `"ssi" directive is duplicate in FILE:4`},
		{name: "ssi arguments", conf: inServer(`ssi;`), want: `invalid number of arguments in "ssi" directive in FILE:4`},
		{name: "ssi in if", conf: inServer(`location / { if ($arg_a) { ssi on; } }`)},
		{name: "silent errors in if", conf: inServer(`location / { if ($arg_a) { ssi_silent_errors on; } }`),
			want: `"ssi_silent_errors" directive is not allowed here in FILE:4`},
		{name: "value length", conf: inServer(`ssi_value_length 1x;`), want: `"ssi_value_length" directive invalid value in FILE:4`},
		{name: "min file chunk", conf: inServer(`ssi_min_file_chunk -1;`), want: `"ssi_min_file_chunk" directive invalid value in FILE:4`},
		{name: "last modified", conf: inServer(`ssi_last_modified yes;`),
			want: `invalid value "yes" in "ssi_last_modified" directive, it must be "on" or "off" in FILE:4`},
		{name: "types without argument", conf: inServer(`ssi_types;`), want: `invalid number of arguments in "ssi_types" directive in FILE:4`},
		{name: "types twice accumulate", conf: inServer(`ssi_types text/plain; ssi_types text/css;`)},
		{name: "duplicate type", conf: inServer(`ssi_types text/plain TEXT/PLAIN text/html;`),
			warns: []string{`duplicate MIME type "text/plain" in FILE:4`, `duplicate MIME type "text/html" in FILE:4`}},
		{name: "any type", conf: inServer(`ssi_types * text/plain;`)},
		{name: "recycled buffers", conf: inServer(`ssi_ignore_recycled_buffers on;`)},
		{name: "output buffer size", conf: inServer(`subrequest_output_buffer_size 1x;`),
			want: `"subrequest_output_buffer_size" directive invalid value in FILE:4`},
		{name: "valid", conf: inServer(`ssi on; ssi_silent_errors on; ssi_value_length 1k; ssi_min_file_chunk 2k;
			ssi_last_modified on; ssi_types text/plain; subrequest_output_buffer_size 16k; log_subrequest on;`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := servertest.LoadError(t, tc.conf, nil); got != tc.want {
				t.Errorf("error\n%s\nwant\n%s", got, tc.want)
			}
			n := oracle.CheckConfig(t, tc.conf)
			if n.Emerg != tc.want {
				t.Errorf("nginx -t says\n%s\nthe test expects\n%s", n.Emerg, tc.want)
			}
			if len(n.Warns) != len(tc.warns) {
				t.Fatalf("nginx -t warns %q, the test expects %q", n.Warns, tc.warns)
			}
			for i := range n.Warns {
				if n.Warns[i] != tc.warns[i] {
					t.Errorf("nginx -t warns %q, the test expects %q", n.Warns[i], tc.warns[i])
				}
			}
		})
	}
}
