package upstream

import (
	"errors"
	"io"
	"os"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/extrename"
	"github.com/sluicehq/sluice/internal/tempfile"
)

// store (proxy_store, fastcgi_store, ...): a complete 200 response body
// is written to a temp file under the module's temp_path as it goes to the
// client, then renamed to the store path with store_access permissions and
// the upstream's Last-Modified as its time (ngx_http_upstream_store).
// Nothing is stored for an incomplete body, another status, a HEAD, or a
// length that does not match Content-Length. As in nginx, it needs
// buffering on. The framework starts it in Run and arms it once the head
// is processed; a protocol that sent HEAD upstream says so with NoStore.

// orderStore puts the store's body filter before every other filter, so
// that it sees the body as the upstream sent it.
const orderStore = 1

// storeKey is the request context slot of the store in progress.
var storeKey httpd.Handle

// storeState is one request's store in progress.
type storeState struct {
	u       *Upstream
	c       *Conf
	veto    bool // the protocol sent HEAD upstream (NoStore)
	armed   bool // the response is a 200 worth storing
	done    bool
	f       *os.File
	n       int64
	failed  bool
	started bool
}

// startStore prepares the store of the request's response.
func (u *Upstream) startStore() {
	st := &storeState{u: u, c: u.Conf}
	httpd.SetCtx(u.R, &storeKey, st)
	u.store = st
	u.R.AddCleanup(st.discard)
}

// NoStore tells the framework that the response cannot be stored: the
// protocol sent HEAD upstream (proxy_method HEAD), so the body is not the
// resource's.
func (u *Upstream) NoStore() {
	if u.store != nil {
		u.store.veto = true
	}
}

// storeFilter is the body filter that copies what the client gets into
// the store's temp file; the last piece commits it.
func storeFilter(r *httpd.Request, c *httpd.Chain) httpd.Status {
	st := httpd.Ctx[storeState](r, &storeKey)
	if st == nil || !st.armed || st.done {
		return httpd.OK
	}
	if !st.failed {
		for i := range c.Pieces {
			if err := st.write(r, &c.Pieces[i]); err != nil {
				st.failed = true
				break
			}
		}
	}
	if c.Last {
		st.done = true
		if !st.failed {
			st.commit(r)
		}
		st.discard()
	}
	return httpd.OK
}

// arm decides, once the head is known, whether this response is stored.
func (st *storeState) arm(u *Upstream) {
	st.armed = u.HeadersIn.StatusN == 200 && !st.veto && u.R.MethodBit != httpd.MethodHEAD
}

func (st *storeState) write(r *httpd.Request, p *httpd.Piece) error {
	if p.Len() == 0 {
		return nil
	}
	if st.f == nil {
		if st.started {
			return errors.New("store file failed")
		}
		if err := st.open(r); err != nil {
			return err
		}
	}
	var err error
	if p.File != nil {
		_, err = io.Copy(st.f, io.NewSectionReader(p.File, p.Off, p.N))
	} else {
		_, err = st.f.Write(p.Data)
	}
	if err != nil {
		r.Log().Logf(errlog.Crit, r, err, "write() \"%s\" failed", st.f.Name())
		return err
	}
	st.n += p.Len()
	return nil
}

// open creates the temp file under proxy_temp_path.
func (st *storeState) open(r *httpd.Request) error {
	st.started = true
	dir := st.c.TempPath.Get()
	f, err := tempfile.Create(dir, nil)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			r.Log().Logf(errlog.Crit, r, pe.Err, "open() \"%s\" failed", pe.Path)
		}
		return err
	}
	st.f = f
	return nil
}

// commit renames the temp file into place (ngx_ext_rename_file).
func (st *storeState) commit(r *httpd.Request) {
	u := st.u
	if cl := u.HeadersIn.ContentLengthN; cl != -1 && cl != st.n {
		return
	}
	if !u.Buffering {
		return
	}
	if st.f == nil && st.open(r) != nil {
		// an empty body is stored as an empty file, as nginx does
		return
	}
	var path string
	if x := st.c.Store.Get(); x != nil {
		if s, lit := x.Literal(); !lit || s != "" {
			path = x.Eval(r)
		}
	}
	if path == "" {
		p, ok := r.MapURIToPath("")
		if !ok {
			return
		}
		path = p
	}
	access := st.c.StoreAccess.Get()
	tmp := st.f.Name()
	st.f.Close()
	st.f = nil
	o := extrename.Options{
		Access: access, PathAccess: access, Time: -1,
		CreatePath: true, DeleteFile: true, Log: r.Log(), Ctx: r,
	}
	if lm := u.HeadersIn.LastModifiedTime; lm != -1 {
		o.Time = lm
	}
	extrename.Rename(tmp, path, &o)
}

// discard removes an uncommitted temp file.
func (st *storeState) discard() {
	if st.f != nil {
		name := st.f.Name()
		st.f.Close()
		st.f = nil
		os.Remove(name)
	}
}
