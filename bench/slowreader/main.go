// Command slowreader downloads one large response at a bounded rate, as a
// slow client does, and reports how long it took and how many body bytes
// arrived; with proxy buffering on, the proxy in front must hold the body
// in its buffers and temp file meanwhile, not in memory.
//
//	slowreader -addr 127.0.0.1:8080 -path /big32 -rate 8388608
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server address")
	path := flag.String("path", "/big32", "request path")
	rate := flag.Int("rate", 8<<20, "bytes per second read")
	flag.Parse()

	// The pace is set by reading slowly; the socket's receive buffer keeps
	// its default size (a tiny one makes loopback TCP crawl for nginx and
	// sluice alike, whatever the pace).
	c, err := net.DialTimeout("tcp", *addr, 10*time.Second)
	if err != nil {
		fail(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n", *path)
	br := bufio.NewReaderSize(c, 16<<10)
	length := int64(-1)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			fail(err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	start := time.Now()
	var got int64
	chunk := make([]byte, 16<<10)
	for {
		n, err := br.Read(chunk)
		got += int64(n)
		if ahead := time.Duration(float64(got)/float64(*rate)*float64(time.Second)) - time.Since(start); ahead > 0 {
			time.Sleep(ahead)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			fail(err)
		}
	}
	if got != length {
		fail(fmt.Errorf("got %d body bytes, Content-Length %d", got, length))
	}
	fmt.Printf("bytes %d seconds %.1f\n", got, time.Since(start).Seconds())
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "slowreader: %v\n", err)
	os.Exit(1)
}
