//go:build !race

package gzipstatic_test

const raceEnabled = false
