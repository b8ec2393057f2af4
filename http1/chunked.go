package http1

import "math"

// chState is the chunked decoder's position in the grammar.
type chState uint8

const (
	chChunkStart chState = iota
	chChunkSize
	chChunkExtension
	chChunkExtensionAlmostDone
	chChunkData
	chAfterData
	chAfterDataAlmostDone
	chLastChunkExtension
	chLastChunkExtensionAlmostDone
	chTrailer
	chTrailerAlmostDone
	chTrailerHeader
	chTrailerHeaderAlmostDone
	chDone
	chFailed
)

// maxChunkSize bounds a chunk size as nginx bounds it by its off_t.
const maxChunkSize = math.MaxInt64

// Chunked decodes the chunked transfer coding the way nginx's
// ngx_http_parse_chunked does, resumable across any split of the input.
//
// Parse returns OK with one span of chunk data in buf[DataStart:DataEnd]
// and advances past it; the caller copies or forwards the span and calls
// again. Chunk sizes, extensions, CRLFs and the last chunk are consumed
// without being reported.
//
// Unlike the header parsers, the decoder needs no earlier bytes: a caller
// may pass each newly read buffer on its own after setting Pos to 0.
//
// Trailers: with KeepTrailers unset the decoder checks the trailer section
// only for its line structure and drops it, returning Done after the final
// empty line. With KeepTrailers set (nginx's proxy_pass_trailers) it
// returns Done right after the last-chunk line "0\r\n", with Pos at the
// first trailer line; the caller parses the trailer fields with a
// HeaderParser (Upstream and AllowUnderscores set, as nginx does) from Pos
// until HeaderDone.
//
// The zero value is ready to use. Once Done or Invalid is returned, further
// calls return it again; call Reset before decoding another body.
type Chunked struct {
	// KeepTrailers makes Done come right after the last-chunk line, leaving
	// the trailer section to the caller.
	KeepTrailers bool

	// Pos is where the next call to Parse resumes. After Done it is just
	// past the end of the chunked body; after Invalid, the offending byte.
	Pos int

	// DataStart and DataEnd delimit the chunk data returned with OK.
	DataStart, DataEnd int

	// Size is what remains of the current chunk's data (nginx's ctx->size).
	Size int64
	// Length is the smallest number of bytes still needed to finish the
	// body, assuming the next chunk is the last one; nginx's proxy waits
	// for at least this much. It is updated on every OK and NeedMore.
	Length int64

	state chState
}

// Reset returns c to its zero state, keeping KeepTrailers, with Pos at 0.
func (c *Chunked) Reset() { *c = Chunked{KeepTrailers: c.KeepTrailers} }

// Shift moves the recorded offsets n bytes towards the start.
func (c *Chunked) Shift(n int) {
	c.Pos -= n
	c.DataStart -= n
	c.DataEnd -= n
}

// fail records an error at offset i.
func (c *Chunked) fail(i int) Result {
	c.Pos = i
	c.state = chFailed
	return Invalid
}

// Parse continues decoding buf from c.Pos. It returns OK with a span of
// data, NeedMore when buf is exhausted, Done at the end of the body, or
// Invalid.
//
// As in nginx: sizes are hex without sign or prefix and must fit in 63
// bits; an extension starts with ';', space or tab and runs to CR; every
// line ends in CR LF (a bare LF is Invalid); trailer lines are not
// checked beyond that.
func (c *Chunked) Parse(buf []byte) Result {
	switch c.state {
	case chFailed:
		return Invalid
	case chDone:
		return Done
	}
	st := c.state
	i := c.Pos
	if i < 0 {
		i = 0
	}
	n := len(buf)

	if st == chChunkData && c.Size == 0 {
		st = chAfterData
	}

	for ; i < n; i++ {
		ch := buf[i]

		switch st {
		case chChunkStart:
			v, ok := hexVal(ch)
			if !ok {
				return c.fail(i)
			}
			c.Size = int64(v)
			st = chChunkSize

		case chChunkSize:
			if c.Size > maxChunkSize/16 {
				return c.fail(i)
			}
			if v, ok := hexVal(ch); ok {
				c.Size = c.Size*16 + int64(v)
				continue
			}
			last := c.Size == 0
			switch ch {
			case cr:
				if last {
					st = chLastChunkExtensionAlmostDone
				} else {
					st = chChunkExtensionAlmostDone
				}
			case ';', ' ', '\t':
				if last {
					st = chLastChunkExtension
				} else {
					st = chChunkExtension
				}
			default:
				return c.fail(i)
			}

		case chChunkExtension, chLastChunkExtension:
			switch ch {
			case cr:
				st++ // to the matching AlmostDone state
			case lf:
				return c.fail(i)
			}

		case chChunkExtensionAlmostDone:
			if ch != lf {
				return c.fail(i)
			}
			st = chChunkData

		case chChunkData:
			if c.Size > maxChunkSize-9 {
				return c.fail(i)
			}
			span := int64(n - i)
			if span > c.Size {
				span = c.Size
			}
			c.DataStart = i
			c.DataEnd = i + int(span)
			c.Size -= span
			c.Pos = c.DataEnd
			c.state = chChunkData
			c.setLength(chChunkData)
			return OK

		case chAfterData:
			if ch != cr {
				return c.fail(i)
			}
			st = chAfterDataAlmostDone

		case chAfterDataAlmostDone:
			if ch != lf {
				return c.fail(i)
			}
			st = chChunkStart

		case chLastChunkExtensionAlmostDone:
			if ch != lf {
				return c.fail(i)
			}
			if c.KeepTrailers {
				return c.done(i)
			}
			st = chTrailer

		case chTrailer:
			switch ch {
			case cr:
				st = chTrailerAlmostDone
			case lf:
				return c.fail(i)
			default:
				st = chTrailerHeader
			}

		case chTrailerAlmostDone:
			if ch != lf {
				return c.fail(i)
			}
			return c.done(i)

		case chTrailerHeader:
			switch ch {
			case cr:
				st = chTrailerHeaderAlmostDone
			case lf:
				return c.fail(i)
			}

		case chTrailerHeaderAlmostDone:
			if ch != lf {
				return c.fail(i)
			}
			st = chTrailer
		}
	}

	c.Pos = i
	c.state = st
	if c.Size > maxChunkSize-9 {
		return c.fail(i)
	}
	c.setLength(st)
	return NeedMore
}

// setLength computes the Length hint for state st: the bytes still needed
// if the rest of the body is as short as it can be.
func (c *Chunked) setLength(st chState) {
	var l int64
	switch st {
	case chChunkStart:
		l = 5 // "0" CRLF CRLF
	case chChunkSize:
		if c.Size != 0 {
			l = 2 + c.Size + 7 // CRLF data CRLF "0" CRLF CRLF
		} else {
			l = 2 + 2
		}
	case chChunkExtension:
		l = 2 + c.Size + 7
	case chChunkExtensionAlmostDone:
		l = 1 + c.Size + 7
	case chChunkData:
		l = c.Size + 7
	case chAfterData:
		l = 7
	case chAfterDataAlmostDone:
		l = 6
	case chLastChunkExtension:
		l = 4
	case chLastChunkExtensionAlmostDone:
		l = 3
	case chTrailer:
		l = 2
	case chTrailerAlmostDone:
		l = 1
	case chTrailerHeader:
		l = 4
	case chTrailerHeaderAlmostDone:
		l = 3
	}
	c.Length = l
}

// done finishes the body at the LF at offset i.
func (c *Chunked) done(i int) Result {
	c.Pos = i + 1
	c.state = chDone
	c.Length = 0
	return Done
}
