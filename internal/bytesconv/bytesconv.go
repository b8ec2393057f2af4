// Package bytesconv converts between byte slices and strings without
// copying, for the request and response heads that sluice parses in place.
//
// Ownership rule: a string made by String aliases the slice's memory. It is
// valid only while that memory is neither modified nor reused; for request
// heads that is until the request finishes. Code that keeps such a string
// longer (a cache, a goroutine outliving the request) must strings.Clone it.
package bytesconv

import "unsafe"

// String returns b's bytes as a string without copying.
func String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// Bytes returns s's bytes without copying; the result must not be modified.
func Bytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
