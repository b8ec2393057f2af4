package syntax

import (
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct {
		name, word, want string
	}{
		{"plain", "worker_processes", "worker_processes"},
		{"empty", "", `""`},
		{"space", "a b", `"a b"`},
		{"semicolon", "a;b", `"a;b"`},
		{"brace", "a{", `"a{"`},
		{"variable brace", "${a}", "${a}"},
		{"variable braces", "$${{a", "$${{a"},
		{"brace after escaped dollar", `\${`, `"\${"`},
		{"close brace inside", "a}", "a}"},
		{"close brace first", "}a", `"}a"`},
		{"hash inside", "a#", "a#"},
		{"hash first", "#a", `"#a"`},
		{"double quote first", `"a`, `\"a`},
		{"double quote inside", `a"b`, `a"b`},
		{"single quote first", `'a`, `\'a`},
		{"tab", "a\tb", `a\tb`},
		{"newline", "a\nb", `a\nb`},
		{"cr", "\r", `\r`},
		{"tab and space", "a\t b", "\"a\t b\""},
		{"backslash before plain", `a\d`, `a\d`},
		{"backslash before space", `a\ b`, `a\ b`},
		{"backslash before semicolon", `\;`, `\;`},
		{"backslash before t", `\t`, `\\t`},
		{"backslash at end", `a\`, `a\\`},
		{"double backslash", `\\`, `\\\\`},
		{"both quotes", `a "b" 'c'`, `"a \"b\" 'c'"`},
		{"many double quotes", `x ""`, `'x ""'`},
		{"many single quotes", `x ''`, `"x ''"`},
		{"backslash in quotes", `a \"`, `'a \\"'`},
		{"paren", ")", ")"},
		{"nul", "\x00", "\x00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Quote(tc.word)
			if got != tc.want {
				t.Errorf("Quote(%q) = %q, want %q", tc.word, got, tc.want)
			}
			src := "x " + got + ";"
			tree, err := Parse("q.conf", []byte(src))
			if err != nil || len(tree) != 1 || len(tree[0].Args) != 1 || tree[0].Args[0] != tc.word {
				t.Errorf("Parse(%q) = %s, %v; want the word %q back", src, render(tree), err, tc.word)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		tree []*Directive
		want string
	}{
		{"empty", nil, ""},
		{"directive", []*Directive{{Name: "a", Args: []string{"b", "c d"}}}, "a b \"c d\";\n"},
		{"empty name", []*Directive{{Name: ""}}, "\"\";\n"},
		{"blocks", []*Directive{
			{Name: "events", Block: []*Directive{}},
			{Name: "http", Block: []*Directive{
				{Name: "server", Block: []*Directive{{Name: "listen", Args: []string{"80"}}}},
			}},
		}, "events {\n}\nhttp {\n    server {\n        listen 80;\n    }\n}\n"},
		{"error node left out", []*Directive{
			{Name: "a", Block: []*Directive{{Name: "b"}, {Err: &Error{Msg: "x"}}}},
		}, "a {\n    b;\n}\n"},
		{"paren glued after quote", []*Directive{
			{Name: "if", Args: []string{"($a", "=", "b c", ")"}, Block: []*Directive{}},
		}, "if ($a = \"b c\") {\n}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(Format(tc.tree))
			if got != tc.want {
				t.Errorf("Format:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestFormatLongQuoted checks that words at nginx's length limit survive
// the round trip, where a space after the closing quote would not.
func TestFormatLongQuoted(t *testing.T) {
	long := strings.Repeat("a ", (bufferSize-2)/2) // 4094 bytes, needs quotes
	for _, src := range []string{
		`x "` + long + `"{}`,
		`x "` + long + `")y;`,
		`x "` + long + `";`,
	} {
		tree, err := Parse("l.conf", []byte(src))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		out := Format(tree)
		back, err := Parse("l.conf", out)
		if err != nil || !sameShape(tree, back) {
			t.Errorf("round trip of %.20q...: %v", src, err)
		}
	}
}

func TestFormatRoundTripSamples(t *testing.T) {
	for _, name := range sampleConfs(t) {
		t.Run(name, func(t *testing.T) {
			src := readTestdata(t, name)
			tree, err := Parse(name, src)
			if err != nil {
				t.Fatalf("sample does not parse: %v", err)
			}
			back, err := Parse(name, Format(tree))
			if err != nil || !sameShape(tree, back) {
				t.Errorf("Format round trip differs: %v\n%s", err, Format(tree))
			}
		})
	}
}
