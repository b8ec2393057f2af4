package ssi

import (
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/internal/ascii"
)

// Evaluation of parameter values (ngx_http_ssi_evaluate_string): "$name"
// and "${name}" are replaced by variables, backslash escapes are resolved,
// and an include's relative URI gets the directory of the current URI.

// Lookup finds a variable for Evaluate: SSI variables first, then the
// server's; found=false leaves the reference empty.
type Lookup func(name string) (value string, found bool)

// evalError is a malformed value; its text is logged.
type evalError struct{ msg string }

func (e *evalError) Error() string { return e.msg }

// Evaluate expands text. With addPrefix, a result whose first non-empty
// part does not start with '/' is prefixed with uri up to its last '/'.
// Variable names are lowercased before lookup.
func Evaluate(text, uri string, addPrefix bool, lookup Lookup) (string, error) {
	if strings.IndexByte(text, '$') < 0 {
		prefix := ""
		if addPrefix && (text == "" || text[0] != '/') {
			prefix = dirOf(uri)
		}
		return prefix + unescape(text), nil
	}
	var parts []string
	for i := 0; i < len(text); {
		if text[i] != '$' {
			// a literal part, up to an unescaped '$'
			var b strings.Builder
			quoted := false
			for ; i < len(text); i++ {
				c := text[i]
				if !quoted {
					if c == '\\' {
						quoted = true
						continue
					}
					if c == '$' {
						break
					}
				} else {
					quoted = false
					if c != '\\' && c != '\'' && c != '"' && c != '$' {
						b.WriteByte('\\')
					}
				}
				b.WriteByte(c)
			}
			parts = append(parts, b.String())
			continue
		}
		i++
		if i == len(text) {
			return "", invalidVariable(text)
		}
		bracket := false
		if text[i] == '{' {
			bracket = true
			i++
			if i == len(text) {
				return "", invalidVariable(text)
			}
		}
		start, end := i, -1
		for ; i < len(text); i++ {
			c := text[i]
			if c == '}' && bracket {
				end = i
				i++
				bracket = false
				break
			}
			if !isNameChar(c) {
				break
			}
		}
		if end < 0 {
			end = i
		}
		name := text[start:end]
		if bracket {
			return "", &evalError{fmt.Sprintf("the closing bracket in \"%s\" variable is missing", name)}
		}
		if name == "" {
			return "", invalidVariable(text)
		}
		v, ok := lookup(ascii.ToLower(name))
		if !ok {
			continue
		}
		parts = append(parts, v)
	}
	prefix := ""
	if addPrefix {
		for _, p := range parts {
			if p != "" {
				if p[0] != '/' {
					prefix = dirOf(uri)
				}
				break
			}
		}
	}
	return prefix + strings.Join(parts, ""), nil
}

func invalidVariable(text string) error {
	return &evalError{fmt.Sprintf("invalid variable name in \"%s\"", text)}
}

func isNameChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}

// unescape resolves backslash escapes: \\ \' \" \$ stand for the character,
// a backslash before anything else stays, a trailing one goes.
func unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !quoted {
			if c == '\\' {
				quoted = true
				continue
			}
		} else {
			quoted = false
			if c != '\\' && c != '\'' && c != '"' && c != '$' {
				b = append(b, '\\')
			}
		}
		b = append(b, c)
	}
	return string(b)
}

// dirOf is uri up to and including its last '/' ("" without one).
func dirOf(uri string) string {
	if i := strings.LastIndexByte(uri, '/'); i >= 0 {
		return uri[:i+1]
	}
	return ""
}
