package cache

import (
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/internal/testutil"
)

// newZone returns a started zone on a fresh directory, dropped at cleanup.
func newZone(t *testing.T, name string, edit func(*Spec)) *Zone {
	t.Helper()
	spec := Spec{Name: name, KeysSize: 1 << 20, Dir: filepath.Join(t.TempDir(), "c"), Levels: []int{1, 2},
		Inactive: 10 * time.Minute, LoaderSleep: time.Millisecond, ManagerSleep: 10 * time.Millisecond}
	if edit != nil {
		edit(&spec)
	}
	if err := os.MkdirAll(spec.Dir, 0700); err != nil {
		t.Fatal(err)
	}
	z := Get(spec)
	z.Acquire()
	z.Start()
	t.Cleanup(z.Drop)
	return z
}

// store writes one complete entry for key through the Entry API.
func store(t *testing.T, z *Zone, key, head, body string, valid time.Time) {
	t.Helper()
	e := &Entry{Zone: z, KeyText: key, Key: KeyOf(key), MaxHead: 4096}
	defer e.Close()
	if st, err := e.Open(); err != nil || st != Miss {
		t.Fatalf("Open before store: %v %v", st, err)
	}
	w, err := e.Create(Header{ValidSec: valid.Unix(), LastModified: -1, ETag: `"e"`}, []byte(head), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(int64(len(body)), errlog.Default(), nil); err != nil {
		t.Fatal(err)
	}
}

// lookup opens key and returns its status, head and body.
func lookup(t *testing.T, z *Zone, key string) (Status, string, string) {
	t.Helper()
	e := &Entry{Zone: z, KeyText: key, Key: KeyOf(key), MaxHead: 4096}
	defer e.Close()
	st, err := e.Open()
	if err != nil {
		t.Fatalf("Open %q: %v", key, err)
	}
	if e.File == nil {
		return st, "", ""
	}
	body, err := io.ReadAll(io.NewSectionReader(e.File, int64(e.Header.BodyStart), e.Length-int64(e.Header.BodyStart)))
	if err != nil {
		t.Fatal(err)
	}
	return st, string(e.Head), string(body)
}

func TestStoreAndHit(t *testing.T) {
	testutil.CheckLeaks(t)
	z := newZone(t, "t_hit", nil)
	head := "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"
	store(t, z, "k1", head, "body", time.Now().Add(time.Minute))
	st, gotHead, body := lookup(t, z, "k1")
	if st != Hit || gotHead != head || body != "body" {
		t.Fatalf("lookup: %v %q %q", st, gotHead, body)
	}
	if z.Len() != 1 || z.Size() <= 0 {
		t.Errorf("zone: %d entries, %d bytes", z.Len(), z.Size())
	}
	// the file is where nginx's levels=1:2 puts it
	sum := KeyOf("k1")
	hexKey := hex.EncodeToString(sum[:])
	want := filepath.Join(z.Spec().Dir, hexKey[31:], hexKey[29:31], hexKey)
	if z.Path(sum) != want {
		t.Errorf("path %s, want %s", z.Path(sum), want)
	}
	if _, err := os.Stat(want); err != nil {
		t.Error(err)
	}
}

func TestExpiredIsStaleAndLocked(t *testing.T) {
	z := newZone(t, "t_stale", nil)
	store(t, z, "k", "H\r\n\r\n", "old", time.Now().Add(-time.Second))
	e1 := &Entry{Zone: z, KeyText: "k", Key: KeyOf("k"), MaxHead: 4096, LockAge: 5 * time.Second}
	defer e1.Close()
	if st, err := e1.Open(); st != Stale || err != nil {
		t.Fatalf("first open of an expired entry: %v %v, want Stale", st, err)
	}
	// while e1 updates it, another request sees Updating
	e2 := &Entry{Zone: z, KeyText: "k", Key: KeyOf("k"), MaxHead: 4096}
	defer e2.Close()
	if st, _ := e2.Open(); st != Updating {
		t.Fatalf("second open: %v, want Updating", st)
	}
}

func TestCommitRefusesWrongLength(t *testing.T) {
	z := newZone(t, "t_len", nil)
	e := &Entry{Zone: z, KeyText: "k", Key: KeyOf("k"), MaxHead: 4096}
	defer e.Close()
	e.Open()
	w, err := e.Create(Header{ValidSec: time.Now().Add(time.Minute).Unix(), LastModified: -1}, []byte("H\r\n\r\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("short"))
	if err := w.Commit(10, errlog.Default(), nil); err != nil {
		t.Logf("commit: %v", err)
	}
	if _, err := os.Stat(z.Path(KeyOf("k"))); err == nil {
		t.Error("a body of the wrong length was stored")
	}
	if _, err := os.Stat(w.Name()); err == nil {
		t.Error("the temp file was left")
	}
	if st, _, _ := lookup(t, z, "k"); st == Hit {
		t.Error("lookup hits a refused entry")
	}
}

func TestMinUses(t *testing.T) {
	z := newZone(t, "t_uses", nil)
	// let the loader finish: a cold zone looks for files of unknown keys
	waitWarm(t, z)
	for i, want := range []Status{Scarce, Miss} {
		e := &Entry{Zone: z, KeyText: "k", Key: KeyOf("k"), MinUses: 2, MaxHead: 4096}
		st, err := e.Open()
		e.Close()
		if st != want || err != nil {
			t.Fatalf("open %d: %v %v, want %v", i+1, st, err, want)
		}
	}
}

func TestExpireInactive(t *testing.T) {
	z := newZone(t, "t_inactive", func(s *Spec) { s.Inactive = time.Minute })
	store(t, z, "k", "H\r\n\r\n", "b", time.Now().Add(time.Hour))
	path := z.Path(KeyOf("k"))
	z.Expire(time.Now().Add(2 * time.Minute))
	if z.Len() != 0 {
		t.Errorf("%d entries after inactive expiry", z.Len())
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("the file of an inactive entry was kept")
	}
}

func TestMaxSizeEvictsLRU(t *testing.T) {
	z := newZone(t, "t_max", func(s *Spec) { s.MaxSize = 10 << 10 })
	big := strings.Repeat("x", 4<<10)
	for _, k := range []string{"a", "b", "c", "d"} {
		store(t, z, k, "H\r\n\r\n", big, time.Now().Add(time.Hour))
	}
	z.Enforce()
	if z.Size() > 10<<10 {
		t.Errorf("size %d over max_size", z.Size())
	}
	if st, _, _ := lookup(t, z, "d"); st != Hit {
		t.Errorf("the most recent entry was evicted (%v)", st)
	}
	if _, err := os.Stat(z.Path(KeyOf("a"))); err == nil {
		t.Error("the least recently used entry was kept")
	}
}

// TestLoaderAndDrop checks that a zone no configuration holds stops (its
// goroutine ends), and that the next zone on the same directory indexes
// the files left there and removes stray ones.
func TestLoaderAndDrop(t *testing.T) {
	testutil.CheckLeaks(t)
	spec := Spec{Name: "t_load", KeysSize: 1 << 20, Dir: filepath.Join(t.TempDir(), "c"), Levels: []int{1, 2},
		Inactive: time.Hour, LoaderSleep: time.Millisecond}
	os.MkdirAll(spec.Dir, 0700)
	z := Get(spec)
	z.Acquire()
	z.Start()
	store(t, z, "kept", "H\r\n\r\n", "kept body", time.Now().Add(time.Hour))
	stray := filepath.Join(spec.Dir, "0", "00", "not-a-key")
	os.MkdirAll(filepath.Dir(stray), 0700)
	os.WriteFile(stray, []byte("junk"), 0600)
	// the loader removes only files older than itself (by a margin)
	past := time.Now().Add(-time.Hour)
	os.Chtimes(stray, past, past)

	z.Acquire() // a second configuration
	z.Drop()
	if Get(spec) != z {
		t.Fatal("a zone still held was replaced")
	}
	z.Drop()
	z2 := Get(spec)
	if z2 == z {
		t.Fatal("a dropped zone was handed out again")
	}
	z2.Acquire()
	z2.Start()
	defer z2.Drop()
	waitWarm(t, z2)
	if z2.Len() != 1 {
		t.Errorf("loader indexed %d entries, want 1", z2.Len())
	}
	if _, err := os.Stat(stray); err == nil {
		t.Error("the loader left a stray file")
	}
	if st, _, body := lookup(t, z2, "kept"); st != Hit || body != "kept body" {
		t.Errorf("after reload: %v %q", st, body)
	}
}

// waitWarm waits for the zone's loader to finish.
func waitWarm(t *testing.T, z *Zone) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		z.mu.Lock()
		cold := z.cold
		z.mu.Unlock()
		if !cold {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the loader did not finish")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	h := Header{ValidSec: 1, UpdatingSec: 2, ErrorSec: 3, LastModified: -1, Date: 5, CRC32: KeyCRC("k"),
		HeaderStart: fixedLen + keyLineLen("k"), BodyStart: fixedLen + keyLineLen("k") + 7,
		ETag: `"etag"`, Vary: "Accept-Encoding", Variant: KeyOf("v")}
	var got Header
	if err := got.unmarshal(h.marshal("k")); err != nil {
		t.Fatal(err)
	}
	if got != h {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, h)
	}
	for name, b := range map[string][]byte{
		"short":         make([]byte, fixedLen-1),
		"other version": make([]byte, fixedLen),
	} {
		if err := got.unmarshal(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzHeader checks that any file header either decodes to offsets a
// reader can trust or is refused, without panicking.
func FuzzHeader(f *testing.F) {
	h := Header{ValidSec: 1, LastModified: -1, HeaderStart: fixedLen + keyLineLen("k"), BodyStart: fixedLen + keyLineLen("k") + 4, ETag: "e"}
	f.Add(h.marshal("k"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Header
		if err := h.unmarshal(b); err != nil {
			return
		}
		if h.HeaderStart < fixedLen || h.BodyStart < h.HeaderStart || len(h.ETag) > ETagLen || len(h.Vary) > VaryLen {
			t.Fatalf("accepted inconsistent header %+v", h)
		}
	})
}

// TestCachedError checks the error status an entry records with Fail:
// Open answers it while it is valid, without a file; once expired the key
// starts over (Miss); a response stored meanwhile replaces it.
func TestCachedError(t *testing.T) {
	z := newZone(t, "t_error", nil)
	open := func(key string) (Status, int) {
		e := &Entry{Zone: z, KeyText: key, Key: KeyOf(key), MaxHead: 4096}
		defer e.Close()
		st, err := e.Open()
		if err != nil {
			t.Fatal(err)
		}
		return st, e.Error
	}
	fail := func(key string, valid time.Time) {
		e := &Entry{Zone: z, KeyText: key, Key: KeyOf(key), MaxHead: 4096}
		defer e.Close()
		if st, _ := e.Open(); st != Miss {
			t.Fatalf("Open before Fail: %v", st)
		}
		e.Fail(404, valid.Unix())
	}
	tests := []struct {
		name   string
		valid  time.Duration
		store  bool
		want   Status
		status int
	}{
		{name: "valid error answers", valid: time.Hour, want: Error, status: 404},
		{name: "expired error renews", valid: -2 * time.Second, want: Miss},
		{name: "stored response clears it", valid: time.Hour, store: true, want: Hit},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := "err" + string(rune('a'+i))
			fail(key, time.Now().Add(tc.valid))
			if tc.store {
				// a bypassed request stores without looking up
				e := &Entry{Zone: z, KeyText: key, Key: KeyOf(key), MaxHead: 4096}
				w, err := e.Create(Header{ValidSec: time.Now().Add(time.Hour).Unix(), LastModified: -1}, []byte("H\r\n\r\n"), "")
				if err != nil {
					t.Fatal(err)
				}
				if err := w.Commit(0, errlog.Default(), nil); err != nil {
					t.Fatal(err)
				}
				e.Close()
			}
			if st, status := open(key); st != tc.want || status != tc.status {
				t.Fatalf("Open: %v %d, want %v %d", st, status, tc.want, tc.status)
			}
		})
	}
}

// TestVariants checks the keys of Vary variants: the first response is
// stored under the key; a request of another variant is looked up under
// its variant's md5 and its response stored there, both then found; a
// response without Vary for a request looked up by variant goes back to
// the key's own file.
func TestVariants(t *testing.T) {
	z := newZone(t, "t_variants", nil)
	const key = "k"
	variant := func(v string) func(string) [16]byte {
		return func(string) [16]byte { return KeyOf(key + v) }
	}
	open := func(v string) (*Entry, Status) {
		e := &Entry{Zone: z, KeyText: key, Key: KeyOf(key), MaxHead: 4096, Variant: variant(v)}
		st, err := e.Open()
		if err != nil {
			t.Fatalf("Open %s: %v", v, err)
		}
		return e, st
	}
	put := func(e *Entry, v, vary, body string) {
		h := Header{ValidSec: time.Now().Add(time.Hour).Unix(), LastModified: -1, Vary: vary}
		if vary != "" {
			h.Variant = e.Variant(vary)
		}
		w, err := e.Create(h, []byte("H\r\n\r\n"), "")
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
		if err := w.Commit(int64(len(body)), errlog.Default(), nil); err != nil {
			t.Fatal(err)
		}
		e.Close()
	}
	body := func(e *Entry) string {
		defer e.Close()
		b, _ := io.ReadAll(io.NewSectionReader(e.File, int64(e.Header.BodyStart), e.Length-int64(e.Header.BodyStart)))
		return string(b)
	}
	e, st := open("a")
	if st != Miss {
		t.Fatalf("first: %v", st)
	}
	put(e, "a", "X", "A")
	e, st = open("b")
	if st != Miss || e.Key != KeyOf(key+"b") {
		t.Fatalf("other variant: %v, looked up under the key %v", st, e.Key == KeyOf(key))
	}
	put(e, "b", "X", "B")
	for _, v := range []string{"a", "b"} {
		e, st := open(v)
		if got := body(e); st != Hit || got != strings.ToUpper(v) {
			t.Errorf("variant %s: %v %q", v, st, got)
		}
	}
	// a response without Vary, fetched for variant c, replaces the key's
	// file: every variant finds it (b's file is not looked for any more)
	e, st = open("c")
	if st != Miss {
		t.Fatalf("variant c: %v", st)
	}
	put(e, "c", "", "plain")
	for _, tc := range []struct{ v, want string }{{"a", "plain"}, {"c", "plain"}, {"d", "plain"}, {"b", "plain"}} {
		e, st := open(tc.v)
		if got := body(e); st != Hit || got != tc.want {
			t.Errorf("after the plain response, variant %s: %v %q, want %q", tc.v, st, got, tc.want)
		}
	}
}
