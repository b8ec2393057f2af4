package log

import (
	"reflect"
	"testing"
)

func TestParseFormat(t *testing.T) {
	v := func(s string) token { return token{text: s, isVar: true} }
	l := func(s string) token { return token{text: s} }
	tests := []struct {
		name string
		args []string
		toks []token
		esc  escapeMode
		err  string
	}{
		{name: "text only", args: []string{"plain"}, toks: []token{l("plain")}},
		{name: "variable", args: []string{"$uri"}, toks: []token{v("uri")}},
		{name: "mixed", args: []string{"a $uri:$status b"}, toks: []token{l("a "), v("uri"), l(":"), v("status"), l(" b")}},
		{name: "strings concatenate", args: []string{"a", "$uri", "b", "c"}, toks: []token{l("a"), v("uri"), l("bc")}},
		{name: "braces", args: []string{"${uri}x${status}"}, toks: []token{v("uri"), l("x"), v("status")}},
		{name: "name stops at punctuation", args: []string{"$uri-$arg_a.b"}, toks: []token{v("uri"), l("-"), v("arg_a"), l(".b")}},
		{name: "digits", args: []string{"$1"}, toks: []token{v("1")}},
		{name: "escape json", args: []string{"escape=json", "$uri"}, toks: []token{v("uri")}, esc: escapeJSON},
		{name: "escape none", args: []string{"escape=none", "$uri"}, toks: []token{v("uri")}, esc: escapeNone},
		{name: "escape default", args: []string{"escape=default", "$uri"}, toks: []token{v("uri")}},
		{name: "escape only first", args: []string{"x", "escape=json"}, toks: []token{l("xescape=json")}},
		{name: "escape alone", args: []string{"escape=json"}, esc: escapeJSON},
		{name: "unknown escape", args: []string{"escape=html", "$uri"}, err: `unknown log format escaping "html"`},
		{name: "dollar at end", args: []string{"a$"}, err: `invalid parameter "$"`},
		{name: "dollar space", args: []string{"a$ b"}, err: `invalid parameter "$ b"`},
		{name: "open brace at end", args: []string{"${"}, err: `invalid parameter "${"`},
		{name: "empty braces", args: []string{"${}x"}, err: `invalid parameter "${}x"`},
		{name: "unclosed brace", args: []string{"${uri"}, err: `the closing bracket in "uri" variable is missing`},
		{name: "brace with space", args: []string{"${ur i}"}, err: `the closing bracket in "ur" variable is missing`},
		{name: "error in a later string", args: []string{"ok", "$"}, err: `invalid parameter "$"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			toks, esc, err := parseFormat(tc.args)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if esc != tc.esc || !reflect.DeepEqual(toks, tc.toks) {
				t.Errorf("got %v %+v, want %v %+v", esc, toks, tc.esc, tc.toks)
			}
		})
	}
}

func TestEscapes(t *testing.T) {
	tests := []struct {
		name, in, def, json string
	}{
		{"plain", "abc/~{}", "abc/~{}", "abc/~{}"},
		{"quote and backslash", `a"b\c`, `a\x22b\x5Cc`, `a\"b\\c`},
		{"controls", "\n\r\t\b\f\x01\x1f", `\x0A\x0D\x09\x08\x0C\x01\x1F`, `\n\r\t\b\f\u0001\u001F`},
		{"del and high bytes", "\x7f\x80\xff", `\x7F\x80\xFF`, "\x7f\x80\xff"},
		{"utf-8", "é", `\xC3\xA9`, "é"},
		{"empty", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendEscaped(nil, tc.in)); got != tc.def {
				t.Errorf("default: %q, want %q", got, tc.def)
			}
			if got := string(appendJSON(nil, tc.in)); got != tc.json {
				t.Errorf("json: %q, want %q", got, tc.json)
			}
		})
	}
}

// FuzzParseFormat checks that any format either fails with an error or
// splits into tokens that rebuild a format meaning the same.
func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"$uri", "${a}b", "a$", "escape=json", `$remote_addr - $remote_user [$time_local] "$request"`, "${", "${}"} {
		f.Add(s, "")
	}
	f.Add("escape=none", "$a$b")
	f.Fuzz(func(t *testing.T, a, b string) {
		toks, _, err := parseFormat([]string{a, b})
		if err != nil {
			return
		}
		rebuilt := ""
		for i, tk := range toks {
			if tk.isVar {
				if tk.text == "" {
					t.Fatalf("empty variable name from %q %q", a, b)
				}
				rebuilt += "${" + tk.text + "}"
				continue
			}
			if tk.text == "" || (i > 0 && !toks[i-1].isVar) {
				t.Fatalf("empty or split literal from %q %q: %+v", a, b, toks)
			}
			rebuilt += tk.text
		}
		again, _, err := parseFormat([]string{rebuilt})
		if err != nil {
			t.Fatalf("rebuilt %q fails: %v", rebuilt, err)
		}
		if !reflect.DeepEqual(again, toks) {
			t.Fatalf("rebuilt %q gives %+v, want %+v", rebuilt, again, toks)
		}
	})
}
