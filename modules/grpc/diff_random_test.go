package grpc_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// randomGRPCFields are the response header fields randomGRPC draws
// from, by name: each name at most once (nginx since 1.23 refuses a
// second Location, Content-Type and the like, where 1.22, the oracle,
// passes both). Left out, where nginx 1.22 and current nginx (which
// sluice follows) answer differently: 1xx statuses (early hints), fields
// longer than the buffer.
var randomGRPCFields = [][2][]string{
	{{"content-type"}, {"application/grpc", "text/plain", ""}},
	{{"x-a"}, {"b", "", "a b", "\xe9t\xe9"}},
	{{"set-cookie"}, {"a=1; path=/", "b=2"}},
	{{"location"}, {"/local", "http://example.com/x"}},
	{{"cache-control"}, {"no-cache", "max-age=10"}},
	{{"date"}, {"Thu, 01 Jan 1970 00:00:00 GMT", "junk"}},
	{{"server"}, {"backend/1", ""}},
	{{"grpc-status"}, {"0", "5"}},
	{{"x-accel-redirect"}, {"/internal"}},
	{{"x-accel-charset"}, {"utf-8"}},
	{{"x-upper", "X-Upper"}, {"v"}},
	{{"x-bad"}, {"a\rb", "a\x00b", "ok"}},
	{{"x-long"}, {strings.Repeat("l", 300)}},
}

// randomGRPC builds an HTTP/2 answer on stream 1: SETTINGS, a header
// block (HEADERS and CONTINUATION frames, padding and priority now and
// then) with a :status and up to five fields, DATA frames (padded now and
// then), trailers or END_STREAM on the last DATA, and PING, PRIORITY,
// WINDOW_UPDATE, SETTINGS acks and unknown frames between them. The end
// is drawn at random: END_STREAM, then now and then RST_STREAM(NO_ERROR)
// or GOAWAY; or a close, or RST_STREAM(INTERNAL_ERROR), before it. Now
// and then the header block is broken or a frame is for another stream.
// The bytes are cut anywhere into up to four writes with a pause after
// each ("CLOSE" closes).
func randomGRPC(rng *rand.Rand) []string {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	var b strings.Builder
	control := func() {
		if rng.IntN(5) > 0 {
			return
		}
		switch rng.IntN(5) {
		case 0:
			b.WriteString(frame(tPing, 0, 0, "12345678"))
		case 1:
			b.WriteString(frame(2, 0, 1, "\x00\x00\x00\x00\x10")) // PRIORITY
		case 2:
			inc := 1 + rng.IntN(70000)
			b.WriteString(frame(tWindowUpdate, 0, uint32(rng.IntN(2)), string([]byte{0, byte(inc >> 16), byte(inc >> 8), byte(inc)})))
		case 3:
			b.WriteString(frame(tSettings, 1, 0, "")) // ack
		default:
			b.WriteString(frame(0x20, 0, 0, "unknown"))
		}
	}
	b.WriteString(serverSettings)
	control()

	// the head
	n := rng.IntN(12)
	if rng.IntN(8) == 0 {
		n = 5000 + rng.IntN(5000)
	}
	fields := []string{":status", pick([]string{"200", "200", "201", "204", "302", "404", "500", "abc", "2000"})}
	seen := map[int]bool{}
	for range rng.IntN(6) {
		i := rng.IntN(len(randomGRPCFields))
		if seen[i] {
			continue
		}
		seen[i] = true
		f := randomGRPCFields[i]
		fields = append(fields, pick(f[0]), pick(f[1]))
	}
	clen := -1
	if rng.IntN(4) == 0 {
		clen = n
		switch rng.IntN(3) {
		case 0:
			clen = n + 1 + rng.IntN(3)
		case 1:
			clen = max(n-1, 0)
		}
		fields = append(fields, "content-length", strconv.Itoa(clen))
	}
	block := headersBlock(fields...)
	switch rng.IntN(40) {
	case 0:
		block = "\xbe" + block // an index past the tables
	case 1:
		block = block[:len(block)/2] // cut
	}
	// END_STREAM on the head only without a Content-Length: nginx 1.22
	// took such a head as complete and empty whatever its Content-Length
	headEnds := n == 0 && clen < 0 && rng.IntN(3) == 0
	for first := true; first || block != ""; first = false {
		k := len(block)
		if rng.IntN(3) == 0 && len(block) > 1 {
			k = 1 + rng.IntN(len(block)-1)
		}
		part := block[:k]
		block = block[k:]
		var flags byte
		if block == "" {
			flags |= 4 // END_HEADERS
		}
		if !first {
			b.WriteString(frame(tCont, flags, 1, part))
			continue
		}
		if headEnds {
			flags |= 1
		}
		if rng.IntN(6) == 0 {
			flags |= 0x20
			part = "\x00\x00\x00\x00\x10" + part
		}
		if rng.IntN(6) == 0 {
			pad := rng.IntN(20)
			flags |= 8
			part = string(rune(pad)) + part + strings.Repeat("\x00", pad)
		}
		b.WriteString(frame(tHeaders, flags, 1, part))
	}
	if !headEnds {
		control()
	}

	// the body and the end
	body := strings.Repeat(string(rune('a'+rng.IntN(26))), n)
	ending := rng.IntN(12)
	trailers := ending < 3
	for body != "" && !headEnds {
		k := 1 + rng.IntN(min(len(body), 6000))
		part := body[:k]
		body = body[k:]
		var flags byte
		if body == "" && !trailers && ending < 9 {
			flags |= 1
		}
		if rng.IntN(6) == 0 {
			pad := rng.IntN(20)
			flags |= 8
			part = string(rune(pad)) + part + strings.Repeat("\x00", pad)
		}
		b.WriteString(frame(tData, flags, 1, part))
		control()
		if rng.IntN(50) == 0 {
			b.WriteString(frame(tData, 0, 3, "x")) // another stream
		}
	}
	if !headEnds {
		switch {
		case trailers:
			b.WriteString(frame(tHeaders, 5, 1, headersBlock("grpc-status", "0", "grpc-message", "fine")))
		case n == 0 && ending < 9:
			b.WriteString(frame(tData, 1, 1, ""))
		}
	}
	switch ending {
	case 3:
		b.WriteString(frame(tRST, 0, 1, "\x00\x00\x00\x00"))
	case 4:
		b.WriteString(frame(tGoaway, 0, 0, "\x00\x00\x00\x01\x00\x00\x00\x00"))
	case 9:
		b.WriteString(frame(tRST, 0, 1, "\x00\x00\x00\x02"))
	}
	stream := b.String()
	out := testutil.CutAnswer(rng, stream, 0)
	pieces := out[:0]
	for _, p := range out {
		if p != "<pause>" {
			pieces = append(pieces, p)
		}
	}
	if ending == 10 {
		pieces = append(pieces, "CLOSE")
	}
	return pieces
}

// TestDiffRandomGRPC sends HTTP/2 answers drawn at random (fixed seed)
// through nginx's and sluice's grpc_pass, with the default buffer and a
// 1k one, as GET over HTTP/1.1 and HTTP/1.0 and as HEAD, and compares
// what the client gets (status, headers, body, trailers, completeness,
// close) and the lines of the two error logs.
func TestDiffRandomGRPC(t *testing.T) { diffRandomGRPC(t, 3, 115) }

// diffRandomGRPC is TestDiffRandomGRPC with a seed and a number of
// answers.
func diffRandomGRPC(t *testing.T, seed uint64, cases int) {
	rng := rand.New(rand.NewPCG(seed, 19))
	answers := map[string][]string{}
	names := make([]string, cases)
	for i := range names {
		names[i] = fmt.Sprintf("/g%d", i)
		answers[names[i]] = randomGRPC(rng)
	}
	raw := startRawPaused(t, answers, 30*time.Millisecond)
	conf := strings.ReplaceAll(`
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        default_type text/plain;
        grpc_read_timeout 5s;
        location /raw/ {
            grpc_pass RAW;
        }
        location /small/ {
            grpc_pass RAW;
            grpc_buffer_size 1k;
        }
        location = /internal {
            internal;
            return 200 "internal\n";
        }
    }
}
`, "RAW", raw.addr())
	n := oracle.Start(t, conf)
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+conf)
	cmp := oracle.DefaultComparison()
	cmp.Trailers = true
	cmp.NormalizeBody = oracle.NormalizeServerTokens
	cmp.Headers = append(cmp.Headers, "X-A", "X-Upper", "X-Bad", "X-Long", "Grpc-Status", "Grpc-Message", "Cache-Control")
	cmp.CloseWait = 300 * time.Millisecond
	cmp.Normalize["date"] = oracle.PresentUnless("1970", "junk")
	t.Run("answers", func(t *testing.T) {
		for _, prefix := range []string{"/raw", "/small"} {
			for i, name := range names {
				oracle.CompareVariant(t, prefix+name, i, n.Addr(0), s.Addr("0"), cmp, answers[name])
			}
		}
	})
	oracle.CompareErrorLogs(t, n.ErrorLog(), s.ErrorLog())
}
