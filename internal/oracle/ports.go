package oracle

import (
	"errors"
	"net"
	"sync"
)

var (
	portsMu    sync.Mutex
	portsGiven = map[int]bool{}
)

// freePort returns a loopback TCP port that was free a moment ago, never
// the same one twice in this process. nginx binds it itself, so another
// program may take it in between: Start retries with new ports when nginx
// reports "Address already in use".
func freePort() (int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !portsGiven[port] {
			portsGiven[port] = true
			return port, nil
		}
	}
	return 0, errors.New("oracle: no fresh free port after 100 tries")
}
