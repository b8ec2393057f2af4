package testutil

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
)

// Goroutine is one goroutine from a stack dump.
type Goroutine struct {
	// ID is the runtime's goroutine number.
	ID int64
	// State is the bracketed state, e.g. "chan receive" or "IO wait, 2 minutes".
	State string
	// Stack is the goroutine's whole entry in the dump.
	Stack string
}

// Goroutines returns every user goroutine of the process, as runtime.Stack
// reports them.
func Goroutines() []Goroutine {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var gs []Goroutine
	for _, entry := range bytes.Split(buf, []byte("\n\n")) {
		if g, ok := parseGoroutine(string(entry)); ok {
			gs = append(gs, g)
		}
	}
	return gs
}

// parseGoroutine reads an entry that starts "goroutine N [state]:".
func parseGoroutine(entry string) (Goroutine, bool) {
	entry = strings.TrimSpace(entry)
	header, _, _ := strings.Cut(entry, "\n")
	rest, ok := strings.CutPrefix(header, "goroutine ")
	if !ok {
		return Goroutine{}, false
	}
	idText, rest, _ := strings.Cut(rest, " ")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return Goroutine{}, false
	}
	state := strings.TrimSuffix(strings.TrimPrefix(rest, "["), "]:")
	return Goroutine{ID: id, State: state, Stack: entry}, true
}

// ignoredCreators are packages whose goroutines belong to the test harness
// or the runtime, not to the code under test.
var ignoredCreators = []string{
	"created by testing.",
	"created by os/signal.",
	"created by runtime.",
	// sluice's process-wide park set for idle connections (httpd/park.go),
	// started once, like the runtime's network poller
	"httpd.(*parkSet).loop",
}

// ignorableGoroutine reports whether a goroutine that was not at the baseline
// is still no leak.
func ignorableGoroutine(g Goroutine, extra []string) bool {
	for _, s := range ignoredCreators {
		if strings.Contains(g.Stack, s) {
			return true
		}
	}
	for _, s := range extra {
		if s != "" && strings.Contains(g.Stack, s) {
			return true
		}
	}
	return false
}
