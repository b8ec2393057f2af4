package cgi

import (
	"reflect"
	"testing"

	"github.com/sluicehq/sluice/httpd"
)

func fixed(v string) func(*httpd.Request) string {
	return func(*httpd.Request) string { return v }
}

func collect(s *Set) []string {
	var out []string
	s.Each(nil, func(k, v string) { out = append(out, k+"="+v) })
	return out
}

func TestCompile(t *testing.T) {
	tests := []struct {
		name     string
		src      []Param
		defaults []Param
		want     []string
		hides    []string // header names not passed
		passes   []string // header names passed
	}{
		{name: "none", want: nil, passes: []string{"Host", "User-Agent"}},
		{name: "plain params in order",
			src:  []Param{{Key: "SCRIPT_FILENAME", Func: fixed("/x")}, {Key: "QUERY_STRING", Func: fixed("")}},
			want: []string{"SCRIPT_FILENAME=/x", "QUERY_STRING="}},
		{name: "if_not_empty skips empty",
			src:  []Param{{Key: "A", Func: fixed(""), IfNotEmpty: true}, {Key: "B", Func: fixed("b"), IfNotEmpty: true}},
			want: []string{"B=b"}},
		{name: "HTTP_ param hides the header, dash and case mapped",
			src:    []Param{{Key: "HTTP_USER_AGENT", Func: fixed("me")}},
			want:   []string{"HTTP_USER_AGENT=me"},
			hides:  []string{"User-Agent", "user-agent", "USER_AGENT"},
			passes: []string{"User-Agent2", "Host"}},
		{name: "empty HTTP_ param hides without being sent",
			src:   []Param{{Key: "HTTP_HOST", empty: true}},
			hides: []string{"Host"}},
		{name: "HTTP_ alone is an ordinary param",
			src:    []Param{{Key: "HTTP_", Func: fixed("x")}},
			want:   []string{"HTTP_=x"},
			passes: []string{"Host"}},
		{name: "lower-case http_ prefix hides nothing",
			src:    []Param{{Key: "http_host", Func: fixed("x")}},
			want:   []string{"http_host=x"},
			passes: []string{"Host"}},
		{name: "cache defaults added unless named",
			src:      []Param{{Key: "http_if_match", Func: fixed("m")}},
			defaults: []Param{{Key: "HTTP_IF_MODIFIED_SINCE", Func: fixed("")}, {Key: "HTTP_IF_MATCH"}, {Key: "HTTP_RANGE"}, {Key: "HTTP_IF_NONE_MATCH", Func: fixed("\"e\"")}},
			want:     []string{"http_if_match=m", "HTTP_IF_NONE_MATCH=\"e\""},
			hides:    []string{"If-Modified-Since", "Range", "If-None-Match"},
			passes:   []string{"If-Match"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Compile(tt.src, tt.defaults)
			if got := collect(s); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("params = %q, want %q", got, tt.want)
			}
			for _, h := range tt.hides {
				if s.Passes(&httpd.Header{Key: h, Value: "v"}) {
					t.Errorf("header %q passed, want hidden", h)
				}
			}
			for _, h := range tt.passes {
				if !s.Passes(&httpd.Header{Key: h, Value: "v"}) {
					t.Errorf("header %q hidden, want passed", h)
				}
			}
		})
	}
}

func TestPassesDeletedAndNil(t *testing.T) {
	var s *Set
	if !s.Passes(&httpd.Header{Key: "Host"}) {
		t.Error("nil set hides Host")
	}
	if s.Passes(&httpd.Header{Key: "Host", Deleted: true}) {
		t.Error("deleted header passed")
	}
	if got := collect(s); got != nil {
		t.Errorf("nil set params = %q", got)
	}
}

func TestMergeInheritance(t *testing.T) {
	defer func(d []Param) { Defaults = d }(Defaults)
	Defaults = []Param{{Key: "D", Func: fixed("d")}, {Key: "B", Func: fixed("default")}}
	http := &Params{}
	Append := func(ps *Params, p Param) { ps.Src.Set(append(ps.Src.Get(), p)) }
	Append(http, Param{Key: "A", Func: fixed("1")})
	srv := &Params{}
	srv.Merge(http, false, nil)
	loc := &Params{}
	loc.Merge(srv, true, []Param{{Key: "HTTP_RANGE"}, {Key: "X", Func: fixed("d")}})
	if srv.Set != http.Set || loc.Set != http.Set {
		t.Fatal("levels without params do not share the parent's compiled set")
	}
	if got := collect(loc.Set); !reflect.DeepEqual(got, []string{"A=1", "D=d", "B=default"}) {
		t.Errorf("inherited params = %q", got)
	}
	if loc.CacheSet == nil || loc.CacheSet.Passes(&httpd.Header{Key: "Range"}) {
		t.Error("cache set missing or passes Range")
	}
	if got := collect(loc.CacheSet); len(got) == 0 || got[0] != "A=1" {
		t.Errorf("cache set two levels below the params lacks them: %q", got)
	}
	own := &Params{}
	Append(own, Param{Key: "B", Func: fixed("2")})
	own.Merge(srv, false, nil)
	if got := collect(own.Set); !reflect.DeepEqual(got, []string{"B=2", "D=d"}) {
		t.Errorf("a level with params of its own inherits: %q", got)
	}
	if own.CacheSet != nil {
		t.Error("cache set without cache")
	}
}

func TestAppendHTTPName(t *testing.T) {
	for in, want := range map[string]string{
		"Host": "HTTP_HOST", "user-agent": "HTTP_USER_AGENT", "X_Under": "HTTP_X_UNDER", "a.b~1": "HTTP_A.B~1",
	} {
		got := string(AppendHTTPName(nil, in))
		if got != want || HTTPNameLen(in) != len(want) {
			t.Errorf("AppendHTTPName(%q) = %q (len %d), want %q", in, got, HTTPNameLen(in), want)
		}
	}
}

func TestJoinedHeaders(t *testing.T) {
	list := []httpd.Header{
		{Key: "X-Forwarded-For", Value: "foo"}, {Key: "Cookie", Value: "a=1"}, {Key: "x-forwarded-for", Value: "bar"},
		{Key: "Gone", Value: "g"}, {Key: "cookie", Value: "b=2"}, {Key: "X-Forwarded-For", Value: "bazz", Deleted: true},
		{Key: "Single", Value: "s"},
	}
	want := map[int]string{0: "foo, bar", 1: "a=1; b=2", 3: "g", 6: "s"}
	for i := range list {
		first := FirstOfName(list, i)
		if _, ok := want[i]; ok != first {
			t.Errorf("FirstOfName(%d) = %v", i, first)
			continue
		}
		if !first {
			continue
		}
		got := string(AppendJoined(nil, list, i))
		if got != want[i] || JoinedLen(list, i) != len(got) {
			t.Errorf("header %d: %q (len %d), want %q", i, got, JoinedLen(list, i), want[i])
		}
	}
}
