package faults_test

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// backend is the Go HTTP server the lifecycle configurations proxy to:
// "/slow?ms=N" answers after N milliseconds (simulated work), "/hold"
// answers once the test releases it, so that requests are provably in
// flight when the server under test is stopped.
type backend struct {
	addr    string
	mu      sync.Mutex
	held    int           // requests waiting in /hold
	arrived chan struct{} // signalled (non-blocking) on each /hold arrival
	release chan struct{} // closed to let /hold answer
	once    sync.Once
}

func startBackend(t *testing.T) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{addr: ln.Addr().String(), arrived: make(chan struct{}, 1024), release: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond) // the simulated work of a slow backend
		w.Write([]byte("slow\n"))
	})
	mux.HandleFunc("/hold", func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.held++
		b.mu.Unlock()
		b.arrived <- struct{}{}
		select {
		case <-b.release:
		case <-r.Context().Done():
			return
		}
		w.Write([]byte("held\n"))
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() {
		b.Release()
		srv.Close()
	})
	return b
}

// waitHeld waits until n requests wait in /hold, failing the test after
// timeout.
func (b *backend) waitHeld(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		b.mu.Lock()
		held := b.held
		b.mu.Unlock()
		if held >= n {
			return
		}
		select {
		case <-b.arrived:
		case <-deadline:
			t.Fatalf("only %d of %d requests reached the backend within %v", held, n, timeout)
		}
	}
}

// Release lets every held request (and later ones) answer.
func (b *backend) Release() { b.once.Do(func() { close(b.release) }) }
