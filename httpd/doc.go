// Package httpd is sluice's HTTP framework, the Go form of nginx's
// ngx_http core: the http block and its modules (Module, per-level typed
// conf), servers and locations, the request (Request) read on one
// goroutine per connection, the phase engine, the header and body filter
// chains ending in the chunked framing and the writer, variables, complex
// values and regular expressions, and special responses.
//
// Subrequests (Request.Subrequest, as nginx's ngx_http_subrequest) run
// synchronously: the child runs to completion on the goroutine of the
// request that starts it, before Subrequest returns. Output order is then
// document order by construction — what nginx's postpone filter arranges
// between concurrently running subrequests — and every subrequest is, in
// nginx's terms, waited. A child's response head is never sent; its body
// passes the body filters up to OrderPostpone as the child, then the main
// request's remaining filters and writer, or stays in memory for an
// in-memory subrequest (subrequest.go, postpone.go).
package httpd
