package notmodified

import "testing"

func TestETagMatches(t *testing.T) {
	const tag = `"5e3b-64"`
	tests := []struct {
		name, list string
		etag       string
		has, weak  bool
		want       bool
	}{
		{name: "exact", list: tag, etag: tag, has: true, want: true},
		{name: "other", list: `"x"`, etag: tag, has: true},
		{name: "star", list: "*", etag: tag, has: true, want: true},
		{name: "star without etag", list: "*", want: true},
		{name: "without etag", list: tag},
		{name: "list", list: `"a", ` + tag + `, "b"`, etag: tag, has: true, want: true},
		{name: "list blanks", list: `"a",	 ` + tag + " \t", etag: tag, has: true, want: true},
		{name: "list no match", list: `"a", "b"`, etag: tag, has: true},
		{name: "prefix is not a match", list: tag[:len(tag)-1], etag: tag, has: true},
		{name: "longer element", list: tag + `x`, etag: tag, has: true},
		{name: "weak in list, strong compare", list: "W/" + tag, etag: tag, has: true},
		{name: "weak in list, weak compare", list: "W/" + tag, etag: tag, has: true, weak: true, want: true},
		{name: "weak etag, weak compare", list: tag, etag: "W/" + tag, has: true, weak: true, want: true},
		{name: "weak etag, strong compare", list: tag, etag: "W/" + tag, has: true},
		{name: "star in a list", list: `"a", *`, etag: tag, has: true},
		{name: "empty list", list: "", etag: tag, has: true},
		{name: "commas only", list: ",,,", etag: tag, has: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := etagMatches(tc.list, tc.etag, tc.has, tc.weak); got != tc.want {
				t.Errorf("etagMatches(%q, %q, %v, %v) = %v, want %v", tc.list, tc.etag, tc.has, tc.weak, got, tc.want)
			}
		})
	}
}

func FuzzETagMatches(f *testing.F) {
	f.Add(`"a", "b"`, `"b"`, true)
	f.Add(`W/"a"`, `W/"a"`, false)
	f.Add("*", "", true)
	f.Fuzz(func(t *testing.T, list, etag string, weak bool) {
		if etagMatches(list, etag, true, weak) && list != "*" && etag != "" {
			// a match means the tag (less a weak prefix) occurs in the list
			e := etag
			if weak && len(e) > 2 && e[:2] == "W/" {
				e = e[2:]
			}
			if !contains(list, e) {
				t.Fatalf("%q matched %q", list, etag)
			}
		}
	})
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
