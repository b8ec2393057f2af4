package proxy

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/tempfile"
	"github.com/sluicehq/sluice/upstream"
)

// proxy_store: a complete 200 response body is written to a temp file
// under proxy_temp_path as it goes to the client, then renamed to the
// store path with proxy_store_access permissions and the upstream's
// Last-Modified as its time (ngx_http_upstream_store). Nothing is stored
// for an incomplete body, another status, or a length that does not match
// Content-Length. As in nginx, it needs proxy_buffering on.

// storeState is one request's store in progress.
type storeState struct {
	lc      *LocConf
	armed   bool // the response is a 200 worth storing
	done    bool
	f       *os.File
	n       int64
	failed  bool
	started bool
}

// startStore prepares the store of the request's response.
func startStore(r *httpd.Request, lc *LocConf) {
	ctx := httpd.Ctx[reqCtx](r, &self)
	st := &storeState{lc: lc}
	ctx.store = st
	r.AddCleanup(st.discard)
}

// storeFilter is the body filter that copies what the client gets into
// the store's temp file; the last piece commits it.
func storeFilter(r *httpd.Request, c *httpd.Chain) httpd.Status {
	ctx := httpd.Ctx[reqCtx](r, &self)
	if ctx == nil || ctx.store == nil || !ctx.store.armed || ctx.store.done {
		return httpd.OK
	}
	st := ctx.store
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
func (st *storeState) arm(u *upstream.Upstream, head bool) {
	st.armed = u.HeadersIn.StatusN == 200 && !head && u.R.MethodBit != httpd.MethodHEAD
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
	dir := st.lc.U.TempPath.Get()
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
	u, _ := r.Upstream.(*upstream.Upstream)
	if u == nil {
		if ctx := httpd.Ctx[reqCtx](r, &self); ctx != nil {
			u = ctx.up
		}
	}
	if u == nil {
		return
	}
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
	if x := st.lc.U.Store.Get(); x != nil {
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
	access := os.FileMode(st.lc.U.StoreAccess.Get())
	tmp := st.f.Name()
	if err := st.f.Chmod(access); err != nil {
		r.Log().Logf(errlog.Crit, r, err, "fchmod() \"%s\" failed", tmp)
	}
	if lm := u.HeadersIn.LastModifiedTime; lm >= 0 {
		t := time.Unix(lm, 0)
		os.Chtimes(tmp, t, t)
	}
	st.f.Close()
	st.f = nil
	err := os.Rename(tmp, path)
	if errors.Is(err, os.ErrNotExist) {
		dirMode := access | (access&0444)>>2
		if mk := os.MkdirAll(filepath.Dir(path), dirMode); mk == nil {
			err = os.Rename(tmp, path)
		}
	}
	if errors.Is(err, syscall.EXDEV) {
		err = copyFile(tmp, path, access)
	}
	if err != nil {
		r.Log().Logf(errlog.Crit, r, syscallErr(err), "rename() \"%s\" to \"%s\" failed", tmp, path)
	}
	os.Remove(tmp)
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

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := to + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, to)
}

func syscallErr(err error) error {
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
