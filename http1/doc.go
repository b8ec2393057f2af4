// Package http1 holds sluice's incremental HTTP/1.x parsers: the client
// request line, header lines (client requests, upstream responses and chunked
// trailers), the upstream status line, the chunked transfer coding, URI
// normalisation, and the small string helpers nginx's HTTP core relies on
// (argument and cookie lookup, URI escaping, Host validation, well-known
// header names).
//
// The behaviour of every parser follows nginx's ngx_http_parse.c (current
// master): the same bytes are accepted, the same bytes are rejected, and the
// same class of error is reported, so that the server and the upstream
// framework can answer exactly as nginx does.
//
// # Buffers and offsets
//
// The parsers do no I/O and never copy or allocate. Each one is a small
// struct holding its state; the caller passes the bytes received so far and
// the parser continues where it stopped. Every position a parser reports is
// an int offset into the slice passed to its Parse method, counted from that
// slice's element 0, and every end offset is exclusive. An offset of -1 means
// "not present" (nginx's NULL pointer).
//
// A parser remembers in its Pos field where the next call resumes, so the
// usual pattern is to append newly read bytes to the same buffer and call
// Parse again with the longer slice:
//
//	var rl http1.RequestLine
//	for {
//		n, _ := conn.Read(buf[filled:])
//		filled += n
//		switch res := rl.Parse(buf[:filled]); res {
//		case http1.NeedMore:
//			continue
//		case http1.OK:
//			// buf[rl.URIStart:rl.URIEnd] is the request target ...
//		default:
//			// res.Status() is nginx's answer (400 or 505)
//		}
//	}
//
// When the buffer is full, nginx moves the request received so far into a
// larger buffer (large_client_header_buffers). Do the same by copying the
// bytes from the request start (RequestLine.RequestStart, or
// HeaderParser.NameStart of the header line in progress) to the start of the
// new buffer and calling Shift with the number of bytes dropped in front; all
// recorded offsets stay valid relative to the new buffer.
//
// The chunked decoder has no need for earlier bytes: it can be given each
// newly read buffer on its own by resetting its Pos to 0.
//
// # Results
//
// Parse methods return a Result that mirrors nginx's return codes: OK,
// NeedMore (NGX_AGAIN), HeaderDone, Done, and the distinct errors nginx
// distinguishes. Result.Status gives the HTTP status nginx answers a client
// with for a request-side error. Result values are plain integers: returning
// and comparing them costs nothing.
package http1
