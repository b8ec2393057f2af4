package gunzip

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"

	"github.com/sluicehq/sluice/httpd"
)

// FuzzGunzip feeds arbitrary bytes to the filter's decompressor, cut
// into pieces (some flushed) as cuts says, with small output buffers so
// that they fill up: it must not panic or hang, must end the coroutine,
// and whenever it finishes cleanly its output must be what compress/gzip
// makes of the whole input (several members allowed), and must have
// ended with Last. Seeds in testdata/fuzz/FuzzGunzip.
func FuzzGunzip(f *testing.F) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(bytes.Repeat([]byte("seed text "), 300))
	zw.Close()
	f.Add(b.Bytes(), uint32(0x12345), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, cuts uint32, size uint8) {
		x := &ctx{size: int(size%32) + 1, num: int(cuts%3) + 1}
		var got []byte
		sawLast := false
		x.sink = func(c *httpd.Chain) httpd.Status {
			for _, p := range c.Pieces {
				got = append(got, p.Data...)
			}
			if c.Last {
				sawLast = true
			}
			return httpd.OK
		}
		x.start()
		defer x.finish()
		rc := httpd.OK
		rest := data
		for i := 0; rc == httpd.OK && !x.done; i++ {
			n := int(cuts>>(i%24)&0xff) % 64
			n = min(n, len(rest))
			piece := rest[:n]
			rest = rest[n:]
			last := len(rest) == 0
			flush := !last && cuts>>(i%29)&1 == 1
			x.in = append(x.in[:0], httpd.Piece{Data: piece})
			if len(piece) == 0 {
				x.in = x.in[:0]
			}
			rc = x.run(last, flush)
			if rc != httpd.OK {
				x.done = true
			}
			if i > len(data)+100 {
				t.Fatal("the input is not used up")
			}
		}
		if rc != httpd.OK {
			return
		}
		if !sawLast {
			t.Fatal("a clean end without Last")
		}
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("the filter decompressed what compress/gzip refuses: %v", err)
		}
		want, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("the filter decompressed what compress/gzip refuses: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("output differs: %d bytes, want %d", len(got), len(want))
		}
	})
}
