package faults

import (
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/oracle"
)

// LogTail reads what a log file gained since the last Mark.
type LogTail struct {
	// Path is the log file.
	Path string
	off  int64
}

// Mark remembers the file's current end.
func (l *LogTail) Mark() {
	st, err := os.Stat(l.Path)
	if err != nil {
		l.off = 0
		return
	}
	l.off = st.Size()
}

// Since returns the whole lines written after the mark.
func (l *LogTail) Since() []string {
	b, err := os.ReadFile(l.Path)
	if err != nil || int64(len(b)) <= l.off {
		return nil
	}
	text := string(b[l.off:])
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	} else {
		return nil
	}
	return strings.Split(text, "\n")
}

var (
	// 2024/01/02 03:04:05 [info] 12#12: *3 message
	errorLineRE = regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[([a-z]+)\] (?:\d+#\d+: |\*\d+ )*(.*)$`)
	portRE      = regexp.MustCompile(`(127\.0\.0\.1|localhost):\d+`)
	// 127.0.0.1 - - [02/Jan/2024:03:04:05 +0000] "GET / HTTP/1.1" 200 3 ...
	accessTimeRE = regexp.MustCompile(`\[\d\d/[A-Za-z]{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] `)
)

// NormalizeErrorLine reduces an error-log line to what two servers can
// share: the level and the message with its context, without time, process
// and connection numbers, with loopback ports masked and the server's name
// ("nginx", "sluice") masked. ok is false for lines that say nothing about
// a request: notices and debug lines (start, stop, signals), and lines that
// are not log lines.
func NormalizeErrorLine(line string) (norm string, ok bool) {
	m := errorLineRE.FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	switch m[1] {
	case "notice", "debug":
		return "", false
	}
	msg := portRE.ReplaceAllString(m[2], "$1:PORT")
	msg = oracle.NormalizeServer(msg)
	if len(line) >= cutLineLen && len(msg) > keptOfCutLine && !strings.HasSuffix(msg, " <cut>") {
		msg = msg[:keptOfCutLine] + " <cut>"
	}
	return "[" + m[1] + "] " + msg, true
}

// A line as long as cutLineLen was cut by the server at its line limit
// (nginx's NGX_MAX_ERROR_STR, 2048 bytes with the time, level and process
// numbers). Where it was cut depends on how wide those prefixes are — pids
// differ in digits between two servers — so only the first keptOfCutLine
// bytes of its message are compared.
const (
	cutLineLen    = 2000
	keptOfCutLine = 1900
)

// NormalizeAccessLine masks the time and loopback ports of an access-log
// line, and the byte count of error answers (whose pages name the server,
// "nginx" or "sluice", and so differ in length) as "<page>".
func NormalizeAccessLine(line string) string {
	line = accessTimeRE.ReplaceAllString(line, "[TIME] ")
	line = portRE.ReplaceAllString(line, "$1:PORT")
	return maskPageBytes(line)
}

// maskPageBytes replaces the byte count after a status of 300 or more
// (`" 404 153`) with "<page>" when it is not zero.
func maskPageBytes(line string) string {
	i := strings.LastIndex(line, `" `)
	for i >= 0 {
		rest := line[i+2:]
		fields := strings.SplitN(rest, " ", 3)
		if len(fields) >= 2 {
			if fields[1] == "<page>" {
				return line // masked already
			}
			code, err1 := strconv.Atoi(fields[0])
			n, err2 := strconv.Atoi(fields[1])
			if err1 == nil && err2 == nil && len(fields[0]) == 3 {
				if code >= 300 && n > 0 {
					fields[1] = "<page>"
					return line[:i+2] + strings.Join(fields, " ")
				}
				return line
			}
		}
		i = strings.LastIndex(line[:i], `" `)
	}
	return line
}

// ErrorLines normalises error-log lines, dropping those NormalizeErrorLine
// rejects.
func ErrorLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if n, ok := NormalizeErrorLine(l); ok {
			out = append(out, n)
		}
	}
	return out
}

// AccessLines normalises access-log lines.
func AccessLines(lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, NormalizeAccessLine(l))
	}
	return out
}
