package proxy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// TestClientBodyInFileOnly checks which requests leave a body file under
// client_body_temp_path with client_body_in_file_only, as nginx: none
// without a body, an empty one for "Content-Length: 0", the body for
// others; "clean" removes it when the request ends, "on" keeps it.
func TestClientBodyInFileOnly(t *testing.T) {
	testutil.CheckLeaks(t)
	tests := []struct {
		name  string
		mode  string
		req   string
		files []string // contents of the files left
	}{
		{name: "no body", mode: "on", req: "GET / HTTP/1.0\r\n\r\n"},
		{name: "empty body", mode: "on", req: "POST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n", files: []string{""}},
		{name: "body kept", mode: "on", req: "POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", files: []string{"hello"}},
		{name: "chunked body kept", mode: "on", req: "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", files: []string{"abc"}},
		{name: "body cleaned", mode: "clean", req: "POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello"},
		{name: "empty body cleaned", mode: "clean", req: "POST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := testutil.StartBackend(t, testutil.Script{
				testutil.ReadRequest(),
				testutil.Write(testutil.HTTPResponse(200, "ok")),
			})
			s := servertest.Start(t, conf(b.Addr(), `
        client_body_temp_path %%PREFIX%%/body;
        location / {
            client_body_in_file_only `+tc.mode+`;
            proxy_pass http://BACKEND;
        }
`))
			// the file is cleaned when the request ends, before the close
			c := testutil.Dial(t, s.Addr("A"))
			defer c.Close()
			if err := c.WriteString(tc.req); err != nil {
				t.Fatal(err)
			}
			resps, _, err := c.ReadAll()
			if err != nil || len(resps) != 1 || resps[0].StatusCode != 200 {
				t.Fatalf("%d responses, err %v\n%s", len(resps), err, s.ErrorLog())
			}
			var got []string
			filepath.WalkDir(filepath.Join(s.Prefix(), "body"), func(p string, d os.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					data, _ := os.ReadFile(p)
					got = append(got, string(data))
				}
				return nil
			})
			if strings.Join(got, "|") != strings.Join(tc.files, "|") || len(got) != len(tc.files) {
				t.Errorf("files left %q, want %q", got, tc.files)
			}
		})
	}
}
