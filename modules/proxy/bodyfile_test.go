package proxy_test

import (
	"os"
	"path/filepath"
	"strconv"
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

// TestClientBodyTempUnlinked: a body spilled to a temp file that need not
// persist (client_body_in_file_only off) is unlinked as soon as the file
// is open, as nginx's ngx_open_tempfile does: while the upstream holds the
// request, client_body_temp_path holds no file, and the upstream gets the
// whole body from the descriptor.
func TestClientBodyTempUnlinked(t *testing.T) {
	testutil.CheckLeaks(t)
	got, release := make(chan struct{}), make(chan struct{})
	b := testutil.StartBackend(t, testutil.Script{
		testutil.ReadRequest(),
		testutil.Func(func(*testutil.BackendConn) error { close(got); return nil }),
		testutil.Hold(release),
		testutil.Write(testutil.HTTPResponse(200, "ok")),
	})
	s := servertest.Start(t, conf(b.Addr(), `
        client_body_temp_path %%PREFIX%%/body;
        client_body_buffer_size 1k;
        location / { proxy_pass http://BACKEND; }
`))
	body := strings.Repeat("0123456789abcdef", 4096)
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	if err := c.WriteString("POST / HTTP/1.0\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body); err != nil {
		t.Fatal(err)
	}
	<-got
	var files []string
	filepath.WalkDir(filepath.Join(s.Prefix(), "body"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	close(release)
	if len(files) != 0 {
		t.Errorf("files under client_body_temp_path while the request runs: %v", files)
	}
	resp, err := c.ReadResponse()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("response %v, err %v", resp, err)
	}
	if reqs := b.Requests(); len(reqs) != 1 || string(reqs[0].Body) != body {
		t.Errorf("the upstream got %d requests, the body intact: %v", len(reqs), len(reqs) == 1 && string(reqs[0].Body) == body)
	}
	if !strings.Contains(s.ErrorLog(), "a client request body is buffered to a temporary file") {
		t.Errorf("no temp-file warning in the log:\n%s", s.ErrorLog())
	}
}
