package rewrite

import (
	"fmt"
	"strings"
	"testing"
)

// testIndex hands out variable indexes by name, for compiling without a
// configuration.
type testIndex map[string]int

func (ti testIndex) index(name string) int {
	if i, ok := ti[name]; ok {
		return i
	}
	ti[name] = len(ti)
	return ti[name]
}

// describe renders a compiled value's parts: "lit", $var, $N capture, "?".
func describe(v *value, ti testIndex) string {
	if v.literal {
		return "literal:" + v.src
	}
	names := map[int]string{}
	for n, i := range ti {
		names[i] = n
	}
	var b strings.Builder
	for _, p := range v.parts {
		switch p.kind {
		case partLit:
			fmt.Fprintf(&b, "%q", p.lit)
		case partVar:
			b.WriteString("$" + names[p.n])
		case partCapture:
			fmt.Fprintf(&b, "$%d", p.n)
		case partArgs:
			b.WriteString("?")
		}
		b.WriteByte(' ')
	}
	return strings.TrimSpace(b.String())
}

func TestCompileValue(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		splitArgs bool
		want      string
		hasArgs   bool
		err       string
	}{
		{name: "literal", src: "/a/b", want: "literal:/a/b"},
		{name: "literal with question", src: "/a?b", want: "literal:/a?b", hasArgs: true},
		{name: "literal split", src: "/a?b", splitArgs: true, want: `"/a" ? "b"`, hasArgs: true},
		{name: "second question is text", src: "/a?b?c", splitArgs: true, want: `"/a" ? "b?c"`, hasArgs: true},
		{name: "variable", src: "$uri", want: "$uri"},
		{name: "braced variable", src: "${uri}x", want: `$uri "x"`},
		{name: "capture", src: "/x/$1", want: `"/x/" $1`},
		{name: "capture then digits", src: "$12", want: `$1 "2"`},
		{name: "dollar zero is a variable", src: "$0", want: "$0"},
		{name: "variable then text", src: "$a.b", want: `$a ".b"`},
		{name: "question after variable", src: "$uri?a=$1", splitArgs: true, want: `$uri ? "a=" $1`, hasArgs: true},
		{name: "question not split in redirect", src: "http://x$uri?a", want: `"http://x" $uri "?a"`, hasArgs: true},
		{name: "leading question", src: "?a", splitArgs: true, want: `? "a"`, hasArgs: true},
		{name: "dangling dollar", src: "a$", err: "invalid variable name"},
		{name: "empty braces", src: "${}", err: "invalid variable name"},
		{name: "open brace at end", src: "${", err: "invalid variable name"},
		{name: "dollar then space", src: "$ a", err: "invalid variable name"},
		{name: "unclosed brace", src: "${abc", err: `the closing bracket in "abc" variable is missing`},
		{name: "brace with space", src: "${a b}", err: `the closing bracket in "a" variable is missing`},
		{name: "empty", src: "", want: "literal:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ti := testIndex{}
			v, err := compileValue(tc.src, ti.index, tc.splitArgs)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if got := describe(v, ti); got != tc.want {
				t.Errorf("parts %s, want %s", got, tc.want)
			}
			if v.hasArgs != tc.hasArgs {
				t.Errorf("hasArgs %v, want %v", v.hasArgs, tc.hasArgs)
			}
		})
	}
}

func TestSplitCondition(t *testing.T) {
	tests := []struct {
		name  string
		words []string
		want  condForm
		err   string
	}{
		{name: "variable", words: []string{"($a)"}, want: condForm{kind: condVar, name: "a"}},
		{name: "spaced variable", words: []string{"(", "$a", ")"}, want: condForm{kind: condVar, name: "a"}},
		{name: "equal", words: []string{"($a", "=", "b)"}, want: condForm{kind: condCompare, name: "a", operand: "b"}},
		{name: "equal quoted", words: []string{"($a", "=", "b c", ")"}, want: condForm{kind: condCompare, name: "a", operand: "b c"}},
		{name: "not equal", words: []string{"($a", "!=", "b)"}, want: condForm{kind: condCompare, name: "a", operand: "b", not: true}},
		{name: "regex", words: []string{"($a", "~", "^x)"}, want: condForm{kind: condRegex, name: "a", operand: "^x"}},
		{name: "caseless regex", words: []string{"($a", "~*", "x)"}, want: condForm{kind: condRegex, name: "a", operand: "x", caseless: true}},
		{name: "negative regex", words: []string{"($a", "!~", "x)"}, want: condForm{kind: condRegex, name: "a", operand: "x", not: true}},
		{name: "negative caseless regex", words: []string{"($a", "!~*", "x)"}, want: condForm{kind: condRegex, name: "a", operand: "x", not: true, caseless: true}},
		{name: "regex ending in paren", words: []string{"($a", "~", "(x))"}, want: condForm{kind: condRegex, name: "a", operand: "(x)"}},
		{name: "file", words: []string{"(-f", "/p)"}, want: condForm{kind: condFile, operand: "/p", letter: 'f', word: "-f"}},
		{name: "not dir", words: []string{"(!-d", "/p)"}, want: condForm{kind: condFile, operand: "/p", letter: 'd', word: "!-d", not: true}},
		{name: "unknown letter kept for later", words: []string{"(-z", "/p)"}, want: condForm{kind: condFile, operand: "/p", letter: 'z', word: "-z"}},
		{name: "no open paren", words: []string{"$a)"}, err: `invalid condition "$a)"`},
		{name: "no close paren", words: []string{"($a"}, err: `invalid condition "$a"`},
		{name: "lone open paren", words: []string{"("}, err: `invalid condition "("`},
		{name: "empty parens", words: []string{"()"}, err: `invalid condition ")"`},
		{name: "spaced empty parens", words: []string{"(", ")"}, err: `invalid condition ")"`},
		{name: "lone dollar", words: []string{"($)"}, err: `invalid condition "$"`},
		{name: "not a variable", words: []string{"(a)"}, err: `invalid condition "a"`},
		{name: "two words", words: []string{"($a", "b)"}, err: `invalid condition "$a"`},
		{name: "four words", words: []string{"($a", "=", "b", "c)"}, err: `invalid condition "$a"`},
		{name: "bad operator", words: []string{"($a", "==", "b)"}, err: `unexpected "==" in condition`},
		{name: "file test without path", words: []string{"(-f)"}, err: `invalid condition "-f"`},
		{name: "file test with two paths", words: []string{"(-f", "a", "b)"}, err: `invalid condition "-f"`},
		{name: "empty first word", words: []string{""}, err: `invalid condition ""`},
		{name: "empty last word", words: []string{"($a", ""}, err: `invalid condition ""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := splitCondition(tc.words)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if f != tc.want {
				t.Errorf("form %+v, want %+v", f, tc.want)
			}
		})
	}
}

func TestTruth(t *testing.T) {
	tests := []struct {
		name, v string
		want    bool
	}{
		{"empty", "", false},
		{"zero", "0", false},
		{"double zero", "00", true},
		{"one", "1", true},
		{"word", "false", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := truth(tc.v); got != tc.want {
				t.Errorf("truth(%q) = %v", tc.v, got)
			}
		})
	}
}

// FuzzCompileValue checks that compiling never panics and that a compiled
// value's parts give back its source: literal text, variables, captures
// and the arguments marker, in order.
func FuzzCompileValue(f *testing.F) {
	for _, s := range []string{"/a/$1?b=$2", "${uri}x", "$", "${", "${a b}", "http://x$uri?a", "?", "$12$0", ""} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, src string, splitArgs bool) {
		ti := testIndex{}
		v, err := compileValue(src, ti.index, splitArgs)
		if err != nil {
			return
		}
		if v.literal {
			if strings.Contains(src, "$") || splitArgs {
				t.Fatalf("%q compiled as literal", src)
			}
			return
		}
		names := map[int]string{}
		for n, i := range ti {
			names[i] = n
		}
		var b strings.Builder
		args := 0
		for _, p := range v.parts {
			switch p.kind {
			case partLit:
				if p.lit == "" {
					t.Fatalf("%q: empty literal part", src)
				}
				b.WriteString(p.lit)
			case partVar:
				b.WriteString("${" + names[p.n] + "}")
			case partCapture:
				if p.n < 1 || p.n > 9 {
					t.Fatalf("%q: capture %d", src, p.n)
				}
				fmt.Fprintf(&b, "$%d", p.n)
			case partArgs:
				args++
				b.WriteByte('?')
			}
		}
		if args > 1 || args == 1 && !splitArgs {
			t.Fatalf("%q: %d argument markers (split %v)", src, args, splitArgs)
		}
		// Recompiling the rendering gives the same parts.
		v2, err := compileValue(b.String(), ti.index, splitArgs)
		if err != nil {
			t.Fatalf("%q rendered as %q: %v", src, b.String(), err)
		}
		if describe(v, ti) != describe(v2, ti) {
			t.Fatalf("%q: %s, rendered %q: %s", src, describe(v, ti), b.String(), describe(v2, ti))
		}
	})
}

// FuzzSplitCondition checks that taking conditions apart never panics and
// that what it returns comes from the words.
func FuzzSplitCondition(f *testing.F) {
	for _, s := range []string{"($a)", "( $a )", "($a = b)", "($a ~* ^x(y))", "(!-f /p)", "(-z x)", "()", "(", "($)", "($a == b)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		words := strings.Fields(text)
		if len(words) == 0 || len(words) > 8 {
			return
		}
		form, err := splitCondition(words)
		if err != nil {
			return
		}
		joined := strings.Join(words, " ")
		if !strings.Contains(joined, form.operand) || !strings.Contains(joined, "$"+form.name) && form.kind != condFile {
			t.Fatalf("%q: form %+v not from the words", text, form)
		}
	})
}
