// Package rangefilter is nginx's range filter
// (ngx_http_range_filter_module): for a 200 response whose producer
// allowed ranges (Request.AllowRanges, set by the static module) and whose
// length is known, it answers "Range: bytes=..." with 206 Partial Content
// — one range with Content-Range, several as multipart/byteranges with
// nginx's boundary format — or 416 with "Content-Range: bytes */length"
// when no range is satisfiable. If-Range (an entity tag or a date) that
// does not match, max_ranges exceeded, or ranges that add up to more than
// the body, give the whole response, with "Accept-Ranges: bytes".
//
// Request.SingleRange (set for proxied responses) allows one range only.
// Several ranges are served only when the whole body comes in the first
// piece of output, as nginx requires.
//
// A subrequest's response is cut too when Request.SubrequestRanges is set
// (the slice module): its body starts at HeadersOut.ContentOffset of the
// whole resource, and the end of the range ends that part only.
package rangefilter
