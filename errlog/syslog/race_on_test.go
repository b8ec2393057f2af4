//go:build race

package syslog

// raceEnabled is set in race-detector builds, where sync.Pool drops items
// on purpose and allocation counts mean nothing.
const raceEnabled = true
