//go:build race

package gzipstatic_test

const raceEnabled = true
