package http1

import "testing"

func BenchmarkRequestHead(b *testing.B) {
	var rl RequestLine
	var h HeaderParser
	b.SetBytes(int64(len(benchRequest)))
	b.ReportAllocs()
	for b.Loop() {
		if parseRequestHead(&rl, &h, benchRequest) != 10 {
			b.Fatal("parse failed")
		}
	}
}

func BenchmarkResponseHead(b *testing.B) {
	var s StatusLine
	h := HeaderParser{AllowUnderscores: true, Upstream: true}
	b.SetBytes(int64(len(benchResponse)))
	b.ReportAllocs()
	for b.Loop() {
		if parseResponseHead(&s, &h, benchResponse) != 10 {
			b.Fatal("parse failed")
		}
	}
}

func BenchmarkChunked(b *testing.B) {
	var c Chunked
	b.SetBytes(int64(len(benchChunked)))
	b.ReportAllocs()
	for b.Loop() {
		if decodeChunked(&c, benchChunked) != 16*1024 {
			b.Fatal("decode failed")
		}
	}
}

func BenchmarkComplexURI(b *testing.B) {
	src := []byte("/static/../assets//img/%E2%9C%93/./logo.png?v=1")
	dst := make([]byte, ComplexURIDstLen(src))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, res := ParseComplexURI(dst, src, false, true); res != OK {
			b.Fatal(res)
		}
	}
}
