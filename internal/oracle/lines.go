package oracle

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// maxLogLine is the length of an error log line cut at the limit, and
// cutLineKeep how much of its text ErrorLines keeps.
const (
	maxLogLine  = 2047
	cutLineKeep = 1900
)

var (
	logPrefix = regexp.MustCompile(`^\S+ \S+ \[(\w+)\] \d+#\d+: \*\d+ `)
	logPort   = regexp.MustCompile(`:[0-9]{2,5}\b`)
)

// ErrorLines returns the request lines of an error log (nginx's or
// sluice's) at levels info to error, for comparing the two servers' logs:
// without time, pid and connection number, "[level] text", with ports
// masked as ":<port>", without keepalive connection closes and without
// the "an upstream response is buffered to a temporary file" warning
// (either server writes it only when the test's client reads slower than
// the upstream sends, which depends on the machine's load), sorted. A
// line cut at the log's limit (2,047 bytes, nginx's NGX_MAX_ERROR_STR) is
// kept to its first cutLineKeep bytes of text: where the cut falls
// depends on the width of the pid and the connection number.
func ErrorLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		m := logPrefix.FindStringSubmatch(l)
		if m == nil || m[1] == "debug" || m[1] == "notice" || strings.Contains(l, "keepalive connection") ||
			strings.Contains(l, "an upstream response is buffered to a temporary file") {
			continue
		}
		text := l[len(m[0]):]
		if len(l) >= maxLogLine {
			text = text[:min(len(text), cutLineKeep)] + " <cut at the log line's limit>"
		}
		out = append(out, "["+m[1]+"] "+logPort.ReplaceAllString(text, ":<port>"))
	}
	slices.Sort(out)
	return out
}

// CompareErrorLogs fails the test when the two error logs do not have the
// same ErrorLines, showing both.
func CompareErrorLogs(t testing.TB, oracleLog, subjectLog string) {
	t.Helper()
	want, got := ErrorLines(oracleLog), ErrorLines(subjectLog)
	if !slices.Equal(want, got) {
		t.Errorf("error log lines differ\nnginx:\n%s\nsluice:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}
