package http1

import (
	"fmt"
	"testing"
)

// chunkedOutcome is what decoding a whole body produced.
type chunkedOutcome struct {
	data string
	res  Result
	pos  int // offset in the whole input where decoding stopped
}

// feedChunkedGrowing decodes in with the visible buffer growing through
// ends, as a caller appending reads to one buffer does.
func feedChunkedGrowing(in []byte, ends []int, keep bool) chunkedOutcome {
	c := Chunked{KeepTrailers: keep}
	var out chunkedOutcome
	res := NeedMore
	for _, end := range ends {
		buf := in[:end]
		for res = c.Parse(buf); res == OK; res = c.Parse(buf) {
			out.data += string(buf[c.DataStart:c.DataEnd])
		}
		if res != NeedMore {
			break
		}
	}
	out.res = res
	out.pos = c.Pos
	return out
}

// feedChunkedFresh decodes in handing the decoder each piece as a new
// buffer, as a caller reusing one read buffer does.
func feedChunkedFresh(in []byte, ends []int, keep bool) chunkedOutcome {
	c := Chunked{KeepTrailers: keep}
	var out chunkedOutcome
	res := NeedMore
	base, next := 0, 0
	for _, end := range ends {
		base = next
		buf := in[base:end]
		c.Pos = 0
		for res = c.Parse(buf); res == OK; res = c.Parse(buf) {
			out.data += string(buf[c.DataStart:c.DataEnd])
		}
		if res != NeedMore {
			break
		}
		next = end
	}
	out.res = res
	out.pos = base + c.Pos
	if res == Invalid {
		out.pos = -1 // where an overflow is noticed depends on the split
	}
	return out
}

func TestChunked(t *testing.T) {
	tests := []struct {
		name string
		in   string
		keep bool
		res  Result
		data string
		pos  int // where decoding stopped (Done: end of body; Invalid: offending byte)
	}{
		{"one chunk", "5\r\nhello\r\n0\r\n\r\n", false, Done, "hello", 15},
		{"two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", false, Done, "hello world", 26},
		{"empty body", "0\r\n\r\n", false, Done, "", 5},
		{"hex sizes", "A\r\n0123456789\r\nf\r\nabcdefghijklmno\r\n0\r\n\r\n", false, Done, "0123456789abcdefghijklmno", 40},
		{"leading zeros", "00000000000000000000005\r\nhello\r\n000\r\n\r\n", false, Done, "hello", 39},
		{"extension", "5;name=value\r\nhello\r\n0;x=\"y\"\r\n\r\n", false, Done, "hello", 32},
		{"extension after space", "5 ;a\r\nhello\r\n0\t\r\n\r\n", false, Done, "hello", 19},
		{"data with CRLF inside", "4\r\n\r\n\r\n\r\n0\r\n\r\n", false, Done, "\r\n\r\n", 14},
		{"trailers dropped", "5\r\nhello\r\n0\r\nX: 1\r\nY: 2\r\n\r\n", false, Done, "hello", 27},
		{"odd trailer accepted", "0\r\n:no name\r\n\r\n", false, Done, "", 15},
		{"trailers kept", "5\r\nhello\r\n0\r\nX: 1\r\n\r\n", true, Done, "hello", 13},
		{"data after end", "0\r\n\r\nGET / HTTP/1.1\r\n", false, Done, "", 5},
		{"max size", "7ffffffffffffff\r\n", false, NeedMore, "", 17},

		{"empty", "", false, NeedMore, "", 0},
		{"partial data", "5\r\nhel", false, NeedMore, "hel", 6},
		{"before trailer end", "0\r\nX: 1\r\n", false, NeedMore, "", 9},

		{"no size", "\r\n", false, Invalid, "", 0},
		{"negative", "-1\r\n", false, Invalid, "", 0},
		{"0x prefix", "0x5\r\n", false, Invalid, "", 1},
		{"plus sign", "+5\r\n", false, Invalid, "", 0},
		{"bare LF after size", "5\nhello\r\n0\r\n\r\n", false, Invalid, "", 1},
		{"bare LF after last size", "0\n\n", false, Invalid, "", 1},
		{"bare LF after ext", "5;a\nhello", false, Invalid, "", 3},
		{"bare LF after data", "5\r\nhello\n0\r\n\r\n", false, Invalid, "hello", 8},
		{"data too long", "5\r\nhelloX\r\n", false, Invalid, "hello", 8},
		{"CR junk after data", "5\r\nhello\rX", false, Invalid, "hello", 9},
		{"CR junk after size", "5\rX", false, Invalid, "", 2},
		{"CR junk after last", "0\rX", false, Invalid, "", 2},
		{"no last chunk", "5\r\nhello\r\n\r\n", false, Invalid, "hello", 10},
		{"bad size byte", "5x\r\n", false, Invalid, "", 1},
		{"bad last size byte", "0g\r\n", false, Invalid, "", 1},
		{"bare LF in trailer", "0\r\nX: 1\n\r\n", false, Invalid, "", 7},
		{"bare LF ends trailers", "0\r\n\n", false, Invalid, "", 3},
		{"CR junk ends trailers", "0\r\n\rX", false, Invalid, "", 4},
		{"CR junk in trailer", "0\r\nX\rX", false, Invalid, "", 5},
		{"size overflow", "10000000000000000\r\n", false, Invalid, "", 16},
		{"size all f", "ffffffffffffffff\r\n", false, Invalid, "", 15},
		{"size above limit", "800000000000000\r\n", false, Invalid, "", 15},
		{"size 16 digits", "7ffffffffffffff6\r\n", false, Invalid, "", 16},
		{"size 16 digits with data", "7fffffffffffffff\r\nabc", false, Invalid, "", 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			checkSplits(t, len(in), func(ends []int) chunkedOutcome {
				return feedChunkedGrowing(in, ends, tt.keep)
			})
			checkSplits(t, len(in), func(ends []int) chunkedOutcome {
				return feedChunkedFresh(in, ends, tt.keep)
			})
			out := feedChunkedGrowing(in, []int{len(in)}, tt.keep)
			want := chunkedOutcome{tt.data, tt.res, tt.pos}
			if out != want {
				t.Errorf("got  %+v\nwant %+v", out, want)
			}
		})
	}
}

func TestChunkedLength(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		length int64
	}{
		{"nothing", "", 5},
		{"in size", "5", 2 + 5 + 7},
		{"in last size", "0", 4},
		{"in extension", "5;a", 2 + 5 + 7},
		{"after size CR", "5\r", 1 + 5 + 7},
		{"before data", "5\r\n", 5 + 7},
		{"in data", "5\r\nhel", 2 + 7},
		{"after data", "5\r\nhello", 7},
		{"after data CR", "5\r\nhello\r", 6},
		{"next chunk", "5\r\nhello\r\n", 5},
		{"last extension", "0;a", 4},
		{"last CR", "0\r", 3},
		{"trailer", "0\r\n", 2},
		{"trailer CR", "0\r\n\r", 1},
		{"trailer line", "0\r\nX", 4},
		{"trailer line CR", "0\r\nX\r", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Chunked
			buf := []byte(tt.in)
			res := c.Parse(buf)
			for res == OK {
				res = c.Parse(buf)
			}
			if res != NeedMore || c.Length != tt.length {
				t.Errorf("Parse = %v, Length %d, want NeedMore %d", res, c.Length, tt.length)
			}
		})
	}
}

func TestChunkedTrailersWithHeaderParser(t *testing.T) {
	in := []byte("3\r\nabc\r\n0\r\nX-Checksum: 42\r\nX_Under: y\r\n\r\nNEXT")
	c := Chunked{KeepTrailers: true}
	var data []byte
	res := c.Parse(in)
	for ; res == OK; res = c.Parse(in) {
		data = append(data, in[c.DataStart:c.DataEnd]...)
	}
	if res != Done || string(data) != "abc" {
		t.Fatalf("Parse = %v, data %q", res, data)
	}
	h := HeaderParser{AllowUnderscores: true, Upstream: true, Pos: c.Pos}
	var got []string
	for res = h.Parse(in); res == OK; res = h.Parse(in) {
		got = append(got, string(h.Name(in))+"="+string(h.Value(in)))
	}
	if res != HeaderDone || fmt.Sprint(got) != "[X-Checksum=42 X_Under=y]" || string(in[h.Pos:]) != "NEXT" {
		t.Errorf("trailers %v, %v, rest %q", got, res, in[h.Pos:])
	}
	if again := c.Parse(in); again != Done {
		t.Errorf("Parse after Done = %v", again)
	}
	c.Reset()
	if !c.KeepTrailers || c.Pos != 0 {
		t.Errorf("Reset lost KeepTrailers or Pos: %+v", c)
	}
}

// chunkedSamples are bodies used by the split and fuzz tests.
var chunkedSamples = []string{
	"5\r\nhello\r\n0\r\n\r\n",
	"1\r\na\r\n2\r\nbc\r\n3;ext=1\r\ndef\r\n0\r\nTrailer: x\r\n\r\n",
	"10\r\n0123456789abcdef\r\n0\r\n\r\n",
	"5\nhello\n0\n\n",
	"10000000000000000\r\n",
	"7fffffffffffffff\r\n",
	"ffffffffffffffffffffffffffffffff\r\n",
	"0\r\nX: 1\n\r\n",
	"5\r\nhello\r\n\r\n",
	"5 \r\nhello\r\n0 \r\n\r\n",
}

func TestChunkedSplits(t *testing.T) {
	for i, in := range chunkedSamples {
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/keep=%v", i, keep), func(t *testing.T) {
				b := []byte(in)
				grow := checkSplits(t, len(b), func(ends []int) chunkedOutcome {
					return feedChunkedGrowing(b, ends, keep)
				})
				fresh := checkSplits(t, len(b), func(ends []int) chunkedOutcome {
					return feedChunkedFresh(b, ends, keep)
				})
				if grow.data != fresh.data || grow.res != fresh.res {
					t.Errorf("growing %+v, fresh %+v", grow, fresh)
				}
			})
		}
	}
}
