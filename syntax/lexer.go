package syntax

import "strings"

// This file holds the tokenizer. It reproduces, byte for byte, what nginx's
// configuration reader accepts and rejects, including where it stops and
// which line it blames. The structure is a plain state machine over the
// whole file held in memory; nginx's fixed read buffer is emulated by the
// span check described at bufferSize.

// bufferSize is the size of nginx's configuration read buffer
// (NGX_CONF_BUFFER). nginx refills the buffer by keeping the bytes from the
// start of the token being read and appending as much of the file as fits.
// When the buffer is full and the token still has not ended, it gives up
// with a "too long parameter" error. Working through the refill arithmetic,
// every refill leaves the buffer holding exactly bufferSize bytes counted
// from the token start it kept, so the error happens exactly when the lexer
// is about to read the byte bufferSize bytes after the current token start
// and that byte exists in the file (at end of file the end-of-file rules
// apply instead). The lexer checks that condition directly.
const bufferSize = 4096

// tokKind is the outcome of one call to lexer.next.
type tokKind int

const (
	// tokDirective: words terminated by ";".
	tokDirective tokKind = iota
	// tokBlockStart: words terminated by "{".
	tokBlockStart
	// tokBlockEnd: a "}" where a directive could start.
	tokBlockEnd
	// tokEOF: the input ended between directives.
	tokEOF
	// tokError: a syntax error; see lexer.errMsg and lexer.line.
	tokError
)

// lexState is where the lexer is inside one directive.
type lexState int

const (
	stBetween    lexState = iota // between words (a word may start here)
	stComment                    // after "#", until the end of the line
	stBare                       // inside an unquoted word
	stDouble                     // inside "..."
	stSingle                     // inside '...'
	stAfterQuote                 // right after a closing quote
)

// lexer reads directives' words from src.
type lexer struct {
	src   string // words are substrings of it unless they hold escapes
	pos   int    // next byte to read
	line  int    // nginx's line counter: 1 plus the LFs read so far
	param bool   // -g text: different end-of-input wording, no buffer limit

	words  []string // words read by the last next call; reused by the next one
	errMsg string   // message of the last tokError
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// fail records a syntax error and returns tokError.
func (lx *lexer) fail(msg string) tokKind {
	lx.errMsg = msg
	return tokError
}

// unexpected is nginx's message for a byte that may not appear where it does.
func unexpected(c byte) string {
	return "unexpected \"" + string([]byte{c}) + "\""
}

// next reads up to and including the next ";", "{" or "}" and reports what
// it found. The words read are left in lx.words.
func (lx *lexer) next() tokKind {
	lx.words = lx.words[:0]
	st := stBetween
	start := lx.pos // where the current word (or comment) began
	startLine := lx.line
	escaped := false  // the previous byte was an escaping backslash
	variable := false // the previous bytes were "$" or "${..."

	for {
		if lx.pos >= len(lx.src) {
			if len(lx.words) > 0 || (st != stBetween && st != stComment) {
				if lx.param {
					return lx.fail(`unexpected end of parameter, expecting ";"`)
				}
				return lx.fail(`unexpected end of file, expecting ";" or "}"`)
			}
			return tokEOF
		}
		if !lx.param && lx.pos-start == bufferSize {
			lx.line = startLine
			switch st {
			case stDouble:
				return lx.fail(`too long parameter, probably missing terminating """ character`)
			case stSingle:
				return lx.fail(`too long parameter, probably missing terminating "'" character`)
			}
			return lx.fail(`too long parameter "` + string(lx.src[start:start+10]) + `..." started`)
		}

		c := lx.src[lx.pos]
		lx.pos++
		if c == '\n' {
			lx.line++
			if st == stComment {
				st = stBetween
			}
		}

		switch st {
		case stComment:
			continue

		case stAfterQuote:
			switch {
			case isSpace(c):
				// The word start is left where it was until the next
				// byte is read, exactly like nginx.
				st = stBetween
				continue
			case c == ';':
				return tokDirective
			case c == '{':
				return tokBlockStart
			case c == ')':
				// A ")" may follow a quoted word; it begins a new word.
				st = stBetween
			default:
				return lx.fail(unexpected(c))
			}
		}

		if st == stBetween {
			start = lx.pos - 1
			startLine = lx.line
			switch c {
			case ' ', '\t', '\r', '\n':
			case ';', '{':
				if len(lx.words) == 0 {
					return lx.fail(unexpected(c))
				}
				if c == '{' {
					return tokBlockStart
				}
				return tokDirective
			case '}':
				if len(lx.words) > 0 {
					return lx.fail(unexpected(c))
				}
				return tokBlockEnd
			case '#':
				st = stComment
			case '\\':
				st = stBare
				escaped = true
			case '"':
				start++
				st = stDouble
			case '\'':
				start++
				st = stSingle
			case '$':
				st = stBare
				variable = true
			default:
				st = stBare
			}
			continue
		}

		// Inside a word.
		if escaped {
			escaped = false
			continue
		}
		if c == '{' && variable {
			continue
		}
		variable = false
		switch c {
		case '\\':
			escaped = true
			continue
		case '$':
			variable = true
			continue
		}
		switch st {
		case stDouble:
			if c != '"' {
				continue
			}
			st = stAfterQuote
		case stSingle:
			if c != '\'' {
				continue
			}
			st = stAfterQuote
		default: // stBare
			if !isSpace(c) && c != ';' && c != '{' {
				continue
			}
			st = stBetween
		}
		lx.words = append(lx.words, unescape(lx.src[start:lx.pos-1]))
		switch c {
		case ';':
			return tokDirective
		case '{':
			return tokBlockStart
		}
	}
}

// unescape turns a word's raw bytes into its value: a backslash before a
// double quote, a single quote or another backslash is dropped, "\t", "\r"
// and "\n" become TAB, CR and LF, and any other backslash is kept together
// with the byte after it.
func unescape(raw string) string {
	if strings.IndexByte(raw, '\\') < 0 {
		return raw
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\\' && i+1 < len(raw) {
			switch raw[i+1] {
			case '"', '\'', '\\':
				out = append(out, raw[i+1])
				i++
				continue
			case 't':
				out = append(out, '\t')
				i++
				continue
			case 'r':
				out = append(out, '\r')
				i++
				continue
			case 'n':
				out = append(out, '\n')
				i++
				continue
			}
		}
		out = append(out, c)
	}
	return string(out)
}
