package http1

// slState is the status-line parser's position in the grammar.
type slState uint8

const (
	slStart slState = iota
	slH
	slHT
	slHTT
	slHTTP
	slFirstMajorDigit
	slMajorDigit
	slFirstMinorDigit
	slMinorDigit
	slStatus
	slSpaceAfterStatus
	slStatusText
	slAlmostDone
	slFailed
)

// StatusLine parses an upstream's status line ("HTTP/1.1 200 OK") the way
// nginx's ngx_http_parse_status_line does, resumable.
//
// The zero value is ready to use. Offsets are relative to element 0 of the
// slice passed to Parse, ends are exclusive, -1 means absent. When Parse
// returns Invalid, nginx's upstream modules fall back to treating the
// response as HTTP/0.9 (a body without a header) starting at LineStart.
type StatusLine struct {
	// Pos is where the next call to Parse resumes; after OK it is just past
	// the status line's LF, after Invalid the offending byte.
	Pos int

	// LineStart is the first byte of the status line.
	LineStart int
	// Code is the three-digit status code.
	Code int
	// Start and End delimit the status text nginx keeps and relays: from
	// the code to the end of the line without CR LF ("200 OK").
	Start, End int
	// Major and Minor are the version numbers; Version is
	// Major*1000+Minor.
	Major, Minor, Version int

	count int // status digits seen
	state slState
}

// Reset returns s to its zero state with Pos at 0.
func (s *StatusLine) Reset() { *s = StatusLine{} }

// Shift moves every recorded offset n bytes towards the start.
func (s *StatusLine) Shift(n int) {
	s.Pos -= n
	s.LineStart -= n
	if s.Start >= 0 {
		s.Start -= n
	}
	if s.End >= 0 {
		s.End -= n
	}
}

// fail records an error at offset i.
func (s *StatusLine) fail(i int) Result {
	s.Pos = i
	s.state = slFailed
	return Invalid
}

// Parse continues parsing the status line in buf from s.Pos. It returns
// OK, NeedMore, or Invalid.
//
// As in nginx: the major version is 1-99 without leading zero, the minor
// version at most three digits; spaces before the code and between its
// digits are skipped; after the code comes a space, a '.' (IIS sends
// "403.1"), or the end of the line; the reason text is anything up to CR
// or LF; a bare LF ends the line, a CR must be followed by LF.
func (s *StatusLine) Parse(buf []byte) Result {
	if s.state == slFailed {
		return Invalid
	}
	st := s.state
	i := s.Pos
	if i < 0 {
		i = 0
	}
	n := len(buf)

	for ; i < n; i++ {
		c := buf[i]

		switch st {
		case slStart:
			*s = StatusLine{LineStart: i, Start: -1, End: -1}
			if c != 'H' {
				return s.fail(i)
			}
			st = slH

		case slH, slHT:
			if c != 'T' {
				return s.fail(i)
			}
			st++

		case slHTT:
			if c != 'P' {
				return s.fail(i)
			}
			st = slHTTP

		case slHTTP:
			if c != '/' {
				return s.fail(i)
			}
			st = slFirstMajorDigit

		case slFirstMajorDigit:
			if c < '1' || c > '9' {
				return s.fail(i)
			}
			s.Major = int(c - '0')
			st = slMajorDigit

		case slMajorDigit:
			if c == '.' {
				st = slFirstMinorDigit
				continue
			}
			if !isDigit(c) || s.Major > 99 {
				return s.fail(i)
			}
			s.Major = s.Major*10 + int(c-'0')

		case slFirstMinorDigit:
			if !isDigit(c) {
				return s.fail(i)
			}
			s.Minor = int(c - '0')
			st = slMinorDigit

		case slMinorDigit:
			if c == ' ' {
				st = slStatus
				continue
			}
			if !isDigit(c) || s.Minor > 99 {
				return s.fail(i)
			}
			s.Minor = s.Minor*10 + int(c-'0')

		case slStatus:
			if c == ' ' {
				continue
			}
			if !isDigit(c) {
				return s.fail(i)
			}
			s.Code = s.Code*10 + int(c-'0')
			s.count++
			if s.count == 3 {
				st = slSpaceAfterStatus
				// nginx takes the text from two bytes before the last
				// digit, even if spaces separated the digits.
				s.Start = i - 2
			}

		case slSpaceAfterStatus:
			switch c {
			case ' ', '.':
				st = slStatusText
			case cr:
				st = slAlmostDone
			case lf:
				return s.done(i)
			default:
				return s.fail(i)
			}

		case slStatusText:
			for c != cr && c != lf {
				i++
				if i == n {
					s.Pos = i
					s.state = st
					return NeedMore
				}
				c = buf[i]
			}
			if c == cr {
				st = slAlmostDone
				continue
			}
			return s.done(i)

		case slAlmostDone:
			s.End = i - 1
			if c != lf {
				return s.fail(i)
			}
			return s.done(i)
		}
	}

	s.Pos = i
	s.state = st
	return NeedMore
}

// done finishes a status line whose LF is at offset i.
func (s *StatusLine) done(i int) Result {
	s.Pos = i + 1
	if s.End < 0 {
		s.End = i
	}
	s.Version = s.Major*1000 + s.Minor
	s.state = slStart
	return OK
}
