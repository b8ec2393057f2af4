package faults

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// Piece is one write of a Script: Delay is waited before Data is written.
type Piece struct {
	Delay time.Duration
	Data  string
}

// Script is what a hostile client sends on one connection.
type Script struct {
	// Pieces are written in order, one write each.
	Pieces []Piece
	// Wait bounds how long the client keeps reading after its last write
	// (or after the server stopped accepting writes) for the server to
	// close; zero means DefaultWait. A server still holding the connection
	// open after Wait is reported as "open".
	Wait time.Duration
	// Shutdown shuts down the client's side of the connection after the
	// last piece (a client done sending, or gone: nginx cannot tell).
	Shutdown bool
}

// DefaultWait is how long Exchange waits for the server to close after the
// client's last write. It is longer than every timeout the suite's
// configurations set, so a connection still open after it is a hang.
const DefaultWait = 5 * time.Second

// Once is a script of a single write.
func Once(data string) Script { return Script{Pieces: []Piece{{Data: data}}} }

// Bytewise is a script writing data one byte at a time, pace apart (the
// first byte at once).
func Bytewise(data string, pace time.Duration) Script {
	s := Script{}
	for i := 0; i < len(data); i++ {
		d := pace
		if i == 0 {
			d = 0
		}
		s.Pieces = append(s.Pieces, Piece{Delay: d, Data: data[i : i+1]})
	}
	return s
}

// Then returns s with more pieces appended.
func (s Script) Then(p ...Piece) Script {
	s.Pieces = append(append([]Piece(nil), s.Pieces...), p...)
	return s
}

// Raw is what a server did with a Script, before interpretation.
type Raw struct {
	// Received is every byte the server sent.
	Received []byte
	// Closed says the server closed the connection (FIN or RST) within the
	// wait; Reset says it was a reset.
	Closed, Reset bool
	// Sent counts the bytes the client managed to write; WriteErr is the
	// error that stopped the writing early, if any (the server had closed).
	Sent     int
	WriteErr error
	// ReadErr is an unexpected read error (not EOF, reset or the wait
	// running out).
	ReadErr error
}

// Exchange dials addr, plays the script while reading concurrently, and
// returns what came back once the server closed the connection or the wait
// ran out. It fails only when it cannot connect.
func Exchange(addr string, s Script) (Raw, error) {
	wait := s.Wait
	if wait <= 0 {
		wait = DefaultWait
	}
	conn, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		return Raw{}, err
	}
	defer conn.Close()

	var total time.Duration
	for _, p := range s.Pieces {
		total += p.Delay
	}
	// the writer shortens this once it is done
	conn.SetReadDeadline(time.Now().Add(total + wait))

	var (
		raw      Raw
		wg       sync.WaitGroup
		peerGone = make(chan struct{})
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(peerGone)
		tmp := make([]byte, 64<<10)
		for {
			n, err := conn.Read(tmp)
			raw.Received = append(raw.Received, tmp[:n]...)
			switch {
			case err == nil:
				continue
			case errors.Is(err, io.EOF):
				raw.Closed = true
			case errors.Is(err, syscall.ECONNRESET):
				raw.Closed, raw.Reset = true, true
			case errors.Is(err, os.ErrDeadlineExceeded):
			default:
				raw.ReadErr = err
			}
			return
		}
	}()

	timer := time.NewTimer(0)
	<-timer.C
write:
	for _, p := range s.Pieces {
		if p.Delay > 0 {
			timer.Reset(p.Delay)
			select {
			case <-timer.C:
			case <-peerGone:
				timer.Stop()
				break write
			}
		}
		conn.SetWriteDeadline(time.Now().Add(wait))
		n, err := conn.Write([]byte(p.Data))
		raw.Sent += n
		if err != nil {
			raw.WriteErr = err
			break
		}
	}
	if s.Shutdown && raw.WriteErr == nil {
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}
	conn.SetReadDeadline(time.Now().Add(wait))
	wg.Wait()
	return raw, nil
}
