package log

import (
	"fmt"
	"strings"
)

// escapeMode is a log format's escaping of variable values.
type escapeMode uint8

const (
	escapeDefault escapeMode = iota
	escapeJSON
	escapeNone
)

// token is one piece of a log format: literal text, or a variable name.
type token struct {
	text  string
	isVar bool
}

// formatError is a log_format error with nginx's wording.
type formatError struct{ msg string }

func (e *formatError) Error() string { return e.msg }

// parseFormat splits the strings of a log format (concatenated, as nginx
// does) into literal text and variable names, with the escape= prefix of
// the first string (ngx_http_log_compile_format). allowEscape is false for
// the predefined combined format.
func parseFormat(args []string) ([]token, escapeMode, error) {
	esc := escapeDefault
	if len(args) > 0 && strings.HasPrefix(args[0], "escape=") {
		switch v := args[0][len("escape="):]; v {
		case "json":
			esc = escapeJSON
		case "none":
			esc = escapeNone
		case "default":
		default:
			return nil, 0, &formatError{fmt.Sprintf("unknown log format escaping \"%s\"", v)}
		}
		args = args[1:]
	}
	var toks []token
	for _, a := range args {
		for i := 0; i < len(a); {
			if a[i] != '$' {
				j := strings.IndexByte(a[i+1:], '$')
				if j < 0 {
					j = len(a)
				} else {
					j += i + 1
				}
				toks = appendText(toks, a[i:j])
				i = j
				continue
			}
			start := i
			i++
			if i == len(a) {
				return nil, 0, invalidParam(a[start:])
			}
			bracket := false
			if a[i] == '{' {
				bracket = true
				i++
				if i == len(a) {
					return nil, 0, invalidParam(a[start:])
				}
			}
			nameStart := i
			for i < len(a) {
				ch := a[i]
				if ch == '}' && bracket {
					break
				}
				if isVarChar(ch) {
					i++
					continue
				}
				break
			}
			name := a[nameStart:i]
			if bracket {
				if i == len(a) || a[i] != '}' {
					return nil, 0, &formatError{fmt.Sprintf("the closing bracket in \"%s\" variable is missing", name)}
				}
				i++
			}
			if name == "" {
				return nil, 0, invalidParam(a[start:])
			}
			toks = append(toks, token{text: name, isVar: true})
		}
	}
	return toks, esc, nil
}

// appendText adds literal text, joining it to a literal before it (the
// strings of a format are concatenated).
func appendText(toks []token, s string) []token {
	if n := len(toks); n > 0 && !toks[n-1].isVar {
		toks[n-1].text += s
		return toks
	}
	return append(toks, token{text: s})
}

func invalidParam(s string) error {
	return &formatError{fmt.Sprintf("invalid parameter \"%s\"", s)}
}

func isVarChar(ch byte) bool {
	return ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_'
}

// combinedFormat is nginx's predefined "combined" format.
const combinedFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`
