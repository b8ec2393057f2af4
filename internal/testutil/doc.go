// Package testutil holds helpers shared by sluice's Go tests: a raw HTTP/1.x
// client that records exactly what a server sent (status line, headers in
// order, chunk framing, whether the connection was closed), leak checks for
// goroutines, file descriptors and temp files, and scripted TCP backends that
// misbehave on cue (slow writes, stalls, resets, refused or never-completing
// connects) for upstream tests.
//
// Everything here talks to loopback only, listens on 127.0.0.1:0, and bounds
// every read with a deadline so that a broken server fails a test instead of
// hanging it.
package testutil
