package testutil

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		atEOF   bool
		opts    ParseOptions
		wantErr error
		n       int // bytes used; -1 means len(in)
		check   func(t *testing.T, r *Response)
	}{
		{
			name: "content-length",
			in:   "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 2\r\n\r\nokEXTRA",
			n:    len("HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 2\r\n\r\nok"),
			check: func(t *testing.T, r *Response) {
				expect(t, "status", r.StatusCode, 200)
				expect(t, "reason", r.Reason, "OK")
				expect(t, "proto", r.Proto, "HTTP/1.1")
				expect(t, "body", string(r.Body), "ok")
				expect(t, "framing", r.Framing, FramingLength)
				expect(t, "complete", r.Complete, true)
				expect(t, "content-length", r.ContentLength, int64(2))
			},
		},
		{
			name: "headers keep order case and duplicates",
			in:   "HTTP/1.0 302 Found\r\nset-cookie: a=1\r\nLocation:  /x \r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n",
			check: func(t *testing.T, r *Response) {
				want := []Header{
					{Name: "set-cookie", Value: "a=1", Raw: "set-cookie: a=1"},
					{Name: "Location", Value: "/x", Raw: "Location:  /x "},
					{Name: "Set-Cookie", Value: "b=2", Raw: "Set-Cookie: b=2"},
					{Name: "Content-Length", Value: "0", Raw: "Content-Length: 0"},
				}
				expect(t, "headers", r.Headers, want)
				expect(t, "values", r.Values("SET-COOKIE"), []string{"a=1", "b=2"})
				expect(t, "get", r.Get("location"), "/x")
				expect(t, "has", r.Has("Date"), false)
			},
		},
		{
			name: "chunked with extensions and trailers",
			in:   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n1\r\n!\r\n0\r\nX-T: 1\r\n\r\n",
			check: func(t *testing.T, r *Response) {
				expect(t, "framing", r.Framing, FramingChunked)
				expect(t, "body", string(r.Body), "hello!")
				expect(t, "chunks", r.Chunks, []Chunk{
					{SizeLine: "5;a=b", Size: 5, Data: []byte("hello")},
					{SizeLine: "1", Size: 1, Data: []byte("!")},
					{SizeLine: "0", Size: 0},
				})
				expect(t, "last chunk", r.LastChunk, true)
				expect(t, "trailers", r.Trailers, []Header{{Name: "X-T", Value: "1", Raw: "X-T: 1"}})
				expect(t, "complete", r.Complete, true)
				expect(t, "raw body", string(r.RawBody), "5;a=b\r\nhello\r\n1\r\n!\r\n0\r\nX-T: 1\r\n\r\n")
			},
		},
		{
			name:    "chunked without last chunk is incomplete",
			in:      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
			wantErr: ErrIncomplete,
		},
		{
			name:    "chunked cut by close",
			in:      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nab",
			atEOF:   true,
			wantErr: ErrTruncated,
			check: func(t *testing.T, r *Response) {
				expect(t, "body", string(r.Body), "helloab")
				expect(t, "last chunk", r.LastChunk, false)
				expect(t, "complete", r.Complete, false)
				expect(t, "chunks", len(r.Chunks), 2)
			},
		},
		{
			name:    "content-length cut by close",
			in:      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
			atEOF:   true,
			wantErr: ErrTruncated,
			check: func(t *testing.T, r *Response) {
				expect(t, "body", string(r.Body), "abc")
				expect(t, "complete", r.Complete, false)
			},
		},
		{
			name:    "until close needs the close",
			in:      "HTTP/1.0 200 OK\r\n\r\nbody",
			wantErr: ErrIncomplete,
		},
		{
			name:  "until close",
			in:    "HTTP/1.0 200 OK\r\n\r\nbody",
			atEOF: true,
			check: func(t *testing.T, r *Response) {
				expect(t, "framing", r.Framing, FramingClose)
				expect(t, "body", string(r.Body), "body")
				expect(t, "complete", r.Complete, true)
			},
		},
		{
			name: "head response ignores content-length",
			in:   "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
			opts: ParseOptions{NoBody: true},
			n:    len("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"),
			check: func(t *testing.T, r *Response) {
				expect(t, "framing", r.Framing, FramingNone)
				expect(t, "content-length", r.ContentLength, int64(50))
				expect(t, "body", len(r.Body), 0)
			},
		},
		{
			name: "304 has no body",
			in:   "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
			check: func(t *testing.T, r *Response) {
				expect(t, "framing", r.Framing, FramingNone)
			},
		},
		{
			name: "100 continue alone",
			in:   "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n",
			n:    len("HTTP/1.1 100 Continue\r\n\r\n"),
			check: func(t *testing.T, r *Response) {
				expect(t, "status", r.StatusCode, 100)
			},
		},
		{
			name: "bare LF and no reason",
			in:   "HTTP/1.1 200\nContent-Length: 1\n\nx",
			check: func(t *testing.T, r *Response) {
				expect(t, "bare LF", r.BareLF, true)
				expect(t, "reason", r.Reason, "")
				expect(t, "body", string(r.Body), "x")
			},
		},
		{
			name: "folded header",
			in:   "HTTP/1.1 200 OK\r\nX-A: one\r\n  two\r\nContent-Length: 0\r\n\r\n",
			check: func(t *testing.T, r *Response) {
				expect(t, "value", r.Get("X-A"), "one two")
				expect(t, "raw", r.Headers[0].Raw, "X-A: one\r\n  two")
			},
		},
		{
			name:  "HTTP/0.9 body",
			in:    "<html>hi</html>",
			atEOF: true,
			check: func(t *testing.T, r *Response) {
				expect(t, "0.9", r.HTTP09, true)
				expect(t, "body", string(r.Body), "<html>hi</html>")
			},
		},
		{
			name:    "short prefix waits",
			in:      "HTT",
			wantErr: ErrIncomplete,
		},
		{
			name:    "head incomplete",
			in:      "HTTP/1.1 200 OK\r\nServer: x\r\n",
			wantErr: ErrIncomplete,
		},
		{
			name:    "head cut by close",
			in:      "HTTP/1.1 200 OK\r\nServer: x\r\n",
			atEOF:   true,
			wantErr: ErrTruncated,
		},
		{
			name:    "nothing then close",
			in:      "",
			atEOF:   true,
			wantErr: ErrTruncated,
		},
		{
			name:    "bad status code",
			in:      "HTTP/1.1 20 OK\r\n\r\n",
			wantErr: ErrMalformed,
		},
		{
			name:    "header without colon",
			in:      "HTTP/1.1 200 OK\r\nBroken\r\n\r\n",
			wantErr: ErrMalformed,
		},
		{
			name:    "conflicting content-length",
			in:      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
			wantErr: ErrMalformed,
		},
		{
			name: "equal duplicate content-length",
			in:   "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nxx",
			check: func(t *testing.T, r *Response) {
				expect(t, "body", string(r.Body), "xx")
			},
		},
		{
			name:    "chunk not followed by CRLF",
			in:      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
			wantErr: ErrMalformed,
		},
		{
			name:    "bad chunk size",
			in:      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
			wantErr: ErrMalformed,
		},
		{
			name: "transfer-encoding wins over content-length",
			in:   "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			check: func(t *testing.T, r *Response) {
				expect(t, "framing", r.Framing, FramingChunked)
				expect(t, "complete", r.Complete, true)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, n, err := ParseResponse([]byte(tc.in), tc.atEOF, tc.opts)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				want := tc.n
				if want == 0 {
					want = len(tc.in)
				}
				if n != want {
					t.Errorf("used %d bytes, want %d", n, want)
				}
			}
			if tc.check != nil {
				if r == nil {
					t.Fatal("no response returned")
				}
				tc.check(t, r)
			}
		})
	}
}

func expect(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func TestFramingString(t *testing.T) {
	for f, want := range map[Framing]string{
		FramingNone: "none", FramingLength: "content-length", FramingChunked: "chunked",
		FramingClose: "close", Framing(9): "framing(9)",
	} {
		t.Run(want, func(t *testing.T) { expect(t, "string", f.String(), want) })
	}
}
