package splitclients_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/modules/splitclients"
)

const splitConf = `
events {}
http {
    access_log off;

    split_clients $arg_k $three {
        33.33%  one;
        33.33%  two;
        *       three;
    }

    split_clients "${arg_k}salt" $salted {
        0.5%    tiny;
        2.0%    small;
        50%     half;
        *       "";
    }

    split_clients $arg_k $partial {
        10%     ten;
        20.25%  twenty;
    }

    split_clients $arg_k $full {
        50%     a;
        50%     b;
    }

    split_clients $arg_k $star_first {
        *       all;
    }

    server {
        listen 127.0.0.1:%%PORT_0%%;
        location / {
            add_header X-Split "$three|$salted|$partial|$full|$star_first";
            return 204;
        }
    }
}
`

// keys are compared between nginx and sluice: short and long (every tail
// length of the hash), escaped bytes, and many numbered ones.
func keys() []string {
	k := []string{"", "a", "ab", "abc", "abcd", "abcde", "abcdefg", "abcdefgh", "%00", "%ff%fe%fd", "%C3%A9t%C3%A9",
		"192.168.1.1", "10.0.0.1", "user-12345", strings.Repeat("x", 100)}
	for i := 0; i < 400; i++ {
		k = append(k, fmt.Sprintf("client%d", i))
	}
	return k
}

func TestOracleBuckets(t *testing.T) {
	n := oracle.Start(t, splitConf)
	s := servertest.Start(t, splitConf)
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-Split")
	for _, k := range keys() {
		t.Run(k, func(t *testing.T) {
			oracle.Compare(t, "GET /?k="+k+" HTTP/1.0\r\n\r\n", n.Addr(0), s.Addr("0"), cmp)
		})
	}
}

// TestBuckets: the shares come out as configured over many keys.
func TestBuckets(t *testing.T) {
	s := servertest.Start(t, splitConf)
	count := map[string]int{}
	for i := 0; i < 600; i++ {
		r := testutil.RoundTrip(t, s.Addr("0"), fmt.Sprintf("GET /?k=key%d HTTP/1.0\r\n\r\n", i))
		parts := strings.Split(r.Get("X-Split"), "|")
		if len(parts) != 5 {
			t.Fatalf("X-Split %q", r.Get("X-Split"))
		}
		count[parts[0]]++
		if parts[4] != "all" {
			t.Errorf("a part after * was used: %q", parts[4])
		}
	}
	for _, v := range []string{"one", "two", "three"} {
		if count[v] < 150 || count[v] > 250 {
			t.Errorf("%s: %d of 600", v, count[v])
		}
	}
}

func TestMurmurHash2(t *testing.T) {
	// TestOracleBuckets compares the buckets of many keys with nginx's
	cases := []struct {
		in   string
		want uint32
	}{
		{"", 0},
	}
	for _, tc := range cases {
		if got := splitclients.MurmurHash2(tc.in); got != tc.want {
			t.Errorf("MurmurHash2(%q) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { splitclients.MurmurHash2("192.168.1.1AAA") }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

func TestParsePercent(t *testing.T) {
	cases := []struct {
		name, in string
		want     uint32
		ok       bool
	}{
		{"integer", "50%", 5000, true},
		{"one decimal", "0.5%", 50, true},
		{"two decimals", "33.33%", 3333, true},
		{"three decimals", "33.333%", 0, false},
		{"trailing dot", "1.%", 100, true},
		{"leading dot", ".5%", 50, true},
		{"zero", "0%", 0, false},
		{"zero decimals", "0.00%", 0, false},
		{"no percent sign", "50", 0, false},
		{"percent alone", "%", 0, false},
		{"dot alone", ".%", 0, false},
		{"two dots", "1.2.3%", 0, false},
		{"sign", "+5%", 0, false},
		{"over 100", "150%", 15000, true},
		// nginx checks for 0 before storing 32 bits: 2^32 hundredths is 0, a "*"
		{"huge is truncated to 32 bits", "42949672.96%", 0, true},
		{"huge", "42949672.97%", 1, true},
		{"overflow", "99999999999999999999%", 0, false},
		{"empty", "", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := splitclients.ParsePercent(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ParsePercent(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// FuzzParsePercent: no input panics and nothing without "%" parses.
func FuzzParsePercent(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := splitclients.ParsePercent(s)
		if !ok {
			return
		}
		_ = n
		if !strings.HasSuffix(s, "%") {
			t.Fatalf("%q accepted without %%", s)
		}
	})
}
