package http2

import (
	"bytes"
	"testing"

	"golang.org/x/net/http2/hpack"
)

// FuzzReadFrame feeds arbitrary bytes to the frame reader: it must never
// read out of bounds, and a frame it takes must be what it said.
func FuzzReadFrame(f *testing.F) {
	f.Add(AppendSettings(nil, Setting{SettingInitialWindowSize, 1}))
	f.Add(AppendPingAck(nil, []byte("abcdefgh")))
	f.Add(AppendFrameHeader(nil, 1<<20, FrameData, 0, 1))
	f.Add([]byte(Preface))
	f.Fuzz(func(t *testing.T, in []byte) {
		for len(in) > 0 {
			h, p, n, err := ReadFrame(in, DefaultMaxFrameSize)
			if err != nil {
				return
			}
			if n != FrameHeaderLen+int(h.Length) || len(p) != int(h.Length) || n > len(in) {
				t.Fatalf("frame %+v payload %d used %d of %d", h, len(p), n, len(in))
			}
			if d, err := Unpad(h.Flags, p); err == nil && len(d) > len(p) {
				t.Fatalf("unpadded %d > %d", len(d), len(p))
			}
			if h.Type == FrameSettings {
				ParseSettings(p, func(Setting) {})
			}
			in = in[n:]
		}
	})
}

// FuzzBuildHead builds request heads from arbitrary fields (NUL-separated
// name/value pairs): an accepted head must be one HTTP/1.1 request head
// with no CR or LF inside its lines.
func FuzzBuildHead(f *testing.F) {
	f.Add([]byte(":method\x00GET\x00:scheme\x00http\x00:path\x00/\x00:authority\x00a"))
	f.Add([]byte(":method\x00POST\x00:scheme\x00https\x00:path\x00/x?y\x00cookie\x00a\x00cookie\x00b\x00host\x00h"))
	f.Add([]byte(":method\x00GET\x00x\x00y\x00:path\x00/"))
	f.Fuzz(func(t *testing.T, in []byte) {
		parts := bytes.Split(in, []byte{0})
		var fs []Field
		for i := 0; i+1 < len(parts); i += 2 {
			fs = append(fs, Field{string(parts[i]), string(parts[i+1])})
		}
		for _, rules := range []HeadRules{{}, {UnderscoresInHeaders: true, IgnoreInvalidHeaders: true}} {
			h, err := BuildHead(nil, fs, rules)
			if err != nil {
				continue
			}
			if !bytes.HasSuffix(h.Text, []byte("\r\n\r\n")) {
				t.Fatalf("head %q does not end with an empty line", h.Text)
			}
			lines := bytes.Split(h.Text[:len(h.Text)-4], []byte("\r\n"))
			for _, l := range lines {
				if bytes.ContainsAny(l, "\r\n\x00") {
					t.Fatalf("line %q has CR, LF or NUL", l)
				}
			}
			if !bytes.HasSuffix(lines[0], []byte(" HTTP/1.1")) {
				t.Fatalf("request line %q", lines[0])
			}
		}
	})
}

// FuzzTrimHuffmanPadding walks arbitrary header blocks: a block that
// decodes must come back untouched, a trimmed one must not grow and must
// not be trimmed again.
func FuzzTrimHuffmanPadding(f *testing.F) {
	f.Add([]byte{0x82, 0x86, 0x84, 0x41, 0x8a, 0xa0, 0xe4, 0x1d, 0x13, 0x9d, 0x09, 0xb8, 0xf0, 0x1e, 0x07})
	f.Add([]byte{0x41, 0x84, 0xc5, 0x83, 0x7f, 0xff})
	f.Add([]byte{0x3f, 0xe1, 0x1f, 0x00, 0x81, 0xff, 0x81, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		out := TrimHuffmanPadding(in)
		if len(out) > len(in) {
			t.Fatalf("grew: %x -> %x", in, out)
		}
		if !bytes.Equal(out, in) {
			if _, err := hpack.NewDecoder(4096, nil).DecodeFull(in); err == nil {
				t.Fatalf("a block that decodes was changed: %x -> %x", in, out)
			}
			if again := TrimHuffmanPadding(out); !bytes.Equal(again, out) {
				t.Fatalf("trimmed twice: %x -> %x -> %x", in, out, again)
			}
		}
	})
}
