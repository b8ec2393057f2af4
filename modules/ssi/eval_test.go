package ssi

import "testing"

func TestEvaluate(t *testing.T) {
	vars := map[string]string{"x": "1", "xy": "2", "rel": "rel.html", "empty": "", "abs": "/abs"}
	lookup := func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
	tests := []struct {
		name, text, uri string
		prefix          bool
		want, err       string
	}{
		{name: "plain", text: "plain", want: "plain"},
		{name: "escaped quote", text: `a\"b\'c\\d\$e`, want: `a"b'c\d$e`},
		{name: "other escape kept", text: `a\zb`, want: `a\zb`},
		{name: "trailing backslash", text: `a\`, want: "a"},
		{name: "variable", text: "[$x]", want: "[1]"},
		{name: "longest name", text: "$xy", want: "2"},
		{name: "braces", text: "${x}y", want: "1y"},
		{name: "uppercase name", text: "$X", want: "1"},
		{name: "not found", text: "a$missing.b", want: "a.b"},
		{name: "escaped dollar", text: `\$x$x`, want: "$x1"},
		{name: "escapes around variables", text: `\"$x\z`, want: `"1\z`},
		{name: "dollar at end", text: "a$", err: `invalid variable name in "a$"`},
		{name: "no name", text: "a$-b", err: `invalid variable name in "a$-b"`},
		{name: "empty braces", text: "${}", err: `invalid variable name in "${}"`},
		{name: "open brace at end", text: "${", err: `invalid variable name in "${"`},
		{name: "unclosed brace", text: "${x y}", err: `the closing bracket in "x" variable is missing`},
		{name: "relative", text: "b.html", uri: "/dir/a.html", prefix: true, want: "/dir/b.html"},
		{name: "absolute", text: "/b.html", uri: "/dir/a.html", prefix: true, want: "/b.html"},
		{name: "relative from variable", text: "$rel?a=$x", uri: "/d/a", prefix: true, want: "/d/rel.html?a=1"},
		{name: "absolute from variable", text: "$empty$abs", uri: "/d/a", prefix: true, want: "/abs"},
		{name: "empty relative", text: "", uri: "/d/a", prefix: true, want: "/d/"},
		{name: "no prefix wanted", text: "b.html", uri: "/dir/a.html", want: "b.html"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Evaluate(tc.text, tc.uri, tc.prefix, lookup)
			switch {
			case tc.err != "":
				if err == nil || err.Error() != tc.err {
					t.Fatalf("Evaluate(%q) = %q, %v; want error %q", tc.text, got, err, tc.err)
				}
			case err != nil:
				t.Fatalf("Evaluate(%q): %v", tc.text, err)
			case got != tc.want:
				t.Fatalf("Evaluate(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}
