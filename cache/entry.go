package cache

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/internal/extrename"
	"github.com/sluicehq/sluice/internal/tempfile"
)

// ErrNotMoved is Commit's error when the file could not be moved into
// place; why has been logged.
var ErrNotMoved = errors.New("cache: the file was not moved into place")

// Status is the result of Entry.Open.
type Status int

// The results of Open (nginx's NGX_DECLINED, NGX_OK, NGX_HTTP_CACHE_SCARCE,
// NGX_HTTP_CACHE_STALE, NGX_HTTP_CACHE_UPDATING and NGX_AGAIN).
const (
	// Miss: not in the cache; fetch it and store it.
	Miss Status = iota
	// Hit: a fresh entry; File, Header and Head are set.
	Hit
	// Scarce: fetch it, but do not store it (min_uses not reached, or the
	// lock could not be had).
	Scarce
	// Stale: an expired entry this request is to update; File, Header and
	// Head are set for use_stale and revalidation.
	Stale
	// Updating: an expired entry another request is updating.
	Updating
	// Busy: another request holds the cache lock; Wait, then Open again.
	Busy
	// Error: a cached error status (an intercepted upstream error stored
	// with Fail); Entry.Error holds it. No file is read.
	Error
)

// Entry is one request's handle on a cache entry (ngx_http_cache_t).
// Fill the exported inputs, call Open, and Close when the request ends.
type Entry struct {
	Zone *Zone
	// KeyText is the evaluated cache key; Key its md5.
	KeyText string
	Key     Key
	// MinUses is proxy_cache_min_uses; Lock and LockAge proxy_cache_lock
	// and proxy_cache_lock_age. NoWait makes a held lock answer Scarce
	// (the lock timeout passed).
	MinUses int
	Lock    bool
	LockAge time.Duration
	NoWait  bool
	// MaxHead is the largest head (file header, key, response head) that
	// may be read (the module's buffer_size).
	MaxHead int
	// Variant computes the variant of the request for a Vary value; nil
	// when the request has no fields to vary on.
	Variant func(vary string) [16]byte

	// Error is the status Open found cached (Error).
	Error int

	// Header, Head and File describe the entry found (Hit, Stale,
	// Updating); Length is the file size. Head is the raw response head.
	Header Header
	Head   []byte
	File   *os.File
	Length int64

	// secondary: the entry is looked up by its variant (the request's
	// fields named by the Vary of the response stored under the key
	// differ), mainKey being the key's own md5
	secondary bool
	mainKey   Key
	variant   [16]byte

	node     *node
	updating bool
	lockTime time.Time
	closed   bool
}

// ErrNoNode is Open's error when the keys zone is full of entries in use.
var ErrNoNode = errors.New("could not allocate node")

// Open looks the entry up (ngx_http_file_cache_open). Errors are worth a
// log line (file errors other than absence, a full keys zone); the request
// then goes to the upstream uncached.
func (e *Entry) Open() (Status, error) {
	z := e.Zone
	now := time.Now()
	z.mu.Lock()
	n := e.node
	if n == nil {
		var fresh bool
		n, fresh = z.lookup(e.Key, now)
		if n == nil {
			z.mu.Unlock()
			return Scarce, ErrNoNode
		}
		n.count++
		if fresh {
			n.uses = 1
		} else {
			n.uses++
		}
		e.node = n
	}
	renewed := false
	if n.error != 0 {
		if n.validSec >= now.Unix() {
			e.Error = n.error
			z.mu.Unlock()
			return Error, nil
		}
		// the cached error expired: the node starts over, as a new one
		z.renew(n)
		renewed = true
	}
	minUses := max(e.MinUses, 1)
	var test bool
	rv := Miss
	switch {
	case renewed:
		test = z.cold
		if minUses > 1 {
			if !test {
				z.mu.Unlock()
				return Scarce, nil
			}
			rv = Scarce
		}
	case n.exists || n.uses >= minUses:
		test = n.exists || z.cold
	case n.uses > 1 || !z.cold:
		z.mu.Unlock()
		return Scarce, nil
	default:
		test = z.cold
		rv = Scarce
	}
	z.mu.Unlock()
	if test {
		st, err := e.read(now)
		if st == reopen {
			return e.reopen()
		}
		if err != nil || st != Miss {
			return st, err
		}
	}
	if rv == Miss {
		return e.lock(now), nil
	}
	return rv, nil
}

// read opens the entry's file and checks its header
// (ngx_http_file_cache_read); Miss when there is no usable file.
func (e *Entry) read(now time.Time) (Status, error) {
	z := e.Zone
	path := z.Path(e.Key)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return Miss, nil
		}
		return Miss, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return Miss, err
	}
	limit := e.MaxHead
	if limit <= 0 {
		limit = 4096
	}
	b := make([]byte, limit)
	k, err := io.ReadFull(f, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		f.Close()
		return Miss, err
	}
	b = b[:k]
	var h Header
	if err := h.unmarshal(b); err != nil {
		f.Close()
		if errors.Is(err, errVersion) {
			return Miss, fmt.Errorf("cache file \"%s\" version mismatch", path)
		}
		return Miss, fmt.Errorf("cache file \"%s\" is too small", path)
	}
	if h.CRC32 != KeyCRC(e.KeyText) {
		f.Close()
		return Miss, fmt.Errorf("cache file \"%s\" has md5 collision", path)
	}
	if h.BodyStart > len(b) || int64(h.BodyStart) > fi.Size() {
		f.Close()
		return Miss, fmt.Errorf("cache file \"%s\" has too long header", path)
	}
	if h.Vary != "" || h.Variant != ([16]byte{}) {
		var v [16]byte
		if e.Variant != nil {
			v = e.Variant(h.Vary)
		}
		if v != h.Variant {
			// another variant is stored: this request's is looked up
			// by its variant
			f.Close()
			if e.secondary {
				return Miss, fmt.Errorf("cache file \"%s\" has incorrect vary hash", path)
			}
			e.variant = v
			return reopen, nil
		}
	}
	e.Header = h
	e.Head = b[h.HeaderStart:h.BodyStart]
	e.File = f
	e.Length = fi.Size()

	z.mu.Lock()
	defer z.mu.Unlock()
	n := e.node
	if !n.exists {
		n.exists = true
		n.fsSize = diskSize(fi)
		z.size += n.fsSize
	}
	n.validSec = h.ValidSec
	if h.ValidSec < now.Unix() {
		if n.updating && now.Before(n.lockTime) {
			return Updating, nil
		}
		n.updating = true
		n.lockTime = now.Add(e.lockAge())
		e.updating = true
		e.lockTime = n.lockTime
		return Stale, nil
	}
	return Hit, nil
}

// reopen is read's answer when the file under the key holds another
// variant than the request's.
const reopen Status = -1

// reopen looks the request's variant up under its own key, the variant's
// md5 (ngx_http_file_cache_reopen).
func (e *Entry) reopen() (Status, error) {
	z := e.Zone
	z.mu.Lock()
	e.node.count--
	e.node = nil
	z.mu.Unlock()
	e.secondary = true
	e.mainKey = e.Key
	e.Key = Key(e.variant)
	return e.Open()
}

// updateVariant moves a response about to be stored back to the key's own
// file when it was looked up by a variant the response does not have (no
// Vary now, or another one): ngx_http_file_cache_update_variant. The
// update the entry held on the variant's node ends.
func (e *Entry) updateVariant(h *Header) {
	if !e.secondary || (h.Vary != "" && Key(h.Variant) == e.Key) {
		return
	}
	z := e.Zone
	z.mu.Lock()
	defer z.mu.Unlock()
	if n := e.node; n != nil {
		if e.updating && n.lockTime.Equal(e.lockTime) {
			n.release()
		}
		n.count--
	}
	e.updating = false
	e.node = nil
	e.secondary = false
	e.Key = e.mainKey
	if n, fresh := z.lookup(e.Key, time.Now()); n != nil {
		n.count++
		if fresh {
			n.uses = 1
		} else {
			n.uses++
		}
		e.node = n
	}
}

func (e *Entry) lockAge() time.Duration {
	if e.LockAge > 0 {
		return e.LockAge
	}
	return 5 * time.Second
}

// lock takes the cache lock for a missing entry when asked to
// (ngx_http_file_cache_lock).
func (e *Entry) lock(now time.Time) Status {
	if !e.Lock {
		return Miss
	}
	z := e.Zone
	z.mu.Lock()
	defer z.mu.Unlock()
	n := e.node
	if !n.updating || !now.Before(n.lockTime) {
		if n.updating {
			n.release()
		}
		n.updating = true
		n.lockTime = now.Add(e.lockAge())
		e.updating = true
		e.lockTime = n.lockTime
		return Miss
	}
	if e.NoWait {
		return Scarce
	}
	return Busy
}

// Wait waits until the lock another request holds is released or
// expires, or until deadline; it reports whether the deadline passed
// first (ngx_http_file_cache_lock_wait).
func (e *Entry) Wait(deadline time.Time) bool {
	z := e.Zone
	z.mu.Lock()
	n := e.node
	ch, until := n.wait, n.lockTime
	held := n.updating
	z.mu.Unlock()
	if !held {
		return false
	}
	if until.After(deadline) {
		until = deadline
	}
	t := time.NewTimer(time.Until(until))
	defer t.Stop()
	select {
	case <-ch:
		return false
	case <-t.C:
		return !time.Now().Before(deadline)
	}
}

// CloseFile closes the file of the entry found (the request stays
// registered).
func (e *Entry) CloseFile() {
	if e.File != nil {
		e.File.Close()
		e.File = nil
	}
}

// Fail records the response as the error status for the key, valid until
// validSec (Unix seconds): until then Open answers Error with it, without
// reading a file. It ends the update this entry holds
// (ngx_http_file_cache_free with c->error set: an upstream error handed to
// error_page).
func (e *Entry) Fail(status int, validSec int64) {
	n := e.node
	if n == nil {
		return
	}
	z := e.Zone
	z.mu.Lock()
	if e.updating && n.lockTime.Equal(e.lockTime) {
		n.release()
	}
	e.updating = false
	n.error = status
	n.validSec = validSec
	z.mu.Unlock()
}

// Close releases the entry: the file, the update lock it holds, its
// reference on the node (ngx_http_file_cache_free).
func (e *Entry) Close() {
	if e.closed {
		return
	}
	e.closed = true
	e.CloseFile()
	n := e.node
	if n == nil {
		return
	}
	z := e.Zone
	z.mu.Lock()
	if e.updating && n.lockTime.Equal(e.lockTime) {
		n.release()
	}
	e.updating = false
	n.count--
	z.mu.Unlock()
}

// Release ends the update this entry holds without closing it (the
// response turned out not to be cacheable).
func (e *Entry) Release() {
	if e.node == nil || !e.updating {
		return
	}
	z := e.Zone
	z.mu.Lock()
	if e.node.lockTime.Equal(e.lockTime) {
		e.node.release()
	}
	e.updating = false
	z.mu.Unlock()
}

// Writer is a cache file being written: the header, the key and the
// response head first, then the body as it arrives; Commit renames it into
// place, Abort removes it.
type Writer struct {
	e      *Entry
	f      *os.File
	name   string
	header Header
	n      int64 // body bytes written
	err    error
	done   bool
}

// Create starts a cache file for the entry with header h (validity,
// Last-Modified, ETag, Vary, Variant) and the raw response head. tempDir
// is the module's temp path, used when the zone says use_temp_path.
func (e *Entry) Create(h Header, head []byte, tempDir string) (*Writer, error) {
	spec := e.Zone.Spec()
	dir := spec.Dir
	if spec.UseTempPath && tempDir != "" {
		dir = tempDir
	}
	e.updateVariant(&h)
	f, err := tempfile.Create(dir, nil)
	if err != nil {
		return nil, err
	}
	h.CRC32 = KeyCRC(e.KeyText)
	h.HeaderStart = fixedLen + keyLineLen(e.KeyText)
	h.BodyStart = h.HeaderStart + len(head)
	b := h.marshal(e.KeyText)
	b = append(b, head...)
	w := &Writer{e: e, f: f, name: f.Name(), header: h}
	if _, err := f.Write(b); err != nil {
		w.Abort()
		return nil, fmt.Errorf("write() \"%s\" failed: %w", w.name, err)
	}
	return w, nil
}

// Name returns the temp file's name.
func (w *Writer) Name() string { return w.name }

// Write appends body bytes. After a failure further writes are ignored
// and Commit refuses.
func (w *Writer) Write(b []byte) error {
	if w.err != nil || w.done {
		return w.err
	}
	k, err := w.f.Write(b)
	w.n += int64(k)
	if err != nil {
		w.err = fmt.Errorf("write() \"%s\" failed: %w", w.name, err)
	}
	return w.err
}

// Written returns the body bytes written so far.
func (w *Writer) Written() int64 { return w.n }

// Commit renames the file into place and indexes it
// (ngx_http_file_cache_update). length is the expected body length (-1
// unknown): a body of another length is never stored. The file is moved
// as nginx moves it (ngx_ext_rename_file: mode 0600, the missing level
// directories made, a copy across file systems), its failures logged to
// log with ctx; then Commit returns ErrNotMoved.
func (w *Writer) Commit(length int64, log *errlog.Log, ctx errlog.Context) error {
	if w.done {
		return nil
	}
	if w.err != nil || (length >= 0 && length != w.n) {
		err := w.err
		w.Abort()
		return err
	}
	w.done = true
	e := w.e
	z := e.Zone
	path := z.Path(e.Key)
	fi, serr := w.f.Stat()
	if err := w.f.Close(); err != nil {
		os.Remove(w.name)
		return err
	}
	o := extrename.Options{
		Access: 0o600, PathAccess: 0o600, Time: -1,
		CreatePath: true, DeleteFile: true, Log: log, Ctx: ctx,
	}
	if !extrename.Rename(w.name, path, &o) {
		return ErrNotMoved
	}
	z.mu.Lock()
	n := e.node
	if n == nil {
		// a bypassed request never looked the entry up: its response is
		// indexed now (nginx creates the node when it stores a bypassed
		// response); the entry holds it until Close
		if n, _ = z.lookup(e.Key, time.Now()); n != nil {
			n.count++
			n.uses++
			e.node = n
		}
	}
	if n != nil {
		if n.exists {
			z.size -= n.fsSize
		}
		n.exists = true
		n.fsSize = 0
		if serr == nil {
			n.fsSize = diskSize(fi)
		}
		z.size += n.fsSize
		n.validSec = w.header.ValidSec
		n.error = 0
		if _, ok := z.nodes[n.key]; !ok {
			// evicted meanwhile: index it again
			z.nodes[n.key] = n
			z.pushFront(n)
		}
	}
	over := z.spec.MaxSize > 0 && z.size > z.spec.MaxSize
	z.mu.Unlock()
	if over {
		select {
		case z.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// Abort removes the temp file.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.f.Close()
	os.Remove(w.name)
}

// UpdateTimes rewrites the validity times of the entry's file in place
// (a revalidated entry: ngx_http_file_cache_update_header).
func (e *Entry) UpdateTimes(valid, updating, errorSec, date int64) error {
	path := e.Zone.Path(e.Key)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	b := make([]byte, fixedLen)
	if _, err := io.ReadFull(f, b); err != nil {
		return err
	}
	var h Header
	if err := h.unmarshal(b); err != nil || h.CRC32 != KeyCRC(e.KeyText) {
		return errors.New("cache file changed")
	}
	h.ValidSec, h.UpdatingSec, h.ErrorSec, h.Date = valid, updating, errorSec, date
	h.putTimes(b)
	if _, err := f.WriteAt(b[:fixedLen], 0); err != nil {
		return err
	}
	z := e.Zone
	z.mu.Lock()
	if e.node != nil {
		e.node.validSec = valid
	}
	z.mu.Unlock()
	return nil
}
