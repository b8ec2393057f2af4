//go:build race

package geo_test

// raceEnabled is set in race-detector builds, where sync.Pool drops items
// on purpose and allocation counts mean nothing.
const raceEnabled = true
