package rewrite

import "fmt"

// condKind is the form of an "if" condition.
type condKind uint8

const (
	condVar condKind = iota
	condCompare
	condRegex
	condFile
)

// condForm is an "if" condition taken apart, before anything is compiled.
type condForm struct {
	kind condKind
	// name is the variable's name without "$" (all but file tests).
	name string
	// operand is the comparison value, the regex, or the file path.
	operand string
	// not negates the test ("!=", "!~", "!~*", "!-f"...); caseless is
	// "~*" and "!~*".
	not, caseless bool
	// letter is the file test's letter ('f', 'd', 'e', 'x', or another
	// byte, which compiling reports as invalid after the path compiled, as
	// nginx does); word is the file test's operator as written.
	letter byte
	word   string
}

// splitCondition takes an "if" condition apart from the directive's
// arguments as ngx_http_rewrite_if_condition does: "(" and ")" may stand
// alone or stick to the first and last words; errors are nginx's messages
// without position.
func splitCondition(words []string) (condForm, error) {
	var f condForm
	if len(words) == 0 {
		return f, fmt.Errorf("invalid condition \"\"")
	}
	args := append([]string(nil), words...)
	invalid := func(s string) error { return fmt.Errorf("invalid condition \"%s\"", s) }

	if args[0] == "" || args[0][0] != '(' {
		return f, invalid(args[0])
	}
	cur := 0
	if len(args[0]) == 1 {
		cur = 1
	} else {
		args[0] = args[0][1:]
	}
	last := len(args) - 1
	if lw := args[last]; lw == "" || lw[len(lw)-1] != ')' {
		return f, invalid(lw)
	}
	if len(args[last]) == 1 {
		last--
	} else {
		args[last] = args[last][:len(args[last])-1]
	}
	p := args[cur]

	if len(p) > 1 && p[0] == '$' {
		if cur != last && cur+2 != last {
			return f, invalid(p)
		}
		f.name = p[1:]
		if cur == last {
			f.kind = condVar
			return f, nil
		}
		op := args[cur+1]
		f.operand = args[last]
		switch op {
		case "=", "!=":
			f.kind, f.not = condCompare, op == "!="
		case "~", "~*", "!~", "!~*":
			f.kind, f.not, f.caseless = condRegex, op[0] == '!', op[len(op)-1] == '*'
		default:
			return f, fmt.Errorf("unexpected \"%s\" in condition", op)
		}
		return f, nil
	}

	if len(p) == 2 && p[0] == '-' || len(p) == 3 && p[0] == '!' && p[1] == '-' {
		if cur+1 != last {
			return f, invalid(p)
		}
		f.kind, f.operand, f.word = condFile, args[last], p
		f.not = p[0] == '!'
		f.letter = p[len(p)-1]
		return f, nil
	}
	return f, invalid(p)
}
