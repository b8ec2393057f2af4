package http1_test

import (
	"fmt"

	"github.com/sluicehq/sluice/http1"
)

// A request head arriving in two reads, parsed as it grows.
func Example() {
	reads := []string{"GET /a/../b.txt?x=1 HTTP/1.1\r\nHo", "st: example.com\r\nUser-Agent: curl\r\n\r\n"}
	var buf []byte
	var rl http1.RequestLine
	var h http1.HeaderParser
	lineDone := false
	for _, r := range reads {
		buf = append(buf, r...)
		if !lineDone {
			if rl.Parse(buf) != http1.OK {
				continue // NeedMore (or an error: see Result.Status)
			}
			lineDone = true
			h.Pos = rl.Pos
			fmt.Printf("%s %s (complex=%v)\n", buf[rl.RequestStart:rl.MethodEnd], buf[rl.URIStart:rl.URIEnd], rl.ComplexURI)
		}
		for {
			res := h.Parse(buf)
			if res == http1.OK {
				fmt.Printf("%s: %s [%v]\n", h.Name(buf), h.Value(buf), http1.LookupHeader(h.LowerName()))
				continue
			}
			if res == http1.HeaderDone {
				fmt.Println("body at", h.Pos)
			}
			break
		}
	}
	src := buf[rl.URIStart:rl.URIEnd]
	dst := make([]byte, http1.ComplexURIDstLen(src))
	u, _ := http1.ParseComplexURI(dst, src, rl.EmptyPathInURI, true)
	fmt.Printf("uri %s args %s exten %s\n", dst[:u.Len], src[u.ArgsStart:u.ArgsEnd], dst[u.ExtStart:u.Len])
	// Output:
	// GET /a/../b.txt?x=1 (complex=true)
	// Host: example.com [Host]
	// User-Agent: curl [User-Agent]
	// body at 69
	// uri /b.txt args x=1 exten txt
}

// Decoding a chunked body handed over in separate read buffers.
func ExampleChunked() {
	reads := []string{"5\r\nhel", "lo\r\n0\r\n\r\n"}
	var c http1.Chunked
	for _, r := range reads {
		buf := []byte(r)
		c.Pos = 0
		for {
			res := c.Parse(buf)
			if res == http1.OK {
				fmt.Printf("data %q\n", buf[c.DataStart:c.DataEnd])
				continue
			}
			fmt.Println(res)
			break
		}
	}
	// Output:
	// data "hel"
	// need more
	// data "lo"
	// done
}
