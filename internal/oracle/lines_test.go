package oracle

import (
	"slices"
	"strings"
	"testing"
)

func TestErrorLines(t *testing.T) {
	long := func(pidconn, text string) string {
		l := "2026/12/07 20:29:16 [error] " + pidconn + " " + text
		return l[:min(len(l), maxLogLine)]
	}
	stderr := "FastCGI sent in stderr: \"" + strings.Repeat("e", 3000)
	tests := []struct {
		name string
		log  string
		want []string
	}{
		{name: "level, text, port masked",
			log:  "2026/12/07 20:29:16 [error] 17677#17677: *1 connect() failed to 127.0.0.1:8081\n",
			want: []string{"[error] connect() failed to 127.0.0.1:<port>"}},
		{name: "notice, debug and keepalive closes left out",
			log: "2026/12/07 20:29:16 [notice] 1#1: *1 x\n2026/12/07 20:29:16 [debug] 1#1: *1 y\n" +
				"2026/12/07 20:29:16 [info] 1#1: *1 client 127.0.0.1 closed keepalive connection\n",
			want: nil},
		{name: "lines cut at the limit compare whatever the prefix's width",
			log:  long("5#5: *9", stderr) + "\n" + long("17677#17677: *1234", stderr) + "\n",
			want: []string{"[error] " + stderr[:cutLineKeep] + " <cut at the log line's limit>", "[error] " + stderr[:cutLineKeep] + " <cut at the log line's limit>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ErrorLines(tc.log); !slices.Equal(got, tc.want) {
				t.Errorf("ErrorLines = %q, want %q", got, tc.want)
			}
		})
	}
}
