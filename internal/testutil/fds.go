package testutil

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// OpenFDs returns the process's open file descriptors and what each points
// to (the /proc/self/fd link targets, e.g. "socket:[1234]" or a path). The
// descriptor used to read the directory itself is left out.
func OpenFDs() (map[int]string, error) {
	dir, err := os.Open("/proc/self/fd")
	if err != nil {
		return nil, fmt.Errorf("listing open descriptors needs /proc: %w", err)
	}
	own := int(dir.Fd())
	names, err := dir.Readdirnames(-1)
	dir.Close()
	if err != nil {
		return nil, err
	}
	fds := make(map[int]string, len(names))
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || fd == own {
			continue
		}
		target, err := os.Readlink("/proc/self/fd/" + name)
		if err != nil {
			continue // closed while we looked
		}
		fds[fd] = target
	}
	return fds, nil
}

// ignoredFDTargets are descriptors the Go runtime opens once, lazily, for
// its network poller; they are not leaks of the code under test.
var ignoredFDTargets = []string{
	"anon_inode:[eventpoll]",
	"anon_inode:[eventfd]",
}

func ignorableFD(target string, extra []string) bool {
	for _, s := range ignoredFDTargets {
		if target == s {
			return true
		}
	}
	for _, s := range extra {
		if s != "" && strings.Contains(target, s) {
			return true
		}
	}
	return false
}

// DescribeFD returns a descriptor target with, for TCP sockets, their local
// and remote addresses and state from /proc/self/net/tcp{,6}.
func DescribeFD(target string) string {
	inode, ok := strings.CutPrefix(target, "socket:[")
	if !ok {
		return target
	}
	inode = strings.TrimSuffix(inode, "]")
	for _, table := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		if s, ok := findSocket(table, inode); ok {
			return target + " " + s
		}
	}
	return target
}

// tcpStates names the kernel's TCP states as /proc/net/tcp numbers them.
var tcpStates = map[string]string{
	"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1",
	"05": "FIN_WAIT2", "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT",
	"09": "LAST_ACK", "0A": "LISTEN", "0B": "CLOSING",
}

// tcpSocket is one row of /proc/net/tcp or tcp6.
type tcpSocket struct {
	local, remote string
	state         string
	rxQueue       int64 // for LISTEN sockets: the accept queue length
	inode         string
}

// readTCPTable parses /proc/net/tcp or tcp6.
func readTCPTable(path string) ([]tcpSocket, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var socks []tcpSocket
	sc := bufio.NewScanner(f)
	sc.Scan() // column titles
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 {
			continue
		}
		_, rx, _ := strings.Cut(fields[4], ":")
		rxq, _ := strconv.ParseInt(rx, 16, 64)
		socks = append(socks, tcpSocket{
			local:   procAddr(fields[1]),
			remote:  procAddr(fields[2]),
			state:   fields[3],
			rxQueue: rxq,
			inode:   fields[9],
		})
	}
	return socks, sc.Err()
}

func findSocket(table, inode string) (string, bool) {
	socks, err := readTCPTable(table)
	if err != nil {
		return "", false
	}
	for _, s := range socks {
		if s.inode == inode {
			state := tcpStates[s.state]
			if state == "" {
				state = s.state
			}
			return fmt.Sprintf("tcp %s -> %s %s", s.local, s.remote, state), true
		}
	}
	return "", false
}

// procAddr turns "0100007F:1F90" into "127.0.0.1:8080". The kernel prints
// each 32-bit word of the address in host byte order (little-endian here).
func procAddr(s string) string {
	hexIP, hexPort, ok := strings.Cut(s, ":")
	if !ok {
		return s
	}
	raw, err := hex.DecodeString(hexIP)
	if err != nil || len(raw)%4 != 0 {
		return s
	}
	for i := 0; i < len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return s
	}
	return net.JoinHostPort(net.IP(raw).String(), strconv.FormatUint(port, 10))
}

// CheckNoFDsUnder waits up to DefaultLeakTimeout, polling, until no open
// descriptor of the process points at a path under dir, and fails the test
// naming those still open. A server closes a file after the last byte of a
// response is written, which can be a moment after the client has read it.
func CheckNoFDsUnder(t testing.TB, dir string) {
	t.Helper()
	deadline := time.Now().Add(DefaultLeakTimeout)
	for {
		fds, err := OpenFDs()
		if err != nil {
			t.Fatalf("testutil: %v", err)
		}
		var open []string
		for fd, target := range fds {
			if strings.HasPrefix(target, dir) {
				open = append(open, fmt.Sprintf("descriptor %d still open on %s", fd, target))
			}
		}
		if len(open) == 0 {
			return
		}
		if time.Now().After(deadline) {
			slices.Sort(open)
			t.Errorf("testutil: %s", strings.Join(open, "\n"))
			return
		}
		time.Sleep(leakPoll) // polling for a condition, bounded by deadline
	}
}

// CheckNoFilesUnder waits up to DefaultLeakTimeout, polling, until no file
// is left under dir (directories may stay), and fails the test naming
// those left. A server removes a request's temp files as the request ends,
// which can be a moment after the client has read the response.
func CheckNoFilesUnder(t testing.TB, dir string) {
	t.Helper()
	deadline := time.Now().Add(DefaultLeakTimeout)
	for {
		var left []string
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				left = append(left, p)
			}
			return nil
		})
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("testutil: files left under %s: %s", dir, strings.Join(left, ", "))
			return
		}
		time.Sleep(leakPoll) // polling for a condition, bounded by deadline
	}
}
