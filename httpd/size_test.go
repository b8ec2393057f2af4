package httpd

import (
	"testing"
	"unsafe"
)

// TestConnSize: a plain connection stays in the 448-byte size class
// (440 bytes on 64-bit platforms): what only TLS connections need lives in
// connTLS, which a plain connection does not have.
func TestConnSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes are for 64-bit platforms")
	}
	if n := unsafe.Sizeof(conn{}); n > 448 {
		t.Errorf("unsafe.Sizeof(conn{}) = %d, over the 448-byte size class", n)
	}
}
