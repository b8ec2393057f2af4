package syntax

import (
	"errors"
	"strings"
	"testing"
)

func TestParseGood(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"empty", "", ""},
		{"only space and comments", " \t\r\n# c ; { }\n  #x", ""},
		{"simple", "worker_processes 1;", `"worker_processes" "1"@1;`},
		{"no args", "a;", `"a"@1;`},
		{"no space before semicolon", "a b;c d;", `"a" "b"@1; "c" "d"@1;`},
		{"block", "events {\n  worker_connections 10;\n}\n",
			`"events"@1{"worker_connections" "10"@2;}`},
		{"empty block", "events{}", `"events"@1{}`},
		{"block brace glued to word", "http{server{listen 80;}}",
			`"http"@1{"server"@1{"listen" "80"@1;}}`},
		{"line of terminator", "a\nb\n\nc\n;\nd\n{\n}",
			`"a" "b" "c"@5; "d"@7{}`},
		{"crlf", "a b;\r\nc d;\r\n", `"a" "b"@1; "c" "d"@2;`},
		{"comment after words", "a b # c ; d\n;", `"a" "b"@2;`},
		{"hash inside word", "a b#c;", `"a" "b#c"@1;`},
		{"close brace inside word", "a b};", `"a" "b}"@1;`},
		{"double quotes", `a "b c" "d;e" "{";`, `"a" "b c" "d;e" "{"@1;`},
		{"single quotes", `a 'b "c"' '';`, `"a" "b \"c\"" ""@1;`},
		{"empty words", `"" "";`, `"" ""@1;`},
		{"quote inside bare word", `a b"c d'e;`, `"a" "b\"c" "d'e"@1;`},
		{"multi-line quoted", "a \"b\nc\";", `"a" "b\nc"@2;`},
		{"escape quotes and backslash", `a \"b \'c \\d "\"" '\'';`,
			`"a" "\"b" "'c" "\\d" "\"" "'"@1;`},
		{"escape control", `a \t\r\n "x\ty";`, `"a" "\t\r\n" "x\ty"@1;`},
		{"unknown escape kept", `a \x "\d" \;b \ c;`, `"a" "\\x" "\\d" "\\;b" "\\ c"@1;`},
		{"escaped semicolon continues", `a b\;c;`, `"a" "b\\;c"@1;`},
		{"escaped brace", `a \{ \};`, `"a" "\\{" "\\}"@1;`},
		{"escaped newline counts line", "a b\\\nc;", `"a" "b\\\nc"@2;`},
		{"escape pairs", `a \\\\ \\x;`, `"a" "\\\\" "\\x"@1;`},
		{"variable braces", `set $a ${b}c "${d}";`, `"set" "$a" "${b}c" "${d}"@1;`},
		{"variable many braces", `a ${{{x};`, `"a" "${{{x}"@1;`},
		{"variable mid-word", `a x${y}z;`, `"a" "x${y}z"@1;`},
		{"dollar then semicolon", `a $;`, `"a" "$"@1;`},
		{"paren after quote", `if ("a");`, `"if" "(\"a\")"@1;`},
		{"paren after quoted word starts word", `if $a = "b")x;`, `"if" "$a" "=" "b" ")x"@1;`},
		{"quoted then brace", `a "b"{}`, `"a" "b"@1{}`},
		{"quoted then semicolon", `a 'b';`, `"a" "b"@1;`},
		{"dollar in quotes", `a "$x{" '$';`, `"a" "$x{" "$"@1;`},
		{"nul and high bytes", "a \x00\xff;", `"a" "\x00\xff"@1;`},
		{"nested blocks", "a {\n b {\n  c;\n }\n d;\n}\ne;",
			`"a"@1{"b"@2{"c"@3;} "d"@5;} "e"@7;`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse("t.conf", []byte(tc.src))
			if err != nil {
				t.Fatalf("Parse(%q): unexpected error %v", tc.src, err)
			}
			if r := render(got); r != tc.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tc.src, r, tc.want)
			}
			for _, d := range got {
				if d.File != "t.conf" {
					t.Errorf("File = %q, want t.conf", d.File)
				}
			}
		})
	}
}

func TestParseBad(t *testing.T) {
	long := strings.Repeat("x", bufferSize)
	tests := []struct {
		name    string
		src     string
		wantErr string // err.Error() with file "t.conf"
		want    string // rendered tree, error node included
	}{
		{"stray close at top", "a;\n}\nb;",
			`unexpected "}" in t.conf:2`, `"a"@1; !"unexpected \"}\""@2`},
		{"close after words", "a {\n b c }\n",
			`unexpected "}" in t.conf:2`, `"a"@1{!"unexpected \"}\""@2}`},
		{"close after words top", "a b}\n }",
			`unexpected "}" in t.conf:2`, `!"unexpected \"}\""@2`},
		{"open without name", "a;\n{",
			`unexpected "{" in t.conf:2`, `"a"@1; !"unexpected \"{\""@2`},
		{"lone semicolon", "a { b; ; }",
			`unexpected ";" in t.conf:1`, `"a"@1{"b"@1; !"unexpected \";\""@1}`},
		{"double semicolon", "a;;",
			`unexpected ";" in t.conf:1`, `"a"@1; !"unexpected \";\""@1`},
		{"char after double quote", `a "b"c;`,
			`unexpected "c" in t.conf:1`, `!"unexpected \"c\""@1`},
		{"char after single quote", "x;\na 'b'\"c\";",
			`unexpected """ in t.conf:2`, `"x"@1; !"unexpected \"\"\""@2`},
		{"hash after quote", `a "b"#`,
			`unexpected "#" in t.conf:1`, `!"unexpected \"#\""@1`},
		{"backslash after quote", `a "b"\;`,
			`unexpected "\" in t.conf:1`, `!"unexpected \"\\\""@1`},
		{"close brace after quote", "a {\nb \"c\"}",
			`unexpected "}" in t.conf:2`, `"a"@1{!"unexpected \"}\""@2}`},
		{"nul after quote", "a \"b\"\x00;",
			"unexpected \"\x00\" in t.conf:1", `!"unexpected \"\x00\""@1`},
		{"eof in words", "a;\nb c",
			`unexpected end of file, expecting ";" or "}" in t.conf:2`,
			`"a"@1; !"unexpected end of file, expecting \";\" or \"}\""@2`},
		{"eof after space", "b c \n\n",
			`unexpected end of file, expecting ";" or "}" in t.conf:3`,
			`!"unexpected end of file, expecting \";\" or \"}\""@3`},
		{"eof in comment after words", "b c # x",
			`unexpected end of file, expecting ";" or "}" in t.conf:1`,
			`!"unexpected end of file, expecting \";\" or \"}\""@1`},
		{"eof in quote", "b \"c\n\n",
			`unexpected end of file, expecting ";" or "}" in t.conf:3`,
			`!"unexpected end of file, expecting \";\" or \"}\""@3`},
		{"eof after quote", `b "c"`,
			`unexpected end of file, expecting ";" or "}" in t.conf:1`,
			`!"unexpected end of file, expecting \";\" or \"}\""@1`},
		{"eof after backslash", `\`,
			`unexpected end of file, expecting ";" or "}" in t.conf:1`,
			`!"unexpected end of file, expecting \";\" or \"}\""@1`},
		{"eof in block", "a {\n b;\n c {\n",
			`unexpected end of file, expecting "}" in t.conf:4`,
			`"a"@1{"b"@2; "c"@3{!"unexpected end of file, expecting \"}\""@4}}`},
		{"eof in block in words", "a {\n b",
			`unexpected end of file, expecting ";" or "}" in t.conf:2`,
			`"a"@1{!"unexpected end of file, expecting \";\" or \"}\""@2}`},
		{"too long bare", "a " + long + ";",
			`too long parameter "xxxxxxxxxx..." started in t.conf:1`,
			`!"too long parameter \"xxxxxxxxxx...\" started"@1`},
		{"too long double quoted resets line", "a\n\"" + "0123456789\n" + long + "\";",
			`too long parameter, probably missing terminating """ character in t.conf:2`,
			`!"too long parameter, probably missing terminating \"\"\" character"@2`},
		{"too long single quoted", "a '" + long + "';",
			`too long parameter, probably missing terminating "'" character in t.conf:1`,
			`!"too long parameter, probably missing terminating \"'\" character"@1`},
		{"too long comment", "a;\n#" + long + "\nb;",
			`too long parameter "#xxxxxxxxx..." started in t.conf:2`,
			`"a"@1; !"too long parameter \"#xxxxxxxxx...\" started"@2`},
		{"too long after quote", "a \"" + long[:bufferSize-2] + "\" ;",
			`too long parameter "xxxxxxxxxx..." started in t.conf:1`,
			`!"too long parameter \"xxxxxxxxxx...\" started"@1`},
		{"too long inside block", "a {\n b " + long + ";\n}",
			`too long parameter "xxxxxxxxxx..." started in t.conf:2`,
			`"a"@1{!"too long parameter \"xxxxxxxxxx...\" started"@2}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse("t.conf", []byte(tc.src))
			if err == nil {
				t.Fatalf("Parse: no error, tree %s", render(got))
			}
			if err.Error() != tc.wantErr {
				t.Errorf("error\n got %q\nwant %q", err.Error(), tc.wantErr)
			}
			if r := render(got); r != tc.want {
				t.Errorf("tree\n got %s\nwant %s", r, tc.want)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error is %T, want *Error", err)
			}
			if n := lastErrNode(got); n == nil || n.Err != se || n.File != "t.conf" || n.Line != se.Line {
				t.Errorf("error node %+v does not carry the returned error %+v", n, se)
			}
		})
	}
}

// TestTooLongBoundary checks the emulated read buffer at the exact limit,
// wherever the word starts in the file.
func TestTooLongBoundary(t *testing.T) {
	for _, off := range []int{0, 1, 100, 4000, 4094, 4095, 4096, 4097, 8191, 9000} {
		// Padding made of short comment lines and blanks, so that the
		// word starts at byte off.
		pad := strings.Repeat("#"+strings.Repeat("p", 98)+"\n", off/100) + strings.Repeat(" ", off%100)
		for _, tc := range []struct {
			kind string
			word func(n int) string
			max  int // longest word content that is accepted
		}{
			{"bare", func(n int) string { return strings.Repeat("w", n) }, bufferSize - 1},
			{"double", func(n int) string { return `"` + strings.Repeat("w", n) + `"` }, bufferSize - 2},
			{"single", func(n int) string { return `'` + strings.Repeat("w", n) + `'` }, bufferSize - 2},
		} {
			for _, n := range []int{tc.max - 1, tc.max, tc.max + 1, tc.max + 2} {
				src := pad + tc.word(n) + ";\nx;"
				_, err := Parse("t.conf", []byte(src))
				if ok := err == nil; ok != (n <= tc.max) {
					t.Errorf("offset %d, %s word of %d bytes: err = %v", off, tc.kind, n, err)
				}
			}
		}
	}
	// A word ending exactly at the end of the file is an end-of-file
	// error, not a "too long" one.
	_, err := Parse("t.conf", []byte(strings.Repeat("w", bufferSize)))
	if err == nil || !strings.HasPrefix(err.Error(), "unexpected end of file") {
		t.Errorf("word filling the whole file: err = %v", err)
	}
}

func TestParseParam(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		wantErr string
		want    string
	}{
		{"empty", "", "", ""},
		{"one", "daemon off;", "", `"daemon" "off"@0;`},
		{"two", "daemon off; master_process on;", "", `"daemon" "off"@0; "master_process" "on"@0;`},
		{"multi-line", "a\nb;\nc;", "", `"a" "b"@0; "c"@0;`},
		{"eof in directive", "daemon off",
			`unexpected end of parameter, expecting ";" in command line`,
			`!"unexpected end of parameter, expecting \";\""@0`},
		{"eof after directive", "a; b",
			`unexpected end of parameter, expecting ";" in command line`,
			`"a"@0; !"unexpected end of parameter, expecting \";\""@0`},
		{"block", "a; events {}",
			`block directives are not supported in -g option in command line`,
			`"a"@0; !"block directives are not supported in -g option"@0`},
		{"close", "}", `unexpected "}" in command line`, `!"unexpected \"}\""@0`},
		{"no length limit", "a " + strings.Repeat("x", 3*bufferSize) + ";", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseParam(tc.src)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
			} else if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("error = %v, want %q", err, tc.wantErr)
			}
			if tc.want == "" && len(got) > 0 && tc.name == "no length limit" {
				if len(got) != 1 || len(got[0].Args) != 1 || len(got[0].Args[0]) != 3*bufferSize {
					t.Errorf("long word not read whole")
				}
				return
			}
			if r := render(got); r != tc.want {
				t.Errorf("tree\n got %s\nwant %s", r, tc.want)
			}
			for _, d := range got {
				if d.File != "" {
					t.Errorf("File = %q, want empty", d.File)
				}
			}
		})
	}
}

// TestEndLine: a block records the line of its closing brace.
func TestEndLine(t *testing.T) {
	tree, err := Parse("t.conf", []byte("http {\n  server {\n    listen 80;\n  }\n\n}\nevents { }\n"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		d         *Directive
		line, end int
	}{
		{"http", tree[0], 1, 6},
		{"server", tree[0].Block[0], 2, 4},
		{"listen", tree[0].Block[0].Block[0], 3, 0},
		{"events on one line", tree[1], 7, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.d.Line != c.line || c.d.EndLine != c.end {
				t.Errorf("%s: line %d end %d, want %d %d", c.d.Name, c.d.Line, c.d.EndLine, c.line, c.end)
			}
		})
	}
}
