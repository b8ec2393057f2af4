package grpc_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"
)

// goBackend is Go's net/http server speaking HTTP/2 without TLS (h2c with
// prior knowledge), with a gRPC-shaped handler and plain ones. conns
// counts the connections it accepted.
type goBackend struct {
	ln    net.Listener
	srv   *http.Server
	conns atomic.Int64
}

func startGo(t testing.TB) *goBackend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &goBackend{ln: ln}
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	b.srv = &http.Server{Handler: http.HandlerFunc(goHandler), Protocols: &p,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				b.conns.Add(1)
			}
		}}
	go b.srv.Serve(ln)
	t.Cleanup(func() { b.srv.Close() })
	return b
}

func (b *goBackend) addr() string { return b.ln.Addr().String() }

// grpcFrame is a gRPC length-prefixed message.
func grpcFrame(msg string) []byte {
	b := make([]byte, 5+len(msg))
	binary.BigEndian.PutUint32(b[1:5], uint32(len(msg)))
	copy(b[5:], msg)
	return b
}

func goHandler(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if i := strings.IndexByte(path[1:], '/'); i >= 0 && strings.HasPrefix(path, "/k/") {
		path = path[i+1:]
	}
	switch path {
	case "/helloworld.Greeter/SayHello":
		body, _ := io.ReadAll(r.Body)
		name := ""
		if len(body) >= 5 {
			name = string(body[5:])
		}
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Trailer", "Grpc-Status, Grpc-Message")
		w.WriteHeader(200)
		w.Write(grpcFrame("Hello " + name))
		w.Header().Set("Grpc-Status", "0")
		w.Header().Set("Grpc-Message", "OK")
	case "/bidi":
		// each message is answered before the next is read
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Trailer", "Grpc-Status")
		w.WriteHeader(200)
		for {
			msg, err := readMsg(r.Body)
			if err != nil {
				break
			}
			w.Write(grpcFrame(strings.Replace(msg, "ping", "pong", 1)))
			w.(http.Flusher).Flush()
		}
		w.Header().Set("Grpc-Status", "0")
	case "/fail":
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Grpc-Status", "12")
		w.Header().Set("Grpc-Message", "unimplemented")
		w.WriteHeader(200)
	case "/plain":
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "6")
		w.Write([]byte("plain\n"))
	case "/big":
		w.Header().Set("Content-Type", "text/plain")
		w.Write(bytes.Repeat([]byte("0123456789"), 30000))
	case "/echo":
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s %s len=%d sum=%d te=%q cl=%q host=%q x=%q\n", r.Method, r.URL.RequestURI(), len(body), sum(body),
			r.Header.Get("Te"), r.Header.Get("Content-Length"), r.Host, r.Header.Get("X-Test"))
	case "/notfound":
		http.NotFound(w, r)
	case "/redirect":
		http.Redirect(w, r, "/there", http.StatusFound)
	case "/nocontent":
		w.WriteHeader(204)
	default:
		w.WriteHeader(500)
	}
}

func sum(b []byte) int {
	s := 0
	for _, c := range b {
		s += int(c)
	}
	return s
}

// rawBackend is a scripted HTTP/2 server for malformed answers: it reads
// the client's preface and request head, and answers with the scripted
// bytes for the request's :path (each string one write), then reads until
// the client closes, or closes at once for a script ending in "CLOSE".
type rawBackend struct {
	ln      net.Listener
	answers map[string][]string
	// pause follows each write of an answer, so that the writes arrive
	// in separate reads (5 ms unless set before the first request)
	pause time.Duration
	mu    sync.Mutex
	got   map[string][]byte // what the client sent, by path, up to END_STREAM
	wg    sync.WaitGroup
}

func startRaw(t testing.TB, answers map[string][]string) *rawBackend {
	t.Helper()
	return startRawPaused(t, answers, 5*time.Millisecond)
}

// startRawPaused is startRaw with another pause after each write.
func startRawPaused(t testing.TB, answers map[string][]string, pause time.Duration) *rawBackend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startRawOn(t, ln, answers, pause)
}

// startRawOn is startRawPaused on a listener of the caller's (a unix
// socket).
func startRawOn(t testing.TB, ln net.Listener, answers map[string][]string, pause time.Duration) *rawBackend {
	b := &rawBackend{ln: ln, answers: answers, got: map[string][]byte{}, pause: pause}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				b.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		b.wg.Wait()
	})
	return b
}

func (b *rawBackend) addr() string { return b.ln.Addr().String() }

// sent returns what the client sent for path.
func (b *rawBackend) sent(path string) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.got[path]
}

// readFrame reads one frame.
func readFrame(r io.Reader) (typ, flags byte, stream uint32, payload []byte, err error) {
	var h [9]byte
	if _, err = io.ReadFull(r, h[:]); err != nil {
		return
	}
	n := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
	payload = make([]byte, n)
	_, err = io.ReadFull(r, payload)
	return h[3], h[4], binary.BigEndian.Uint32(h[5:]) & 0x7fffffff, payload, err
}

// frame builds one frame.
func frame(typ, flags byte, stream uint32, payload string) string {
	n := len(payload)
	h := []byte{byte(n >> 16), byte(n >> 8), byte(n), typ, flags, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(h[5:], stream)
	return string(h) + payload
}

// headersBlock HPACK-encodes fields without indexing, no Huffman.
func headersBlock(fields ...string) string {
	var buf bytes.Buffer
	for i := 0; i+1 < len(fields); i += 2 {
		buf.WriteByte(0)
		writeStr(&buf, fields[i])
		writeStr(&buf, fields[i+1])
	}
	return buf.String()
}

func writeStr(buf *bytes.Buffer, s string) {
	if len(s) < 127 {
		buf.WriteByte(byte(len(s)))
	} else {
		buf.WriteByte(127)
		v := len(s) - 127
		for v >= 128 {
			buf.WriteByte(byte(v%128) | 0x80)
			v /= 128
		}
		buf.WriteByte(byte(v))
	}
	buf.WriteString(s)
}

const (
	tData         = 0
	tHeaders      = 1
	tRST          = 3
	tSettings     = 4
	tPush         = 5
	tPing         = 6
	tGoaway       = 7
	tWindowUpdate = 8
	tCont         = 9
)

// serverSettings is an empty SETTINGS frame, what a server sends first.
var serverSettings = frame(tSettings, 0, 0, "")

func (b *rawBackend) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var sent bytes.Buffer
	r := io.TeeReader(c, &sent)
	pre := make([]byte, 24)
	if _, err := io.ReadFull(r, pre); err != nil {
		return
	}
	for {
		var block []byte
		var stream uint32
		ended := false
		// the request: its header block, then frames up to END_STREAM
		for {
			typ, flags, id, payload, err := readFrame(r)
			if err != nil {
				return
			}
			if typ == tHeaders || typ == tCont {
				block = append(block, payload...)
				stream = id
			}
			if (typ == tHeaders || typ == tData) && flags&1 != 0 {
				ended = true
			}
			if ended && (typ == tData || flags&4 != 0) {
				break
			}
		}
		path := ""
		hpack.NewDecoder(0, func(f hpack.HeaderField) {
			if f.Name == ":path" {
				path = f.Value
			}
		}).Write(block)
		if i := strings.IndexByte(path[1:], '/'); i >= 0 {
			path = path[i+1:]
		}
		b.mu.Lock()
		b.got[path] = bytes.Clone(sent.Bytes())
		sent.Reset()
		answer := b.answers[path]
		b.mu.Unlock()
		if answer == nil {
			answer = []string{serverSettings + frame(tHeaders, 5, stream, headersBlock(":status", "500"))}
		}
		for _, a := range answer {
			if a == "CLOSE" {
				// half-close, then read what the client still sends: no
				// reset for unread bytes
				c.(interface{ CloseWrite() error }).CloseWrite()
				io.Copy(io.Discard, c)
				return
			}
			if _, err := c.Write([]byte(a)); err != nil {
				return
			}
			time.Sleep(b.pause) // separate reads on the other side
		}
		// drain until the client closes or starts another stream
		if !b.drain(c) {
			return
		}
	}
}

// drain reads the client's frames until the client closes (false) or
// sends the HEADERS of a new stream — not supported by the script: false.
func (b *rawBackend) drain(c net.Conn) bool {
	for {
		typ, _, _, _, err := readFrame(c)
		if err != nil {
			return false
		}
		if typ == tHeaders {
			return false
		}
	}
}
