package http2

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/http2/hpack"
)

func TestAppendField(t *testing.T) {
	huff := func(s string) []byte { return hpack.AppendHuffmanString(nil, s) }
	for _, tc := range []struct {
		name, field, value string
		trailer            bool
		want               []byte
	}{
		{"indexed status", ":status", "200", false, []byte{0x88}},
		{"indexed 404", ":status", "404", false, []byte{0x8d}},
		{"other status, not shorter in Huffman", ":status", "418", false, []byte{0x48, 0x03, '4', '1', '8'}},
		{"server", "server", "sluice", false, append([]byte{0x76, 0x80 | byte(len(huff("sluice")))}, huff("sluice")...)},
		{"new name", "x-a", "b", false, []byte{0x00, 0x03, 'x', '-', 'a', 0x01, 'b'}},
		{"trailer with a static name", "content-type", "b", true, append(append([]byte{0x00, 0x80 | byte(len(huff("content-type")))}, huff("content-type")...), 0x01, 'b')},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []byte
			if tc.trailer {
				got = AppendTrailer(nil, tc.field, tc.value)
			} else {
				got = AppendField(nil, tc.field, tc.value)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("% x, want % x", got, tc.want)
			}
		})
	}
}

// TestAppendFieldRoundTrip decodes blocks of many fields, long values
// (integers of several bytes) included, with x/net's decoder, repeatedly
// on one decoder: the entries added to its dynamic table are never
// referred to, so every block decodes alike.
func TestAppendFieldRoundTrip(t *testing.T) {
	fields := [][2]string{
		{":status", "200"}, {":status", "302"}, {"server", "sluice/0.1.0"}, {"date", "Mon, 07 Dec 2026 06:00:00 GMT"},
		{"content-type", "text/html"}, {"content-length", "12345"}, {"location", "/" + strings.Repeat("x", 300)},
		{"x-long", strings.Repeat("\x01", 5000)}, {"vary", "Accept-Encoding"}, {"set-cookie", "a=b"},
	}
	dec := hpack.NewDecoder(4096, nil)
	dec.SetMaxStringLength(1 << 20)
	for round := 0; round < 3; round++ {
		var block []byte
		for _, f := range fields {
			block = AppendField(block, f[0], f[1])
		}
		got, err := dec.DecodeFull(block)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if len(got) != len(fields) {
			t.Fatalf("round %d: %d fields, want %d", round, len(got), len(fields))
		}
		for i, f := range got {
			if f.Name != fields[i][0] || f.Value != fields[i][1] {
				t.Errorf("round %d field %d: %q: %.40q, want %q: %.40q", round, i, f.Name, f.Value, fields[i][0], fields[i][1])
			}
		}
	}
}
