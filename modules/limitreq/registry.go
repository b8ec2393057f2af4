package limitreq

import "github.com/sluicehq/sluice/internal/shmzone"

// registry keeps the zones of a running server across reloads (see
// shmzone.Registry).
var registry shmzone.Registry[*published]

// published is a zone of the last configuration loaded.
type published struct {
	size int64
	key  string // the key's text, for the check on reload
	st   *store
}
