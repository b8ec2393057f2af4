package oracle

import (
	"regexp"
	"slices"
	"strings"
)

var (
	logPrefix = regexp.MustCompile(`^\S+ \S+ \[(\w+)\] \d+#\d+: \*\d+ `)
	logPort   = regexp.MustCompile(`:[0-9]{2,5}\b`)
)

// ErrorLines returns the request lines of an error log (nginx's or
// sluice's) at levels info to error, for comparing the two servers' logs:
// without time, pid and connection number, "[level] text", with ports
// masked as ":<port>", without keepalive connection closes, sorted.
func ErrorLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		m := logPrefix.FindStringSubmatch(l)
		if m == nil || m[1] == "debug" || m[1] == "notice" || strings.Contains(l, "keepalive connection") {
			continue
		}
		out = append(out, "["+m[1]+"] "+logPort.ReplaceAllString(l[len(m[0]):], ":<port>"))
	}
	slices.Sort(out)
	return out
}
