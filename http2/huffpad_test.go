package http2

import (
	"bytes"
	"fmt"
	"testing"

	"golang.org/x/net/http2/hpack"
)

// byteAligned returns a string whose Huffman code ends on a byte boundary,
// the case nginx-tests' client pads with a whole byte of ones.
func byteAligned(t testing.TB) string {
	for _, s := range []string{"GET", "http", "/", "localhost", "POST", "abcd", "example", "x-header", "aaaaaaaa"} {
		enc := hpack.AppendHuffmanString(nil, s)
		if _, err := hpack.HuffmanDecodeToString(append(enc, 0xff)); err != nil {
			return s
		}
	}
	t.Fatal("no byte-aligned Huffman code among the candidates")
	return ""
}

// huffLiteral is a Huffman-coded HPACK string, with a whole byte of EOS
// padding when pad is set.
func huffLiteral(s string, pad bool) []byte {
	enc := hpack.AppendHuffmanString(nil, s)
	if pad {
		enc = append(enc, 0xff)
	}
	return append(appendInt(nil, 7, 0x80, uint64(len(enc))), enc...)
}

func decodeAll(block []byte) (string, error) {
	var out []string
	d := hpack.NewDecoder(4096, func(f hpack.HeaderField) { out = append(out, f.Name+"="+f.Value) })
	if _, err := d.Write(block); err != nil {
		return "", err
	}
	return fmt.Sprint(out), d.Close()
}

func TestTrimHuffmanPadding(t *testing.T) {
	s := byteAligned(t)
	long := string(bytes.Repeat([]byte(s), 60)) // a length over 127: a two-byte integer
	tests := []struct {
		name    string
		block   []byte
		trimmed bool   // a copy comes back
		want    string // its fields, when it decodes
	}{
		{name: "indexed only", block: []byte{0x82, 0x86, 0x84}, want: "[:method=GET :scheme=http :path=/]"},
		{name: "valid huffman", block: append([]byte{0x41}, huffLiteral(s, false)...), want: "[:authority=" + s + "]"},
		{name: "padded value, indexed name", block: append([]byte{0x41}, huffLiteral(s, true)...), trimmed: true,
			want: "[:authority=" + s + "]"},
		{name: "padded name and value, without indexing", block: append(append([]byte{0x00}, huffLiteral("x-"+s, true)...), huffLiteral(s, true)...),
			trimmed: true},
		{name: "padded, never indexed", block: append([]byte{0x10}, append(huffLiteral("x-a", false), huffLiteral(s, true)...)...), trimmed: true,
			want: "[x-a=" + s + "]"},
		{name: "padded long value", block: append([]byte{0x41}, huffLiteral(long, true)...), trimmed: true,
			want: "[:authority=" + long + "]"},
		{name: "size update first", block: append([]byte{0x3f, 0xe1, 0x1f, 0x41}, huffLiteral(s, true)...), trimmed: true},
		{name: "raw string ending in 0xff", block: []byte{0x41, 0x02, 'a', 0xff}},
		{name: "truncated string", block: []byte{0x41, 0x85, 0xff}},
		{name: "truncated integer", block: []byte{0x7f}},
		{name: "too large integer", block: []byte{0x41, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}},
		{name: "empty", block: nil, want: "[]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := TrimHuffmanPadding(tc.block)
			if trimmed := !bytes.Equal(got, tc.block); trimmed != tc.trimmed {
				t.Fatalf("trimmed %v, want %v: %x -> %x", trimmed, tc.trimmed, tc.block, got)
			}
			if !tc.trimmed && len(tc.block) > 0 && &got[0] != &tc.block[0] {
				t.Errorf("an untouched block was copied")
			}
			if tc.want != "" {
				if fields, err := decodeAll(got); err != nil || fields != tc.want {
					t.Errorf("decoded %s, %v; want %s", fields, err, tc.want)
				}
			}
			if tc.trimmed {
				if _, err := decodeAll(tc.block); err == nil {
					t.Errorf("the padded block decodes as it is: the case tests nothing")
				}
				if _, err := decodeAll(got); err != nil {
					t.Errorf("the trimmed block does not decode: %v", err)
				}
			}
		})
	}
}

// TestHPACKInt decodes what appendInt encodes.
func TestHPACKInt(t *testing.T) {
	for _, n := range []uint{4, 5, 6, 7} {
		for _, v := range []uint64{0, 1, 1<<n - 2, 1<<n - 1, 1 << n, 127, 128, 300, 1 << 20, 1<<32 - 1} {
			b := appendInt(nil, n, 0, v)
			got, size, ok := hpackInt(b, n)
			if !ok || got != v || size != len(b) {
				t.Errorf("prefix %d, %d: encoded %x, decoded %d (%d bytes, %v)", n, v, b, got, size, ok)
			}
		}
	}
}
