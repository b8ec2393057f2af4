package ssi

import (
	"strings"
	"testing"
)

// transcript feeds the pieces to a parser and renders what it saw: text
// as is, commands as {name k="v" ...}, malformed commands as {!}, log
// lines as <log: ...>.
func transcript(valueLen int, pieces ...string) string {
	var p Parser
	p.ValueLen = valueLen
	var b strings.Builder
	for _, piece := range pieces {
		in := []byte(piece)
		for len(in) > 0 {
			st := p.Parse(in)
			b.WriteString(opening[:st.Prefix])
			b.Write(st.Text)
			if st.Log != "" {
				b.WriteString("<log: " + st.Log + ">")
			}
			switch st.Event {
			case Command:
				b.WriteString("{" + p.Command())
				for i := 0; i < p.NParams(); i++ {
					prm := p.Param(i)
					b.WriteString(" " + prm.Key + "=\"" + prm.Value + "\"")
				}
				b.WriteString("}")
			case Malformed:
				b.WriteString("{!}")
			}
			if st.N == 0 {
				panic("no progress")
			}
			in = in[st.N:]
		}
	}
	if p.Pending() {
		b.WriteString("<pending>")
	}
	return b.String()
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, in, want string
		valueLen       int
	}{
		{name: "text", in: "plain <b>text</b> <!- <!-x <!--x -->", want: "plain <b>text</b> <!- <!-x <!--x -->"},
		{name: "command", in: `a<!--#echo var="x" -->b`, want: `a{echo var="x"}b`},
		{name: "no space before end", in: `<!--#endif-->`, want: `{endif}`},
		{name: "space after sharp", in: `<!--# include virtual="/a" -->`, want: `{include virtual="/a"}`},
		{name: "several params", in: "<!--#include\tvirtual='/a'\r\nset=\"v\"-->", want: `{include virtual="/a" set="v"}`},
		{name: "space around equal", in: `<!--#set var = "a" value= 'b' -->`, want: `{set var="a" value="b"}`},
		{name: "escapes kept", in: `<!--#set var="a" value="x\"y\\z\$" -->`, want: `{set var="a" value="x\"y\\z\$"}`},
		{name: "params without value", in: `<!--#config a -->`, want: `<log: unexpected "-" symbol after "a" parameter in "config" SSI command>{!}`},
		{name: "double lt", in: `<<!--#x-->`, want: `<{x}`},
		{name: "lt inside match", in: `<!-<!--#x-->`, want: `<!-{x}`},
		{name: "command too long", in: "<!--#" + strings.Repeat("c", 33) + " -->",
			want: `<log: the "` + strings.Repeat("c", 32) + `c..." SSI command is too long>{!}`},
		{name: "param too long", in: "<!--#x " + strings.Repeat("p", 33) + `="1" -->`,
			want: `<log: too long "` + strings.Repeat("p", 32) + `p..." parameter in "x" SSI command>{!}`},
		{name: "value too long", in: `<!--#x p="12345" -->`, valueLen: 4,
			want: `<log: too long "12345..." value of "p" parameter in "x" SSI command>{!}`},
		{name: "escape too long", in: `<!--#x p="123\5" -->`, valueLen: 4,
			want: `<log: too long "123\5..." value of "p" parameter in "x" SSI command>{!}`},
		{name: "value at limit", in: `<!--#x p="1234" -->`, valueLen: 4, want: `{x p="1234"}`},
		{name: "unquoted value", in: `<!--#x p=1 -->`, want: `<log: unexpected "1" symbol before value of "p" parameter in "x" SSI command>{!}`},
		{name: "junk after value", in: `<!--#x p="1"q -->`, want: `<log: unexpected "q" symbol after "1" value of "p" parameter in "x" SSI command>{!}`},
		{name: "junk after name", in: `<!--#x p q -->`, want: `<log: unexpected "q" symbol after "p" parameter in "x" SSI command>{!}`},
		{name: "bad end", in: `<!--#x -x>`, want: `<log: unexpected "x" symbol in "x" SSI command><pending>`},
		{name: "bad end then end", in: `<!--#x -x -->after`, want: `<log: unexpected "x" symbol in "x" SSI command>{!}after`},
		{name: "dash in error is not an end", in: `<!--#x p=1 --->x -->y`, want: `<log: unexpected "1" symbol before value of "p" parameter in "x" SSI command>{!}y`},
		{name: "dash as bad symbol", in: `<!--#x p=-->z`, want: `<log: unexpected "-" symbol before value of "p" parameter in "x" SSI command>{!}z`},
		{name: "end of body inside command", in: `text<!--#echo var="x"`, want: `text<pending>`},
		{name: "end of body inside opening", in: `text<!--`, want: `text<pending>`},
		{name: "empty command", in: `<!--#-->`, want: `<log: unexpected ">" symbol in "-" SSI command><pending>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := transcript(tc.valueLen, tc.in)
			if got != tc.want {
				t.Fatalf("transcript\n got %s\nwant %s", got, tc.want)
			}
			// any split of the input gives the same transcript
			for i := 1; i < len(tc.in); i++ {
				if split := transcript(tc.valueLen, tc.in[:i], tc.in[i:]); split != got {
					t.Fatalf("split at %d:\n got %s\nwant %s", i, split, got)
				}
			}
			var bytes []string
			for i := 0; i < len(tc.in); i++ {
				bytes = append(bytes, tc.in[i:i+1])
			}
			if one := transcript(tc.valueLen, bytes...); one != got {
				t.Fatalf("byte by byte:\n got %s\nwant %s", one, got)
			}
		})
	}
}

func TestParseMany(t *testing.T) {
	in := strings.Repeat(`x<!--#echo var="a" -->`, 100)
	want := strings.Repeat(`x{echo var="a"}`, 100)
	if got := transcript(0, in); got != want {
		t.Fatalf("got %s", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`a<!--#echo var="x" -->b`,
		`<!--#include virtual="/a?b" set="v" -->`,
		`<!-<!--#if expr="$a = /x(y)/" -->`,
		`<!--#x p='\'' -->`,
		"<!--#x -x -->",
	} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, in string, cut int) {
		whole := transcript(16, in)
		if cut < 0 || cut > len(in) {
			return
		}
		if split := transcript(16, in[:cut], in[cut:]); split != whole {
			t.Fatalf("split at %d changes the result:\n%s\n%s", cut, whole, split)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	page := []byte(strings.Repeat(`<p>text with <b>tags</b> and <!-- comments --></p>`+"\n", 200) +
		strings.Repeat(`<!--#echo var="a" --><!--#if expr="$a = /x/" -->y<!--#endif -->`, 20))
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	var p Parser
	for i := 0; i < b.N; i++ {
		p.Reset()
		for in := page; len(in) > 0; {
			st := p.Parse(in)
			in = in[st.N:]
		}
	}
}
