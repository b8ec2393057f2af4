//go:build !race

package gunzip_test

const raceEnabled = false
