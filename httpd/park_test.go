package httpd_test

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const parkConf = `
events {}
http {
    keepalive_timeout 1s;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / { return 200 "ok\n"; }
    }
}`

func waitParked(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for httpd.Parked() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d parked connections, want %d", httpd.Parked(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestParkedConnectionResumes(t *testing.T) {
	testutil.CheckLeaks(t)
	before := httpd.Parked()
	s := servertest.Start(t, parkConf)
	c, err := net.Dial("tcp", s.Addr("A"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for i := 0; i < 3; i++ {
		if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		if line, _ := br.ReadString('\n'); !strings.HasPrefix(line, "HTTP/1.1 200") {
			t.Fatalf("request %d: %q", i, line)
		}
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if l == "\r\n" {
				break
			}
		}
		br.Discard(3)
		// idle: the connection gets parked, then the next request resumes it
		waitParked(t, before+1)
	}
}

func TestParkedConnectionExpires(t *testing.T) {
	testutil.CheckLeaks(t)
	before := httpd.Parked()
	s := servertest.Start(t, parkConf)
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	c.WriteString("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	if _, err := c.ReadResponse(); err != nil {
		t.Fatal(err)
	}
	waitParked(t, before+1)
	// keepalive_timeout 1s: the parked connection is closed
	if closed, _, _ := c.WaitClosed(5 * time.Second); !closed {
		t.Fatal("parked connection not closed at keepalive_timeout")
	}
	waitParked(t, before)
}

func TestDrainClosesParked(t *testing.T) {
	testutil.CheckLeaks(t)
	before := httpd.Parked()
	s := servertest.Start(t, strings.Replace(parkConf, "keepalive_timeout 1s;", "keepalive_timeout 60s;", 1))
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	c.WriteString("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	if _, err := c.ReadResponse(); err != nil {
		t.Fatal(err)
	}
	waitParked(t, before+1)
	// a reload retires the old configuration: its idle connections close
	s.Reload(parkConf)
	if closed, _, _ := c.WaitClosed(5 * time.Second); !closed {
		t.Fatal("parked connection of a retired configuration not closed")
	}
	waitParked(t, before)
}
