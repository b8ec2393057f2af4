// Package cache is sluice's file cache store (the storage half of nginx's
// ngx_http_file_cache): keyed entries on disk under a levels layout named
// by the md5 of the key, each file a binary header, the key, the raw
// upstream response head and the body; a shared in-memory index of the
// entries (the keys zone) with use counts, update locks and LRU order; a
// loader that indexes what is on disk at start, and a manager that removes
// inactive entries and keeps the cache under max_size and above min_free.
//
// The store knows nothing of HTTP semantics beyond the header fields it
// keeps for its users (validity times, Last-Modified, ETag, Vary): the
// upstream framework decides what is cacheable and for how long.
package cache

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// Version is the file format version; files of another version are
// ignored as invalid.
const Version = 0x534c4301 // "SLC" 1

// Field limits of the file header (nginx's NGX_HTTP_CACHE_ETAG_LEN and
// NGX_HTTP_CACHE_VARY_LEN).
const (
	ETagLen = 128
	VaryLen = 128
)

// fixedLen is the size of the binary part of the file header.
const fixedLen = 336

// Header is the binary header at the start of every cache file
// (ngx_http_file_cache_header_t).
type Header struct {
	// ValidSec is when the entry stops being fresh (Unix seconds).
	ValidSec int64
	// UpdatingSec and ErrorSec extend the use of a stale entry while it is
	// updated or the upstream fails (stale-while-revalidate,
	// stale-if-error).
	UpdatingSec int64
	ErrorSec    int64
	// LastModified is the response's Last-Modified (-1 none); Date when
	// the entry was stored.
	LastModified int64
	Date         int64
	// CRC32 is the checksum of the key text.
	CRC32 uint32
	// HeaderStart is where the raw response head starts; BodyStart where
	// the body starts.
	HeaderStart int
	BodyStart   int
	// ETag and Vary are the response's fields (at most 128 bytes each).
	ETag string
	Vary string
	// Variant is the md5 of the request fields Vary names.
	Variant [16]byte
}

var errShort = errors.New("cache file header is too short")
var errVersion = errors.New("cache file version mismatch")

// KeyCRC returns the checksum stored for a key text.
func KeyCRC(key string) uint32 { return crc32.ChecksumIEEE([]byte(key)) }

// marshal encodes the header followed by the key line ("\nKEY: k\n").
func (h *Header) marshal(key string) []byte {
	b := make([]byte, fixedLen, fixedLen+len(key)+8)
	le := binary.LittleEndian
	le.PutUint32(b[0:], Version)
	le.PutUint64(b[8:], uint64(h.ValidSec))
	le.PutUint64(b[16:], uint64(h.UpdatingSec))
	le.PutUint64(b[24:], uint64(h.ErrorSec))
	le.PutUint64(b[32:], uint64(h.LastModified))
	le.PutUint64(b[40:], uint64(h.Date))
	le.PutUint32(b[48:], h.CRC32)
	le.PutUint32(b[52:], uint32(h.HeaderStart))
	le.PutUint32(b[56:], uint32(h.BodyStart))
	b[60] = byte(copy(b[61:61+ETagLen], h.ETag))
	b[189] = byte(copy(b[190:190+VaryLen], h.Vary))
	copy(b[318:334], h.Variant[:])
	b = append(b, "\nKEY: "...)
	b = append(b, key...)
	b = append(b, '\n')
	return b
}

// keyLineLen is the length of the key line for a key.
func keyLineLen(key string) int { return len("\nKEY: ") + len(key) + 1 }

// unmarshal decodes the binary header.
func (h *Header) unmarshal(b []byte) error {
	if len(b) < fixedLen {
		return errShort
	}
	le := binary.LittleEndian
	if le.Uint32(b[0:]) != Version {
		return errVersion
	}
	h.ValidSec = int64(le.Uint64(b[8:]))
	h.UpdatingSec = int64(le.Uint64(b[16:]))
	h.ErrorSec = int64(le.Uint64(b[24:]))
	h.LastModified = int64(le.Uint64(b[32:]))
	h.Date = int64(le.Uint64(b[40:]))
	h.CRC32 = le.Uint32(b[48:])
	h.HeaderStart = int(le.Uint32(b[52:]))
	h.BodyStart = int(le.Uint32(b[56:]))
	n := min(int(b[60]), ETagLen)
	h.ETag = string(b[61 : 61+n])
	n = min(int(b[189]), VaryLen)
	h.Vary = string(b[190 : 190+n])
	copy(h.Variant[:], b[318:334])
	if h.HeaderStart < fixedLen || h.BodyStart < h.HeaderStart {
		return errShort
	}
	return nil
}

// putTimes writes the validity fields of an encoded header in place
// (ngx_http_file_cache_update_header).
func (h *Header) putTimes(b []byte) {
	le := binary.LittleEndian
	le.PutUint64(b[8:], uint64(h.ValidSec))
	le.PutUint64(b[16:], uint64(h.UpdatingSec))
	le.PutUint64(b[24:], uint64(h.ErrorSec))
	le.PutUint64(b[40:], uint64(h.Date))
}
