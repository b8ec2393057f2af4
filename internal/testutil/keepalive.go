package testutil

import (
	"bufio"
	"net"
	"sync"
	"testing"
)

// StartKeepaliveBackend starts a TCP server on 127.0.0.1:0 that answers
// every request on every connection with resp (the whole response, head
// and body), keeping connections open, and returns its address. It is
// the backend of allocation tests and benchmarks: per request it reads
// the head up to its blank line in place (bufio.Reader.ReadSlice; a body
// is not read) and writes resp in one Write, allocating nothing and
// recording nothing. Its reads have no deadline: its connections are the
// idle keepalive connections of the server under test. At cleanup it
// stops accepting, closes the connections still open and waits for its
// goroutines.
func StartKeepaliveBackend(t testing.TB, resp []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testutil: keepalive backend listen: %v", err)
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		conns  = map[net.Conn]bool{}
		closed bool
	)
	serve := func(c net.Conn) {
		defer wg.Done()
		defer func() {
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			c.Close()
		}()
		br := bufio.NewReader(c)
		for {
			for {
				l, err := br.ReadSlice('\n')
				if err != nil {
					return
				}
				if len(l) <= 2 { // "\r\n" or "\n": the end of the head
					break
				}
			}
			if _, err := c.Write(resp); err != nil {
				return
			}
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // listener closed
			}
			mu.Lock()
			if closed {
				mu.Unlock()
				c.Close()
				return
			}
			conns[c] = true
			wg.Add(1)
			mu.Unlock()
			go serve(c)
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		closed = true
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}
