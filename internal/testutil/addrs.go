package testutil

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// BlackholeAddr returns a loopback address whose connect() never completes,
// so that a client's connect timeout fires (nginx: "upstream timed out (110:
// Connection timed out) while connecting to upstream").
//
// How: a listening socket made with backlog 0 that nobody accepts from, and
// whose accept queue is then filled with one connection that this helper
// holds. Linux drops a SYN when the listener's accept queue is full (it does
// not answer RST, even with tcp_abort_on_overflow set: that setting concerns
// the final ACK, not the SYN), so every later connect() keeps retransmitting
// its SYN until the caller gives up. The helper waits (polling
// /proc/self/net/tcp, bounded) until the kernel shows the queue as full
// before returning. Both sockets are closed at cleanup.
//
// Connecting to a non-routable address would also time out, but sluice's
// tests send traffic to loopback only.
func BlackholeAddr(t testing.TB) string {
	t.Helper()
	addr, closeAll, err := blackhole()
	if err != nil {
		t.Fatalf("testutil: blackhole address: %v", err)
	}
	t.Cleanup(closeAll)
	return addr
}

func blackhole() (string, func(), error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", nil, err
	}
	closeFD := func() { syscall.Close(fd) }
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		closeFD()
		return "", nil, err
	}
	if err := syscall.Listen(fd, 0); err != nil {
		closeFD()
		return "", nil, err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		closeFD()
		return "", nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		closeFD()
		return "", nil, err
	}
	inode := strconv.FormatUint(st.Ino, 10)

	filler, err := net.DialTimeout("tcp", addr, DefaultTimeout)
	if err != nil {
		closeFD()
		return "", nil, fmt.Errorf("filling the accept queue: %w", err)
	}
	closeAll := func() { filler.Close(); closeFD() }
	deadline := time.Now().Add(DefaultTimeout)
	for {
		full, err := acceptQueueFull(inode)
		if err != nil {
			closeAll()
			return "", nil, err
		}
		if full {
			return addr, closeAll, nil
		}
		if time.Now().After(deadline) {
			closeAll()
			return "", nil, fmt.Errorf("accept queue of %s never showed full in /proc/self/net/tcp", addr)
		}
		time.Sleep(time.Millisecond) // polling the kernel's table, bounded
	}
}

// acceptQueueFull reports whether the listening socket with this inode has
// a connection waiting in its (backlog 0) accept queue.
func acceptQueueFull(inode string) (bool, error) {
	socks, err := readTCPTable("/proc/self/net/tcp")
	if err != nil {
		return false, fmt.Errorf("reading the accept queue needs /proc: %w", err)
	}
	for _, s := range socks {
		if s.inode == inode {
			return s.state == "0A" && s.rxQueue >= 1, nil
		}
	}
	return false, fmt.Errorf("listening socket inode %s not in /proc/self/net/tcp", inode)
}

// RefusedAddr returns a loopback address where connect() is refused at once
// (RST: "connect() failed (111: Connection refused)"). The port is held by a
// socket that is bound but not listening, so no other test can take it
// while the test runs; it is released at cleanup.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("testutil: refused address: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("testutil: refused address: bind: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("testutil: refused address: %v", err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
}

// PortListening reports whether some socket in this network namespace
// listens on TCP port (any local address, IPv4 or IPv6), reading
// /proc/self/net/tcp and tcp6. Unlike a probe connection it leaves no trace
// in the listening server's logs.
func PortListening(port int) (bool, error) {
	found := false
	for _, table := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		socks, err := readTCPTable(table)
		if err != nil {
			if table == "/proc/self/net/tcp6" && errors.Is(err, fs.ErrNotExist) {
				continue // IPv6 disabled
			}
			return false, fmt.Errorf("listing listening sockets needs /proc: %w", err)
		}
		for _, s := range socks {
			if s.state != "0A" {
				continue
			}
			if _, p, err := net.SplitHostPort(s.local); err == nil && p == strconv.Itoa(port) {
				found = true
			}
		}
	}
	return found, nil
}
