package ssi

import (
	"bytes"
	"fmt"
)

// The SSI command parser: a state machine fed with body pieces as they
// come, so that a command may be split anywhere across pieces. Its states
// and error messages are those of nginx's ngx_http_ssi_parse.

// Event is what a Parse step found after its text.
type Event uint8

const (
	// None: the step only has text (or nothing): feed more input.
	None Event = iota
	// Command: a complete command ("<!--#name k="v" ... -->"); see
	// Parser.Command and Parser.Params.
	Command
	// Malformed: a malformed command ended with its "-->" (its error was
	// reported by an earlier step's Log).
	Malformed
)

// Param is one parameter of a command. The value keeps its backslash
// escapes; Evaluate resolves them.
type Param struct {
	Key, Value string
}

// Step is the result of one Parse call.
type Step struct {
	// Prefix is how many bytes of "<!--" to output before Text: the start
	// of a would-be command, in earlier input, that turned out to be text.
	Prefix int
	// Text is plain text to output: always a prefix of the input given.
	Text []byte
	// N is how many input bytes the step consumed.
	N int
	// Event is what the step ended with.
	Event Event
	// Log is an error to report now (nginx logs it when it sees it); the
	// command is then skipped up to its "-->" (a Malformed event).
	Log string
}

type state uint8

const (
	stText state = iota
	stTag        // matching "<!--#": looked bytes matched
	stPreCommand
	stCommand
	stPreParam
	stParam
	stPreEqual
	stPreValue
	stDoubleQuoted
	stSingleQuoted
	stQuotedSymbol
	stPostParam
	stCommentEnd0
	stCommentEnd1
	stError
	stErrorEnd0
	stErrorEnd1
)

// Limits of a command (nginx's NGX_HTTP_SSI_COMMAND_LEN and
// NGX_HTTP_SSI_PARAM_LEN).
const (
	maxCommandLen = 32
	maxParamLen   = 32
)

const opening = "<!--#"

// Parser parses SSI commands out of a body. The zero value is ready, with
// a value length of 255 bytes (ssi_value_length's effective default).
type Parser struct {
	// ValueLen is the longest parameter value accepted (ssi_value_length).
	ValueLen int

	state state
	// looked is how many bytes of "<!--#" are matched (in stTag).
	looked int
	// carried is how many of them were in earlier input.
	carried int
	// saved is the state a backslash escape returns to.
	saved state

	command []byte
	keys    [][]byte
	values  [][]byte
	nparams int
}

func isSpace(c byte) bool { return c == ' ' || c == '\r' || c == '\n' || c == '\t' }

// Reset makes the parser start over (at the start of a body).
func (p *Parser) Reset() {
	p.state, p.looked, p.carried = stText, 0, 0
}

// Pending reports whether the parser is inside a would-be command: at the
// end of a body its bytes are dropped, as nginx drops them.
func (p *Parser) Pending() bool { return p.state != stText }

// Command is the name of the command just parsed.
func (p *Parser) Command() string { return string(p.command) }

// NParams is the number of parameters of the command just parsed.
func (p *Parser) NParams() int { return p.nparams }

// Param returns parameter i of the command just parsed.
func (p *Parser) Param(i int) Param {
	return Param{Key: string(p.keys[i]), Value: string(p.values[i])}
}

func (p *Parser) valueLen() int {
	if p.ValueLen <= 0 {
		return 255
	}
	return p.ValueLen
}

// Parse consumes input from b and stops after the first of: the end of b,
// the start of a command (its text before it is returned), the end of a
// command, or an error to log. Call it again with b[step.N:].
func (p *Parser) Parse(b []byte) (st Step) {
	i := 0
	textEnd := 0
	for i < len(b) {
		c := b[i]
		switch p.state {
		case stText:
			k := bytes.IndexByte(b[i:], '<')
			if k < 0 {
				i = len(b)
				textEnd = i
				continue
			}
			i += k
			textEnd = i
			p.state, p.looked, p.carried = stTag, 1, 0
			i++
			continue

		case stTag:
			if c == opening[p.looked] {
				p.looked++
				i++
				if p.looked == len(opening) {
					// a command starts; what of "<!--" came earlier is part of it
					p.carried = 0
					p.state = stPreCommand
					st.Text, st.N = b[:textEnd], i
					return st
				}
				continue
			}
			// not a command: the bytes matched are text
			st.Prefix += p.carried
			p.carried = 0
			if c == '<' {
				textEnd = i
				p.looked = 1
				i++
				continue
			}
			p.state, p.looked = stText, 0
			continue

		case stPreCommand:
			if !isSpace(c) {
				p.command = append(p.command[:0], c)
				p.nparams = 0
				p.state = stCommand
			}

		case stCommand:
			switch {
			case isSpace(c):
				p.state = stPreParam
			case c == '-':
				p.state = stCommentEnd0
			case len(p.command) == maxCommandLen:
				return p.fail(st, b, i+1, stError, "the \"%s%c...\" SSI command is too long", p.command, c)
			default:
				p.command = append(p.command, c)
			}

		case stPreParam:
			switch {
			case isSpace(c):
			case c == '-':
				p.state = stCommentEnd0
			default:
				p.addParam(c)
				p.state = stParam
			}

		case stParam:
			key := p.keys[p.nparams-1]
			switch {
			case isSpace(c):
				p.state = stPreEqual
			case c == '=':
				p.state = stPreValue
			case c == '-':
				return p.fail(st, b, i+1, stErrorEnd0, "unexpected \"-\" symbol after \"%s\" parameter in \"%s\" SSI command", key, p.command)
			case len(key) == maxParamLen:
				return p.fail(st, b, i+1, stError, "too long \"%s%c...\" parameter in \"%s\" SSI command", key, c, p.command)
			default:
				p.keys[p.nparams-1] = append(key, c)
			}

		case stPreEqual:
			switch {
			case isSpace(c):
			case c == '=':
				p.state = stPreValue
			default:
				return p.fail(st, b, i+1, errorState(c), "unexpected \"%c\" symbol after \"%s\" parameter in \"%s\" SSI command", c, p.keys[p.nparams-1], p.command)
			}

		case stPreValue:
			switch {
			case isSpace(c):
			case c == '"':
				p.state = stDoubleQuoted
			case c == '\'':
				p.state = stSingleQuoted
			default:
				return p.fail(st, b, i+1, errorState(c), "unexpected \"%c\" symbol before value of \"%s\" parameter in \"%s\" SSI command", c, p.keys[p.nparams-1], p.command)
			}

		case stDoubleQuoted, stSingleQuoted:
			quote := byte('"')
			if p.state == stSingleQuoted {
				quote = '\''
			}
			if c == quote {
				p.state = stPostParam
				break
			}
			if c == '\\' {
				p.saved = p.state
				p.state = stQuotedSymbol
			}
			if !p.appendValue(c) {
				return p.tooLongValue(st, b, i, c)
			}

		case stQuotedSymbol:
			p.state = p.saved
			if !p.appendValue(c) {
				return p.tooLongValue(st, b, i, c)
			}

		case stPostParam:
			switch {
			case isSpace(c):
				p.state = stPreParam
			case c == '-':
				p.state = stCommentEnd0
			default:
				n := p.nparams - 1
				return p.fail(st, b, i+1, stError, "unexpected \"%c\" symbol after \"%s\" value of \"%s\" parameter in \"%s\" SSI command", c, p.values[n], p.keys[n], p.command)
			}

		case stCommentEnd0:
			if c != '-' {
				return p.fail(st, b, i+1, stError, "unexpected \"%c\" symbol in \"%s\" SSI command", c, p.command)
			}
			p.state = stCommentEnd1

		case stCommentEnd1:
			if c != '>' {
				return p.fail(st, b, i+1, stError, "unexpected \"%c\" symbol in \"%s\" SSI command", c, p.command)
			}
			p.state = stText
			st.Text, st.N, st.Event = b[:textEnd], i+1, Command
			return st

		case stError:
			if c == '-' {
				p.state = stErrorEnd0
			}

		case stErrorEnd0:
			if c == '-' {
				p.state = stErrorEnd1
			} else {
				p.state = stError
			}

		case stErrorEnd1:
			if c == '>' {
				p.state = stText
				st.Text, st.N, st.Event = b[:textEnd], i+1, Malformed
				return st
			}
			p.state = stError
		}
		i++
	}
	if p.state == stTag {
		// a would-be command at the end of the input: held back
		p.carried = p.looked
	}
	st.Text, st.N = b[:textEnd], len(b)
	return st
}

// errorState is where a bad symbol leads: a '-' may already start the
// closing "-->".
func errorState(c byte) state {
	if c == '-' {
		return stErrorEnd0
	}
	return stError
}

// fail ends a step with an error to log, having consumed b[:n].
func (p *Parser) fail(st Step, b []byte, n int, next state, format string, args ...any) Step {
	p.state = next
	st.Text, st.N = b[:0], n
	st.Log = fmt.Sprintf(format, args...)
	return st
}

func (p *Parser) tooLongValue(st Step, b []byte, i int, c byte) Step {
	n := p.nparams - 1
	return p.fail(st, b, i+1, stError, "too long \"%s%c...\" value of \"%s\" parameter in \"%s\" SSI command", p.values[n], c, p.keys[n], p.command)
}

func (p *Parser) addParam(c byte) {
	if p.nparams == len(p.keys) {
		p.keys = append(p.keys, nil)
		p.values = append(p.values, nil)
	}
	p.keys[p.nparams] = append(p.keys[p.nparams][:0], c)
	p.values[p.nparams] = p.values[p.nparams][:0]
	p.nparams++
}

func (p *Parser) appendValue(c byte) bool {
	n := p.nparams - 1
	if len(p.values[n]) == p.valueLen() {
		return false
	}
	p.values[n] = append(p.values[n], c)
	return true
}
