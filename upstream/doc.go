// Package upstream is sluice's upstream framework: the machinery a module
// uses to talk to a third-party server (nginx's ngx_http_upstream).
//
// The framework owns everything asynchronous and failure-prone — choosing a
// peer, connecting, sending the request, reading the response head into one
// buffer of buffer_size, timeouts, retries on the next peer, relaying or
// buffering the body (with temp-file spill), header hygiene, keepalive —
// and calls the module back only for protocol work, through Protocol and
// the optional interfaces of protocol.go. A protocol does no I/O, so it can
// be tested by feeding it bytes.
//
// One request, in the order of nginx's flow:
//
//  1. The location's content handler (set at configuration time, like
//     clcf->handler) builds its per-request Protocol value and calls Run
//     with the location's *Conf and a Target. Run owns the request until it
//     returns.
//  2. CreateRequest writes the bytes to send (Upstream.Request).
//  3. A peer is chosen by the Target's Picker (a literal address, or an
//     upstream{} group through its balancer); connect is bounded by
//     connect_timeout, and so is the TLS handshake that follows it when
//     the protocol set Upstream.TLS (Conf.TLS configures it, tls.go);
//     sending is bounded by send_timeout. A body streamed as it arrives
//     (RequestBodyNoBuffering, BodySender) goes out on a goroutine of its
//     own while steps 4 and on run (bodypump.go).
//  4. Response bytes land in Upstream.Buffer; ProcessHeader is called each
//     time new bytes arrive and answers NeedMore (a full buffer is "upstream
//     sent too big header"), HeaderDone, or Invalid (next upstream, else 502).
//  5. The framework copies the parsed headers (Upstream.HeadersIn) to the
//     client response with nginx's per-header rules, hide/pass headers, and
//     the RewriteRedirect / RewriteCookie hooks.
//  6. The body goes to the client unbuffered, buffered (memory buffers,
//     spilling to a temp file), or into memory for a module that consumes
//     it; the protocol's BodyFilter decodes framing in every mode.
//  7. Finalize runs exactly once, however the request ends. Reinit runs
//     before each retry. nginx's abort_request hook is never called by nginx
//     itself; sluice does not have it.
package upstream
