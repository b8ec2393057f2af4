package testutil

import (
	"bytes"
	"fmt"
	"strconv"
)

// chunkedBody is what decodeChunked found, complete or not.
type chunkedBody struct {
	data     []byte
	chunks   []Chunk
	last     bool
	trailers []Header
	bareLF   bool
}

// maxChunkSize bounds a chunk size so that a hostile size line cannot make
// the reader wait for (or allocate) absurd amounts.
const maxChunkSize = 1 << 40

// decodeChunked decodes a chunked body at the start of data and returns the
// number of bytes the whole body (trailers included) took. With atEOF false
// and too few bytes it returns ErrIncomplete; with atEOF true it returns what
// arrived and an error wrapping ErrTruncated.
func decodeChunked(data []byte, atEOF bool) (chunkedBody, int, error) {
	var b chunkedBody
	pos := 0
	more := func(what string) (chunkedBody, int, error) {
		if atEOF {
			return b, len(data), fmt.Errorf("%w: in chunked body (%s)", ErrTruncated, what)
		}
		return b, pos, ErrIncomplete
	}
	for {
		line, n, lf, ok := nextLine(data[pos:])
		if !ok {
			return more("chunk size line")
		}
		b.bareLF = b.bareLF || lf
		size, err := parseChunkSize(line)
		if err != nil {
			return b, pos, err
		}
		pos += n
		if size == 0 {
			b.chunks = append(b.chunks, Chunk{SizeLine: string(line), Size: 0})
			b.last = true
			trailers, m, lf, err := parseFields(data[pos:], atEOF, "trailer")
			b.trailers = trailers
			b.bareLF = b.bareLF || lf
			if err == ErrIncomplete {
				return b, pos, err
			}
			if err != nil {
				return b, len(data), err
			}
			return b, pos + m, nil
		}
		if int64(len(data)-pos) < size {
			if atEOF {
				partial := data[pos:]
				b.chunks = append(b.chunks, Chunk{SizeLine: string(line), Size: size, Data: append([]byte(nil), partial...)})
				b.data = append(b.data, partial...)
			}
			return more("chunk data")
		}
		chunk := data[pos : pos+int(size)]
		b.chunks = append(b.chunks, Chunk{SizeLine: string(line), Size: size, Data: append([]byte(nil), chunk...)})
		b.data = append(b.data, chunk...)
		pos += int(size)
		switch {
		case bytes.HasPrefix(data[pos:], []byte("\r\n")):
			pos += 2
		case bytes.HasPrefix(data[pos:], []byte("\n")):
			b.bareLF = true
			pos++
		case len(data)-pos < 2 && bytes.HasPrefix([]byte("\r\n"), data[pos:]):
			return more("chunk data end")
		default:
			return b, pos, fmt.Errorf("%w: chunk of %d bytes not followed by CRLF", ErrMalformed, size)
		}
	}
}

// parseChunkSize reads the hexadecimal size at the start of a chunk-size
// line, ignoring extensions after ';' and blanks before them.
func parseChunkSize(line []byte) (int64, error) {
	end := 0
	for end < len(line) && isHex(line[end]) {
		end++
	}
	if end == 0 || end > 16 {
		return 0, fmt.Errorf("%w: chunk size line %q", ErrMalformed, line)
	}
	rest := bytes.TrimLeft(line[end:], " \t")
	if len(rest) > 0 && rest[0] != ';' {
		return 0, fmt.Errorf("%w: chunk size line %q", ErrMalformed, line)
	}
	size, err := strconv.ParseInt(string(line[:end]), 16, 64)
	if err != nil || size > maxChunkSize {
		return 0, fmt.Errorf("%w: chunk size %q", ErrMalformed, line[:end])
	}
	return size, nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
