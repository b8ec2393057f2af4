package memcached_test

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

// startRawMemcached starts a server that answers "get KEY" with the
// pieces out[KEY] ("<pause>" waits 30 ms) and closes 30 ms after the
// last: whether a server has seen the close when it reads the last bytes
// is a race (nginx reads on at once if it has, under the action it is
// in).
func startRawMemcached(t *testing.T, out map[string][]string) *testutil.Backend {
	return testutil.StartBackendFunc(t, func(int) testutil.Script {
		return testutil.Script{testutil.Pieces(func(c *testutil.BackendConn) ([]string, error) {
			key, err := readKey(c)
			if err != nil || len(out[key]) == 0 {
				return nil, err
			}
			return append(out[key][:len(out[key]):len(out[key])], "<pause>"), nil
		}, 30*time.Millisecond)}
	})
}

// randomMemcachedAnswer builds an answer to "get KEY": a VALUE line whose
// key, flags and length are right or wrong, data of that length or not,
// and a trailer right or wrong or missing; or a miss, an error line, junk,
// or nothing. The pieces are written apart, with pauses between some.
func randomMemcachedAnswer(rng *rand.Rand, key string) []string {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	var out []string
	pause := func() bool { return rng.IntN(3) == 0 }
	add := func(s string) { out = testutil.AddPiece(out, s, pause) }
	switch rng.IntN(8) {
	case 0:
		add(pick([]string{"END\r\n", "ERROR\r\n", "SERVER_ERROR out of memory\r\n", "CLIENT_ERROR bad\r\n",
			"junk\r\n", "VALUE\r\n", "END", "VALUE " + key, "\r\n", "EN\r\n"}))
		return out
	case 1:
		return nil // closes at once
	}
	n := rng.IntN(10)
	if rng.IntN(8) == 0 {
		n = 5000 + rng.IntN(5000)
	}
	data := strings.Repeat(string(rune('a'+rng.IntN(26))), n)
	k := key
	if rng.IntN(8) == 0 {
		k = pick([]string{key + "x", "/other", strings.ToUpper(key), ""})
	}
	flags := pick([]string{"0", "0", "0", "2", "3", "x", "4294967295", "4294967296", "-1", "00"})
	length := strconv.Itoa(n)
	switch rng.IntN(10) {
	case 0:
		length = strconv.Itoa(n + 1 + rng.IntN(3))
	case 1:
		if n > 0 {
			length = strconv.Itoa(n - 1)
		}
	case 2:
		length = pick([]string{"x", "", "-1", "+" + length, "0" + length, length + " 77", length + " "})
	}
	sep := " "
	if rng.IntN(12) == 0 {
		sep = "  "
	}
	add("VALUE" + sep + k + sep + flags + sep + length + pick([]string{"\r\n", "\r\n", "\r\n", "\n"}))
	if n > 4 && rng.IntN(3) == 0 {
		add(data[:n/2])
		add(data[n/2:])
	} else if n > 0 {
		add(data)
	}
	add(pick([]string{"\r\nEND\r\n", "\r\nEND\r\n", "\r\nEND\r\n", "\r\nEND", "\r\nFOO\r\n", "\r\n", "", "\r\nEND\r\nextra", "XX\r\nEND\r\n", "\nEND\r\n"}))
	return out
}

// TestDiffRandomMemcached sends memcached answers drawn at random (fixed
// seed) through nginx and sluice, as GET over HTTP/1.1 and HTTP/1.0 and as
// HEAD, with and without memcached_gzip_flag, and compares what the
// client gets (status, headers, body, completeness, close) and the lines
// of the two error logs. nginx's memcached module has not changed in
// behaviour since 1.22, so every difference is one of sluice's.
func TestDiffRandomMemcached(t *testing.T) { diffRandomMemcached(t, 1, 60) }

// diffRandomMemcached is TestDiffRandomMemcached with a seed and a number
// of answers.
func diffRandomMemcached(t *testing.T, seed uint64, cases int) {
	rng := rand.New(rand.NewPCG(seed, 9))
	answers := map[string][]string{}
	keys := make([]string, 0, 2*cases)
	for i := range cases {
		for _, prefix := range []string{"/m/", "/gz/"} {
			key := fmt.Sprintf("%s%d", prefix, i)
			keys = append(keys, key)
			answers[key] = randomMemcachedAnswer(rng, key)
		}
	}
	m := startRawMemcached(t, answers)
	conf := strings.ReplaceAll(`
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        default_type text/plain;
        memcached_read_timeout 5s;
        location /m/ {
            set $memcached_key $uri;
            memcached_pass MEMD;
        }
        location /gz/ {
            set $memcached_key $uri;
            memcached_gzip_flag 2;
            memcached_pass MEMD;
        }
    }
}
`, "MEMD", m.Addr())
	n := oracle.Start(t, conf)
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+conf)
	cmp := comparison()
	cmp.CloseWait = 300 * time.Millisecond
	t.Run("answers", func(t *testing.T) {
		for i, key := range keys {
			oracle.CompareVariant(t, key, i, n.Addr(0), s.Addr("0"), cmp, answers[key])
		}
	})
	oracle.CompareErrorLogs(t, n.ErrorLog(), s.ErrorLog())
}
