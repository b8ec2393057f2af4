package http1

import (
	"bytes"
	"testing"
)

// Fuzz targets. Invariants for every parser: no panic, every offset within
// the input, and feeding the input in pieces gives what parsing it in one
// go gives. Seeds live in testdata/fuzz/<Target>/.

// fuzzPlans returns a few ways of splitting an input of length n: one go,
// byte by byte, and splits at a third and a half.
func fuzzPlans(n int) [][]int {
	plans := [][]int{{n}}
	if n > 1 {
		bytewise := make([]int, n)
		for i := range bytewise {
			bytewise[i] = i + 1
		}
		plans = append(plans, bytewise, []int{n / 3, n}, []int{n / 2, n})
	}
	return plans
}

// inBounds reports whether every offset is -1 or within [0, n].
func inBounds(n int, offs ...int) bool {
	for _, o := range offs {
		if o < -1 || o > n {
			return false
		}
	}
	return true
}

func FuzzRequest(f *testing.F) {
	for _, s := range requestSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, us := range []bool{false, true} {
			plans := fuzzPlans(len(in))
			want := feedRequest(in, plans[0], us)
			p := want.line
			if !inBounds(len(in), p.Pos, p.RequestStart, p.RequestEnd, p.MethodEnd,
				p.SchemaStart, p.SchemaEnd, p.HostStart, p.HostEnd, p.PortStart,
				p.PortEnd, p.URIStart, p.URIEnd, p.ArgsStart, p.ExtStart,
				p.ProtocolStart, want.hdrPos) {
				t.Fatalf("offset out of bounds: %+v", p)
			}
			for _, ends := range plans[1:] {
				if got := feedRequest(in, ends, us); got != want {
					t.Fatalf("split %v:\n got %+v\nwant %+v", ends[:1], got, want)
				}
			}
			if want.lineRes != OK {
				continue
			}
			if p.URIStart < 0 || p.URIEnd < p.URIStart || p.RequestEnd < p.RequestStart {
				t.Fatalf("bad URI or line offsets: %+v", p)
			}
			src := in[p.URIStart:p.URIEnd]
			dst := make([]byte, ComplexURIDstLen(src))
			u, res := ParseComplexURI(dst, src, p.EmptyPathInURI, true)
			if res == OK && (u.Len > len(dst) || !inBounds(len(src), u.ArgsStart, u.ArgsEnd)) {
				t.Fatalf("complex URI out of bounds: %+v", u)
			}
			if p.HostStart >= 0 {
				ValidateHost(nil, in[p.HostStart:p.HostEnd])
			}
		}
	})
}

func FuzzStatus(f *testing.F) {
	for _, s := range responseSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		plans := fuzzPlans(len(in))
		want := feedResponse(in, plans[0])
		s := want.status
		if !inBounds(len(in), s.Pos, s.LineStart, want.hdrPos) {
			t.Fatalf("offset out of bounds: %+v", s)
		}
		if want.statusRes == OK {
			if s.Start < 0 || s.End < s.Start || s.End > len(in) || s.Code < 0 || s.Code > 999 {
				t.Fatalf("bad status: %+v", s)
			}
		}
		for _, ends := range plans[1:] {
			if got := feedResponse(in, ends); got != want {
				t.Fatalf("split %v:\n got %+v\nwant %+v", ends[:1], got, want)
			}
		}
	})
}

func FuzzChunked(f *testing.F) {
	for _, s := range chunkedSamples {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, in []byte, keep bool) {
		plans := fuzzPlans(len(in))
		want := feedChunkedGrowing(in, plans[0], keep)
		if len(want.data) > len(in) || !inBounds(len(in), want.pos) {
			t.Fatalf("bad outcome %+v", want)
		}
		fresh := feedChunkedFresh(in, plans[0], keep)
		for _, ends := range plans[1:] {
			if got := feedChunkedGrowing(in, ends, keep); got.data != want.data || got.res != want.res ||
				got.res != Invalid && got.pos != want.pos {
				t.Fatalf("growing split %v:\n got %+v\nwant %+v", ends[:1], got, want)
			}
			if got := feedChunkedFresh(in, ends, keep); got != fresh {
				t.Fatalf("fresh split %v:\n got %+v\nwant %+v", ends[:1], got, fresh)
			}
		}
		if fresh.data != want.data || fresh.res != want.res {
			t.Fatalf("fresh %+v, growing %+v", fresh, want)
		}
	})
}

func FuzzComplexURI(f *testing.F) {
	for _, s := range []string{"/a/b/../c", "//a/./b%2F..", "?x#y", "/%2e%2e", "/a%00", "/a.b/c.d?e#f"} {
		f.Add([]byte(s), false, true)
	}
	f.Fuzz(func(t *testing.T, src []byte, emptyPath, merge bool) {
		dst := make([]byte, ComplexURIDstLen(src))
		u, res := ParseComplexURI(dst, src, emptyPath, merge)
		if res != OK {
			return
		}
		if u.Len < 0 || u.Len > len(dst) || u.ExtStart > u.Len ||
			!inBounds(len(src), u.ArgsStart, u.ArgsEnd) || u.ArgsEnd < u.ArgsStart {
			t.Fatalf("out of bounds: %+v", u)
		}
		path := dst[:u.Len]
		// Without escapes and fragments, a normalised path that started with
		// '/' has no dot segments left, and no empty ones with merging.
		if emptyPath || len(src) == 0 || src[0] != '/' || bytes.ContainsAny(src, "%#") {
			return
		}
		if q := bytes.IndexByte(src, '?'); q >= 0 {
			src = src[:q]
		}
		if len(path) == 0 || path[0] != '/' {
			t.Fatalf("path %q from %q does not start with /", path, src)
		}
		seg := append(append([]byte{}, path...), '/')
		if bytes.Contains(seg, []byte("/./")) || bytes.Contains(seg, []byte("/../")) {
			t.Fatalf("dot segment left in %q from %q", path, src)
		}
		if merge && bytes.Contains(path, []byte("//")) {
			t.Fatalf("double slash left in %q from %q", path, src)
		}
	})
}
