// Package stubstatus is nginx's ngx_http_stub_status_module: a location
// that answers with the server's connection and request counters, in
// nginx's text:
//
//	Active connections: 2
//	server accepts handled requests
//	 7 7 12
//	Reading: 0 Writing: 1 Waiting: 1
//
// (each line but the second ends with a space, which this comment cannot
// show). GET and HEAD are
// answered, 200 with text/plain; other methods get 405.
//
// The counters are the process's (httpd.ReadStats), kept by the HTTP
// framework whether or not stub_status is used, and survive reloads, as
// nginx's live in shared memory:
//
//   - Active connections: accepted and not closed yet, whatever they do
//     (reading, writing, waiting, lingering close, TLS handshake);
//   - accepts, handled: connections accepted since start (sluice refuses
//     none it accepted: the two are equal);
//   - requests: requests since start, counted at their first byte
//     (subrequests are not counted);
//   - Reading: requests whose head is being read;
//   - Writing: requests being processed and answered, including the one
//     asking for the page;
//   - Waiting: idle connections waiting for a request, the first one or
//     the next on a keepalive connection, whether their goroutine still
//     waits or they are parked in the epoll set.
//
// The same counters are the variables $connections_active,
// $connections_reading, $connections_writing and $connections_waiting.
//
// Cost: each request changes three counters (requests, reading to
// writing, writing) and an idle keepalive wait two (waiting in and out),
// each an atomic add on a cache line of its own; nothing is allocated.
//
// Directives
//
//	Syntax:  stub_status;
//	Context: server, location
package stubstatus
