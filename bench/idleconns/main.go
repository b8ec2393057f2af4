// Command idleconns opens many keepalive connections to an HTTP server,
// makes one request on each, and holds them open and idle, so that the
// memory a server spends per idle keepalive connection can be measured.
//
//	idleconns -addr 127.0.0.1:8080 -n 10000 -path /small
//	idleconns -addr 127.0.0.1:8443 -n 2000 -tls
//
// With -tls each connection is a TLS one (the server's certificate is not
// verified), held idle after its request as a plain one is.
//
// It prints "ready N" once N connections have had their answer, then holds
// them until its standard input closes (or -hold passes), and exits.
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server address")
	n := flag.Int("n", 10000, "connections to hold")
	path := flag.String("path", "/small", "request path")
	par := flag.Int("parallel", 100, "connections opened at once")
	hold := flag.Duration("hold", 0, "hold for this long instead of until stdin closes")
	useTLS := flag.Bool("tls", false, "connect with TLS (the certificate is not verified)")
	flag.Parse()

	var tlsConf *tls.Config
	if *useTLS {
		tlsConf = &tls.Config{InsecureSkipVerify: true}
	}

	conns := make([]net.Conn, *n)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed int
		first  error
	)
	sem := make(chan struct{}, *par)
	req := "GET " + *path + " HTTP/1.1\r\nHost: bench\r\n\r\n"
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := request(*addr, req, tlsConf)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				if first == nil {
					first = err
				}
				return
			}
			conns[i] = c
		}(i)
	}
	wg.Wait()
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "idleconns: %d of %d connections failed, first: %v\n", failed, *n, first)
		os.Exit(1)
	}
	fmt.Printf("ready %d\n", *n)
	if *hold > 0 {
		time.Sleep(*hold)
	} else {
		io.Copy(io.Discard, os.Stdin)
	}
	for _, c := range conns {
		c.Close()
	}
}

// request connects (with TLS when tlsConf is set), sends req and reads one
// Content-Length answer, leaving the connection open.
func request(addr, req string, tlsConf *tls.Config) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if tlsConf != nil {
		tc := tls.Client(c, tlsConf)
		if err := tc.Handshake(); err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(c, 4096)
	length := -1
	status := ""
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			c.Close()
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if status == "" {
			status = line
			continue
		}
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if !strings.Contains(status, " 200 ") || length < 0 {
		c.Close()
		return nil, fmt.Errorf("answer %q without Content-Length", status)
	}
	if _, err := io.CopyN(io.Discard, br, int64(length)); err != nil {
		c.Close()
		return nil, err
	}
	if br.Buffered() > 0 {
		c.Close()
		return nil, fmt.Errorf("unexpected bytes after the answer")
	}
	c.SetDeadline(time.Time{})
	return c, nil
}
