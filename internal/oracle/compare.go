package oracle

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/testutil"
)

// Comparison says what Compare looks at and how it normalises the answers
// before comparing them. The status line (protocol, code, reason) is always
// compared.
type Comparison struct {
	// Headers are the header names (case-insensitive) whose values, all of
	// them in order, must match; a header absent on both sides matches.
	Headers []string
	// Normalize maps a lower-case header name to a function applied to each
	// of its values before comparing (see NormalizeServer, Present).
	Normalize map[string]func(string) string
	// IgnoreBody skips the body.
	IgnoreBody bool
	// NormalizeBody, if set, is applied to both bodies before comparing
	// them. When it is set, a Content-Length equal to the side's own body
	// length compares as "<body length>", so bodies that differ only where
	// the normaliser looks (e.g. the server name in an error page) match.
	NormalizeBody func([]byte) []byte
	// Trailers compares the trailer fields of chunked bodies (names and
	// values, in order).
	Trailers bool
	// NoBody reads the answers as responses to HEAD.
	NoBody bool
	// CloseWait is how long to wait, after the response, for the server to
	// close the connection; whether it did is compared. A keepalive answer
	// costs this much time. Zero means one second; negative skips the check.
	// After an answer with "Connection: close" the wait is Timeout's at
	// least: the close is expected then, and only a missing one costs it.
	CloseWait time.Duration
	// Timeout bounds the reading of each response; zero means
	// testutil.DefaultTimeout.
	Timeout time.Duration
	// Labels name the two sides in the diff; empty means "nginx", "sluice".
	Labels [2]string
}

// DefaultComparison compares the status line, the body, whether the
// connection closed, and the headers that carry protocol meaning; Server is
// compared without name and version, Date only for presence, and the server
// token in bodies (nginx's error pages) is masked.
func DefaultComparison() Comparison {
	return Comparison{
		Headers: []string{
			"Server", "Date", "Content-Type", "Content-Length", "Transfer-Encoding",
			"Connection", "Keep-Alive", "Location", "Refresh", "Set-Cookie",
			"Cache-Control", "Expires", "WWW-Authenticate", "Allow", "Accept-Ranges",
			"Content-Range", "Content-Encoding", "Vary", "ETag", "Last-Modified",
		},
		Normalize: map[string]func(string) string{
			"server": NormalizeServer,
			"date":   Present,
			"etag":   Present,
		},
		NormalizeBody: NormalizeServerTokens,
	}
}

// Present maps every value to "<present>", for headers whose presence
// matters but whose value cannot match (Date, ETag).
func Present(string) string { return "<present>" }

// PresentUnless is Present but for the values that contain one of keep
// (dates a test's backend sends, which both servers pass on as they are).
func PresentUnless(keep ...string) func(string) string {
	return func(v string) string {
		for _, k := range keep {
			if strings.Contains(v, k) {
				return v
			}
		}
		return "<present>"
	}
}

// RequestVariant is the i-th request for path of the random differential
// tests, which ask in turn with GET over HTTP/1.1 (kept alive), GET over
// HTTP/1.0 and HEAD over HTTP/1.1 with Connection: close; head says the
// answer has no body.
func RequestVariant(path string, i int) (req string, head bool) {
	switch i % 3 {
	case 0:
		return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n", false
	case 1:
		return "GET " + path + " HTTP/1.0\r\n\r\n", false
	}
	return "HEAD " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", true
}

// CompareVariant compares the two servers' answers to the i-th request
// for path (RequestVariant) in a parallel subtest named path, as the
// random differential tests do; a failure also logs sent, what the
// backend was to answer.
func CompareVariant(t *testing.T, path string, i int, oracleAddr, subjectAddr string, c Comparison, sent any) {
	t.Helper()
	req, head := RequestVariant(path, i)
	c.NoBody = head
	CompareRequest(t, path, req, oracleAddr, subjectAddr, c, fmt.Sprintf("the backend sent %q", sent))
}

// CompareRequest compares the two servers' answers to req in a parallel
// subtest named name; a failure also logs about (what the backend was to
// answer, the request drawn at random).
func CompareRequest(t *testing.T, name, req, oracleAddr, subjectAddr string, c Comparison, about string) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		Compare(t, req, oracleAddr, subjectAddr, c)
		if t.Failed() {
			t.Log(about)
		}
	})
}

// serverToken is a product name standing as a word of its own (in
// "sluicesluice" the second name is not one, and masking the first must not
// make it one: a normalised text normalises to itself).
var serverToken = regexp.MustCompile(`\b(nginx|sluice)\b(/[0-9][0-9A-Za-z.+-]*)?`)

// NormalizeServer masks the product in a Server value: "nginx" and
// "sluice" become "<server>", and "nginx/1.22.1" or "sluice/0.1.0" become
// "<server>/<version>", so server_tokens on and off still compare.
func NormalizeServer(v string) string {
	return serverToken.ReplaceAllStringFunc(v, maskToken)
}

// NormalizeServerTokens masks "nginx", "sluice" and their versions in a body
// (the footer of nginx's error pages) the way NormalizeServer does.
func NormalizeServerTokens(body []byte) []byte {
	return serverToken.ReplaceAllFunc(body, func(b []byte) []byte { return []byte(maskToken(string(b))) })
}

func maskToken(s string) string {
	if strings.Contains(s, "/") {
		return "<server>/<version>"
	}
	return "<server>"
}

// Result is what one server answered to one raw request.
type Result struct {
	// Addr is the server's address.
	Addr string
	// Resp is the response, possibly partial, or nil if none arrived.
	Resp *testutil.Response
	// Err is the error reading it, if any.
	Err error
	// Closed says whether the server closed the connection after the
	// response (within CloseWait); meaningless when CloseWait < 0.
	Closed bool
}

// Exchange sends req on a new connection to addr, reads one response and
// then waits for a close as c says.
func Exchange(addr string, req []byte, c Comparison) Result {
	res := Result{Addr: addr}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = testutil.DefaultTimeout
	}
	cl, err := testutil.DialTimeout(addr, timeout)
	if err != nil {
		res.Err = err
		return res
	}
	defer cl.Close()
	cl.Timeout = timeout
	if err := cl.Write(req); err != nil {
		res.Err = err
		return res
	}
	res.Resp, res.Err = cl.ReadResponseOpts(testutil.ParseOptions{NoBody: c.NoBody})
	wait := c.CloseWait
	if wait == 0 {
		wait = time.Second
	}
	switch {
	case res.Resp != nil && res.Resp.Closed:
		res.Closed = true
	case wait > 0:
		if announcesClose(res.Resp) {
			// the close is expected: wait for it as for the response, so
			// that a loaded machine's slow close is not taken for none
			wait = max(wait, timeout)
		}
		res.Closed, _, _ = cl.WaitClosed(wait)
	}
	return res
}

// announcesClose reports whether resp says the server closes the
// connection after it (Connection: close).
func announcesClose(resp *testutil.Response) bool {
	if resp == nil {
		return false
	}
	for _, v := range strings.Split(resp.Get("Connection"), ",") {
		if ascii.EqualFold(strings.TrimSpace(v), "close") {
			return true
		}
	}
	return false
}

// Compare sends req to both addresses at once (the oracle's first), and
// fails the test with a readable diff when the answers differ as c looks
// at them. It returns both results for further checks.
func Compare(t testing.TB, req string, oracleAddr, subjectAddr string, c Comparison) (oracle, subject Result) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); oracle = Exchange(oracleAddr, []byte(req), c) }()
	go func() { defer wg.Done(); subject = Exchange(subjectAddr, []byte(req), c) }()
	wg.Wait()
	if d := c.Diff(oracle, subject); d != "" {
		t.Errorf("answers differ for request %q:\n%s", req, d)
	}
	return oracle, subject
}

// Diff describes how b differs from a, one line per difference, or returns
// "" when they match.
func (c Comparison) Diff(a, b Result) string {
	la, lb := c.Labels[0], c.Labels[1]
	if la == "" {
		la = "nginx"
	}
	if lb == "" {
		lb = "sluice"
	}
	var d strings.Builder
	line := func(what string, va, vb any) {
		fmt.Fprintf(&d, "  %s:\n    %-7s %v\n    %-7s %v\n", what, la+":", va, lb+":", vb)
	}
	if ka, kb := errKind(a.Err), errKind(b.Err); ka != kb {
		line("error", describeErr(a.Err), describeErr(b.Err))
	}
	if (a.Resp == nil) != (b.Resp == nil) {
		line("response", describeResp(a.Resp), describeResp(b.Resp))
	}
	if a.Resp != nil && b.Resp != nil {
		c.diffResponses(a.Resp, b.Resp, line)
	}
	if c.CloseWait >= 0 && a.Closed != b.Closed {
		line("connection closed after the response", a.Closed, b.Closed)
	}
	if d.Len() == 0 {
		return ""
	}
	return fmt.Sprintf("  (%s at %s, %s at %s)\n%s", la, a.Addr, lb, b.Addr, d.String())
}

func (c Comparison) diffResponses(a, b *testutil.Response, line func(string, any, any)) {
	if a.StatusLine != b.StatusLine {
		line("status line", strconv.Quote(a.StatusLine), strconv.Quote(b.StatusLine))
	}
	for _, name := range c.Headers {
		va, vb := c.headerValues(a, name), c.headerValues(b, name)
		if !slices.Equal(va, vb) && !(ascii.EqualFold(name, "Expires") && sameAgainstDate(a, b, va, vb, expiresOffset)) &&
			!(ascii.EqualFold(name, "Cache-Control") && sameAgainstDate(a, b, va, vb, maxAgeEnd)) {
			line("header "+name, quoteAll(va), quoteAll(vb))
		}
	}
	if a.Framing != b.Framing {
		line("body framing", a.Framing, b.Framing)
	}
	if a.Complete != b.Complete {
		line("response complete", a.Complete, b.Complete)
	}
	if c.Trailers && !slices.Equal(a.Trailers, b.Trailers) {
		line("trailers", fmt.Sprint(a.Trailers), fmt.Sprint(b.Trailers))
	}
	if c.IgnoreBody {
		return
	}
	ba, bb := a.Body, b.Body
	if c.NormalizeBody != nil {
		ba, bb = c.NormalizeBody(ba), c.NormalizeBody(bb)
	}
	if !bytes.Equal(ba, bb) {
		line("body", describeBody(ba, bb), describeBody(bb, ba))
	}
}

// sameAgainstDate reports whether the values va of a and vb of b come to
// the same once each is read against its response's own Date by key: a
// value that depends on the second each server answered in matches
// when two answers sent at once straddle a second.
func sameAgainstDate(a, b *testutil.Response, va, vb []string, key func(date time.Time, v string) (time.Duration, bool)) bool {
	if len(va) != len(vb) {
		return false
	}
	da, errA := http.ParseTime(a.Get("Date"))
	db, errB := http.ParseTime(b.Get("Date"))
	if errA != nil || errB != nil {
		return false
	}
	for i := range va {
		ka, okA := key(da, va[i])
		kb, okB := key(db, vb[i])
		if !okA || !okB || ka != kb {
			return false
		}
	}
	return true
}

// expiresOffset is an Expires value's offset from Date ("expires 1h").
func expiresOffset(date time.Time, v string) (time.Duration, bool) {
	e, err := http.ParseTime(v)
	return e.Sub(date), err == nil
}

// maxAgeEnd is the moment a Cache-Control "max-age=N" counts down to from
// Date ("expires @33s", a time of day), as a duration since the epoch.
func maxAgeEnd(date time.Time, v string) (time.Duration, bool) {
	n, ok := strings.CutPrefix(v, "max-age=")
	s, err := strconv.Atoi(n)
	return time.Duration(date.Unix()+int64(s)) * time.Second, ok && err == nil
}

// headerValues returns a header's values normalised for comparison.
func (c Comparison) headerValues(r *testutil.Response, name string) []string {
	vals := r.Values(name)
	norm := c.Normalize[ascii.ToLower(name)]
	for i, v := range vals {
		switch {
		case norm != nil:
			vals[i] = norm(v)
		case c.NormalizeBody != nil && ascii.EqualFold(name, "Content-Length") && v == strconv.Itoa(len(r.Body)):
			vals[i] = "<body length>"
		}
	}
	return vals
}

func quoteAll(vs []string) string {
	if len(vs) == 0 {
		return "(absent)"
	}
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// describeBody shows a body's length and the neighbourhood of its first
// difference from other.
func describeBody(b, other []byte) string {
	i := 0
	for i < len(b) && i < len(other) && b[i] == other[i] {
		i++
	}
	from := max(0, i-20)
	to := min(len(b), i+40)
	return fmt.Sprintf("%d bytes, first difference at %d: ...%q...", len(b), i, b[from:to])
}

func describeResp(r *testutil.Response) string {
	if r == nil {
		return "(no response)"
	}
	return strconv.Quote(r.StatusLine)
}

func describeErr(err error) string {
	if err == nil {
		return "(none)"
	}
	return err.Error()
}

// errKind classifies an error so that two servers failing the same way
// (e.g. both closing without an answer) compare equal despite different
// wording.
func errKind(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.Is(err, testutil.ErrTruncated):
		return "truncated"
	case errors.Is(err, testutil.ErrMalformed):
		return "malformed"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "other: " + err.Error()
}
