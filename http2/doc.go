// Package http2 is the HTTP/2 protocol as sluice's server side speaks it
// (RFC 9113): frame headers and payloads parsed from and appended to byte
// slices, the SETTINGS parameters, the error codes, and the construction
// of a request head from the decoded header fields of a HEADERS block, with
// nginx's checks (ngx_http_v2_validate_header, ngx_http_v2_pseudo_header,
// ngx_http_v2_construct_request_line, ngx_http_v2_run_request).
//
// Nothing here does I/O: the connection loop that reads frames from a
// socket, keeps the streams and their flow-control windows and runs each
// stream as an ordinary request lives beside httpd's connection code
// (httpd/h2conn.go). HPACK is golang.org/x/net/http2/hpack, behind
// TrimHuffmanPadding, which makes a header block decode as nginx decodes
// it where the two differ (a Huffman string padded with a whole byte).
package http2
