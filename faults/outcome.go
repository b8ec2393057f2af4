package faults

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/testutil"
)

// Reply is one response as the suite compares it.
type Reply struct {
	// Code is the status code (0 for an HTTP/0.9 answer).
	Code int
	// Line is the status line.
	Line string
	// Connection is the Connection header's value ("" when absent).
	Connection string
	// Framing is how the body was delimited.
	Framing string
	// Body is the body summarised: an error page by its title, anything
	// else quoted (server names masked).
	Body string
	// Complete is false for a response cut short by the close.
	Complete bool
}

// String renders the reply on one line.
func (r Reply) String() string {
	s := r.Line
	if r.Connection != "" {
		s += " | Connection: " + r.Connection
	}
	s += " | " + r.Framing + " " + r.Body
	if !r.Complete {
		s += " | INCOMPLETE"
	}
	return s
}

// Outcome is what a server did with one hostile client: its answers, how
// the connection ended, and what it logged meanwhile.
type Outcome struct {
	// Replies are the responses received, interim ones included, in order.
	Replies []Reply
	// Garbage holds bytes after the last whole response that could not be
	// read as one.
	Garbage string
	// End is "closed" when the server closed the connection and "open" when
	// it still held it after the client's wait.
	End string
	// Reset says the close was a reset (informative: not compared, it
	// depends on timing).
	Reset bool
	// ErrorLog holds the error-log lines written meanwhile, normalised
	// (see NormalizeErrorLine).
	ErrorLog []string
	// AccessLog holds the access-log lines written meanwhile, normalised
	// (see NormalizeAccessLine).
	AccessLog []string
}

var titleRE = regexp.MustCompile(`<title>([^<]*)</title>`)

// Interpret reads the responses out of raw. noBody reads them as answers
// to HEAD.
func Interpret(raw Raw, noBody bool) Outcome {
	var o Outcome
	data := raw.Received
	for len(data) > 0 {
		resp, n, err := testutil.ParseResponse(data, raw.Closed, testutil.ParseOptions{NoBody: noBody})
		if resp == nil || (err != nil && n == 0) {
			if err == testutil.ErrIncomplete {
				o.Garbage = "partial: " + strconv.Quote(clip(string(data), 120))
			} else {
				o.Garbage = strconv.Quote(clip(string(data), 120))
			}
			break
		}
		o.Replies = append(o.Replies, replyOf(resp))
		data = data[n:]
		if err != nil {
			if len(data) > 0 {
				o.Garbage = strconv.Quote(clip(string(data), 120))
			}
			break
		}
	}
	o.End = "open"
	if raw.Closed {
		o.End = "closed"
	}
	o.Reset = raw.Reset
	return o
}

func replyOf(resp *testutil.Response) Reply {
	r := Reply{
		Code:       resp.StatusCode,
		Line:       resp.StatusLine,
		Connection: resp.Get("Connection"),
		Framing:    resp.Framing.String(),
		Complete:   resp.Complete,
	}
	if resp.HTTP09 {
		r.Line = "(HTTP/0.9 answer)"
	}
	body := oracle.NormalizeServerTokens(resp.Body)
	if m := titleRE.FindSubmatch(body); m != nil {
		r.Body = "page " + strconv.Quote(string(m[1]))
	} else {
		r.Body = strconv.Quote(clip(string(body), 80))
	}
	return r
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..." + strconv.Itoa(len(s)) + " bytes"
}

// Lines renders the outcome one fact per line, the form Diff compares.
func (o Outcome) Lines() []string {
	var l []string
	for _, r := range o.Replies {
		l = append(l, "reply  "+r.String())
	}
	if o.Garbage != "" {
		l = append(l, "bytes  "+o.Garbage)
	}
	l = append(l, "end    "+o.End)
	for _, e := range o.ErrorLog {
		l = append(l, "error  "+e)
	}
	for _, a := range o.AccessLog {
		l = append(l, "access "+a)
	}
	return l
}

// Codes returns the status codes of the replies, runs of one code
// collapsed ("200×500"), space-separated; "none" when there was no reply.
func (o Outcome) Codes() string {
	if len(o.Replies) == 0 {
		return "none"
	}
	var parts []string
	for i := 0; i < len(o.Replies); {
		j := i
		for j < len(o.Replies) && o.Replies[j].Code == o.Replies[i].Code && o.Replies[j].Complete == o.Replies[i].Complete {
			j++
		}
		p := strconv.Itoa(o.Replies[i].Code)
		if o.Replies[i].Code == 0 {
			p = "0.9"
		}
		if !o.Replies[i].Complete {
			p += "(cut)"
		}
		if j-i > 1 {
			p += "×" + strconv.Itoa(j-i)
		}
		parts = append(parts, p)
		i = j
	}
	return strings.Join(parts, " ")
}

// Summary is the outcome in a few words: the reply codes and how the
// connection ended, e.g. "400, closed" or "200 200, closed".
func (o Outcome) Summary() string {
	s := o.Codes() + ", " + o.End
	if o.Garbage != "" {
		s += ", stray bytes"
	}
	return s
}

// Diff describes how b differs from a, line by line (lines only in a
// marked with la, lines only in b with lb, common lines indented), or
// returns "" when they match.
func Diff(a, b Outcome, la, lb string) string {
	x, y := a.Lines(), b.Lines()
	if strings.Join(x, "\n") == strings.Join(y, "\n") {
		return ""
	}
	w := max(len(la), len(lb))
	var sb strings.Builder
	for _, d := range diffLines(x, y) {
		switch d.op {
		case '-':
			fmt.Fprintf(&sb, "  %-*s %s\n", w+1, la+":", d.text)
		case '+':
			fmt.Fprintf(&sb, "  %-*s %s\n", w+1, lb+":", d.text)
		default:
			fmt.Fprintf(&sb, "  %-*s %s\n", w+1, "", d.text)
		}
	}
	return sb.String()
}

type diffLine struct {
	op   byte
	text string
}

// diffLines is a longest-common-subsequence line diff.
func diffLines(x, y []string) []diffLine {
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []diffLine
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case x[i] == y[j]:
			out = append(out, diffLine{' ', x[i]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, diffLine{'-', x[i]})
			i++
		default:
			out = append(out, diffLine{'+', y[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, diffLine{'-', x[i]})
	}
	for ; j < m; j++ {
		out = append(out, diffLine{'+', y[j]})
	}
	return out
}
