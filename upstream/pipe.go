package upstream

import (
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/buf"
	"github.com/sluicehq/sluice/internal/tempfile"
)

// The buffered mode (nginx's event pipe). A reader goroutine reads the
// upstream as fast as it sends, into up to bufs.num memory buffers of
// bufs.size; when they are all waiting for a slow client, further body
// goes to a temp file under temp_path, written in temp_file_write_size
// pieces, up to max_temp_file_size (then the reader waits). The request's
// goroutine writes to the client in order, batches bounded by
// busy_buffers_size. The upstream connection is released as soon as its
// body is read, long before a slow client has it all.

type segment struct {
	data []byte // a memory buffer (returned to the pool when sent)
	off  int64  // or a region of the temp file
	n    int64
	mem  bool
}

type pipe struct {
	u  *Upstream
	mu sync.Mutex
	// cond wakes the writer when data or the end arrives, and the reader
	// when memory or file room frees up.
	cond     sync.Cond
	segs     []segment
	memUsed  int
	fileSize int64 // bytes written to the temp file so far
	fileSent int64
	done     bool
	rc       int // finalize code once done: 0 complete, else an error status
	// drop: the upstream timed out or failed (not a close); what was not
	// sent yet is not sent (nginx finalizes without passing it on).
	drop    bool
	aborted bool
	reader  sync.WaitGroup // the reader goroutine
	wf, rf  *os.File
	tmpName string
	warned  bool
	// the writer's batch: a chain and the segments in it, with room for a
	// few pieces so that small responses need no allocation
	chain  httpd.Chain
	pieces [16]httpd.Piece
	sent   [16]segment
	// writing: the writer is sending a batch, since writeStart. The reader
	// spills to the temp file only once a batch has taken spillAfter: a
	// client that takes the batch at once frees the memory soon (nginx
	// writes to its temp file only when the client's socket is full).
	writing    bool
	writeStart time.Time
	// timerWG counts the spill timer's pending callbacks, waited for
	// before the pipe is reused.
	timerWG sync.WaitGroup
	keep    pipeKeep
}

// pipeKeep is what a pooled Upstream's pipe keeps from one request to the
// next, so that a steady state allocates nothing.
type pipeKeep struct {
	// segs backs the segment queue (grown to what the buffers need)
	segs []segment
	// spillTimer wakes a reader waiting for memory when spillAfter passes
	spillTimer *time.Timer
	// read is p.read, bound once for the reader goroutine
	read func()
	// early is the dialer's Control hook
	early *earlyConnect
}

// spillAfter is how long a batch may be in the writer's hands before the
// reader, out of memory buffers, spills to the temp file.
const spillAfter = time.Millisecond

func (u *Upstream) relayBuffered() httpd.Status {
	// the pipe lives in the Upstream (one allocation per request)
	// cleared in place: a composite literal would be built in this
	// frame first (2 KiB of stack for every proxying goroutine)
	p := &u.pipe
	keep := p.keep
	*p = pipe{}
	p.u, p.keep = u, keep
	p.cond.L = &p.mu
	p.segs = p.keep.segs[:0]
	defer p.cleanup()

	// body bytes that came with the head go through the pipe as read ones
	// (with FilterFullBuffers, the reader takes them as the start of its
	// first buffer)
	u.setAction("reading upstream")
	if pre := u.preread(); len(pre) > 0 && !u.FilterFullBuffers {
		u.state.ResponseLength += int64(len(pre))
		p.feed(pre, false)
	}
	if u.bodyComplete() && !u.FilterFullBuffers {
		p.finish(0)
	} else if !p.done {
		p.reader.Add(1)
		if p.keep.read == nil {
			p.keep.read = p.read
		}
		go p.keep.read()
	}
	rc := p.write()
	return u.finalize(rc)
}

// add queues decoded body bytes (copied into pipe buffers). false means
// the pipe was aborted.
func (p *pipe) add(b []byte) bool {
	u := p.u
	bufs := u.Conf.Bufs.Get()
	for len(b) > 0 {
		p.mu.Lock()
		for !p.aborted && p.memUsed >= bufs.Num {
			if p.fileRoom() {
				left := spillAfter
				if p.writing {
					left -= time.Since(p.writeStart)
				}
				if p.writing && left <= 0 {
					break // the client is slow: spill
				}
				p.armSpill(left)
			}
			p.cond.Wait()
		}
		if p.aborted {
			p.mu.Unlock()
			return false
		}
		// append to the last memory buffer when it has room
		if n := len(p.segs); n > 0 && p.segs[n-1].mem && len(p.segs[n-1].data) < cap(p.segs[n-1].data) {
			s := &p.segs[n-1]
			k := copy(s.data[len(s.data):cap(s.data)], b)
			s.data = s.data[:len(s.data)+k]
			b = b[k:]
			p.cond.Broadcast()
			p.mu.Unlock()
			continue
		}
		if p.memUsed < bufs.Num {
			mb := buf.Get(int(bufs.Size))[:0]
			k := copy(mb[:cap(mb)], b)
			p.segs = append(p.segs, segment{data: mb[:k], mem: true})
			p.memUsed++
			b = b[k:]
			p.cond.Broadcast()
			p.mu.Unlock()
			continue
		}
		// memory is full: spill to the temp file
		p.mu.Unlock()
		k, err := p.spill(b)
		if err != nil {
			p.finish(500)
			return false
		}
		b = b[k:]
	}
	return true
}

// armSpill has the reader woken after d (called with mu held).
func (p *pipe) armSpill(d time.Duration) {
	p.timerWG.Add(1)
	if p.keep.spillTimer == nil {
		p.keep.spillTimer = time.AfterFunc(d, p.spillWake)
	} else if p.keep.spillTimer.Reset(d) {
		p.timerWG.Done() // the earlier wake-up will not run
	}
}

func (p *pipe) spillWake() {
	p.mu.Lock()
	p.cond.Broadcast()
	p.mu.Unlock()
	p.timerWG.Done()
}

// fileRoom reports whether the temp file may grow (called with mu held).
func (p *pipe) fileRoom() bool {
	max := p.u.Conf.MaxTempSize()
	return max > 0 && p.fileSize < max
}

// spill writes up to temp_file_write_size of b to the temp file.
func (p *pipe) spill(b []byte) (int, error) {
	u := p.u
	if p.wf == nil {
		dir := u.Conf.TempPath.Get()
		f, err := tempfile.Create(dir, nil)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				u.Logf(errlog.Crit, pe.Err, "open() \"%s\" failed", pe.Path)
			}
			return 0, err
		}
		rf, err := os.Open(f.Name())
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			return 0, err
		}
		// the file is unlinked at once, as nginx does with its temp files:
		// both descriptors keep it, and nothing is left behind whatever
		// becomes of the request or the process
		if err := os.Remove(f.Name()); err != nil {
			u.Logf(errlog.Crit, err, "unlink() \"%s\" failed", f.Name())
		}
		p.mu.Lock()
		p.wf, p.rf, p.tmpName = f, rf, f.Name()
		p.mu.Unlock()
		if !p.warned {
			p.warned = true
			u.Logf(errlog.Warn, nil, "an upstream response is buffered to a temporary file %s", f.Name())
		}
	}
	n := len(b)
	if w := int(u.Conf.TempWriteSize()); n > w {
		n = w
	}
	p.mu.Lock()
	if rem := u.Conf.MaxTempSize() - p.fileSize; int64(n) > rem {
		n = int(rem)
	}
	off := p.fileSize
	p.mu.Unlock()
	if n <= 0 {
		return 0, nil
	}
	if _, err := p.wf.WriteAt(b[:n], off); err != nil {
		u.Logf(errlog.Crit, err, "write() \"%s\" failed", p.tmpName)
		return 0, err
	}
	p.mu.Lock()
	p.fileSize += int64(n)
	if k := len(p.segs); k > 0 && !p.segs[k-1].mem && p.segs[k-1].off+p.segs[k-1].n == off {
		p.segs[k-1].n += int64(n)
	} else {
		p.segs = append(p.segs, segment{off: off, n: int64(n)})
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	return n, nil
}

// read is the reader goroutine: upstream → pipe, then the upstream
// connection is released.
func (p *pipe) read() {
	defer p.reader.Done()
	// every way out ends the pipe: an add refused after the client went
	// away returns here, and the writer's abort waits for done
	defer p.finish(httpd.StatusClientClosedRequest)
	u := p.u
	u.readLog = httpd.ActionLog{R: u.R, Action: "reading upstream"}
	u.log = &u.readLog
	c := u.conn
	// read as much as the pipe's buffers hold at once (nginx reads with
	// readv into every free buffer), not a buffer at a time
	size := int(u.Conf.BufferSize.Get())
	if bufs := u.Conf.Bufs.Get(); int(bufs.Size)*bufs.Num > size {
		size = int(bufs.Size) * bufs.Num
	}
	if size > maxPipeRead {
		size = maxPipeRead
	}
	b := buf.Get(size)
	defer buf.Put(b)
	feed := p.feed
	if u.FilterFullBuffers {
		var f unitFeeder
		f.start(p)
		defer f.release()
		if !f.add(nil, false) {
			return
		}
		feed = f.add
	}
	timeout := u.Conf.ReadTimeout.Get()
	limit := u.Conf.LimitRate.Get().EvalSize(u.R, 0)
	start := time.Now()
	var got int64
	for !u.bodyComplete() {
		if limit > 0 {
			if ahead := time.Duration(float64(got)/float64(limit)*float64(time.Second)) - time.Since(start); ahead > 0 {
				time.Sleep(ahead)
			}
		}
		c.SetReadTimeout(timeout)
		n, err := c.Read(b)
		if n > 0 {
			got += int64(n)
			p.mu.Lock()
			u.state.BytesReceived += int64(n)
			u.state.ResponseLength += int64(n)
			p.mu.Unlock()
			if !feed(b[:n], false) {
				return
			}
			continue
		}
		// the close or a failed read passes on what was read; a timeout
		// does not (nginx's pipe is not run then)
		if !isTimeout(err) && !feed(nil, true) {
			return
		}
		if rc := u.readFailed(err, "readv()"); rc >= 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				p.mu.Lock()
				p.drop = true
				p.mu.Unlock()
			}
			p.finish(rc)
			return
		}
	}
	p.finish(0)
}

// feed passes raw body bytes to the protocol's filter and queues what it
// decodes; false means the pipe has ended. end says the stream ended
// (nothing more to read).
func (p *pipe) feed(raw []byte, end bool) bool {
	if len(raw) == 0 {
		return true
	}
	u := p.u
	ferr := u.filterTap(raw)
	if ferr != nil && !errors.Is(ferr, ErrBodyShort) {
		// a body the protocol rejects ends as NGX_ABORT does: the
		// connection closes
		p.finish(int(httpd.Error))
		return false
	}
	for _, o := range u.Out {
		if !p.add(o) {
			return false
		}
	}
	if ferr != nil {
		p.finish(502)
		return false
	}
	return true
}

// unitFeeder passes the raw body to the filter as nginx's event pipe
// passes its raw buffers to the input filter (Upstream.FilterFullBuffers):
// a buffer at a time, once full, once it holds Length bytes (Length > 0),
// or when the stream ends. The first buffer is the head's, after the
// head: the preread bytes and the room left (to End, when the protocol
// set it, or to buffer_size); the others are proxy_buffers-sized.
type unitFeeder struct {
	p    *pipe
	unit []byte // the current buffer's bytes
	room int    // its size
	size int    // the size of the next ones
	mem  []byte
}

func (f *unitFeeder) start(p *pipe) {
	u := p.u
	f.p = p
	f.size = int(u.Conf.Bufs.Get().Size)
	pre := u.preread()
	f.room = max(u.headEnd()-u.Pos, len(pre), 1)
	f.mem = buf.Get(max(f.room, f.size))
	f.unit = append(f.mem[:0], pre...)
	p.mu.Lock()
	u.state.ResponseLength += int64(len(pre))
	p.mu.Unlock()
}

func (f *unitFeeder) release() { buf.Put(f.mem) }

// add takes raw bytes read (end: the stream ended) and feeds the buffers
// nginx would pass on by now.
func (f *unitFeeder) add(raw []byte, end bool) bool {
	u := f.p.u
	for {
		if len(f.unit) == f.room || len(f.unit) > 0 && (end || u.Length > 0 && int64(len(f.unit)) >= u.Length) {
			ok := f.p.feed(f.unit, end)
			f.unit, f.room = f.mem[:0], f.size
			if !ok {
				return false
			}
		}
		if len(raw) == 0 {
			return true
		}
		k := min(len(raw), f.room-len(f.unit))
		f.unit = append(f.unit, raw[:k]...)
		raw = raw[k:]
	}
}

// maxPipeRead bounds the reader's buffer.
const maxPipeRead = 64 << 10

// sendable reports whether the writer has something to do (called with mu
// held): the end, or a segment other than a memory buffer the reader is
// still filling. As nginx's event pipe, a partly filled buffer is passed on
// only once full or when the upstream body has ended.
func (p *pipe) sendable() bool {
	if p.done {
		return true
	}
	switch n := len(p.segs); {
	case n == 0:
		return false
	case n > 1:
		return true
	default:
		s := p.segs[0]
		return !s.mem || len(s.data) == cap(s.data)
	}
}

// finish records the end of the upstream body and releases the upstream
// connection at once: back to the keepalive pool when the body is complete.
func (p *pipe) finish(rc int) {
	u := p.u
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return
	}
	// a streamed request body stops with the response, before the
	// connection is released
	u.haltPump()
	if rc == 0 {
		// a complete body is in the cache before the client gets its last
		// bytes (the writer holds a partial buffer until done), as nginx
		// updates the cache in the same event as the upstream's end: a
		// request that follows the response finds the entry
		u.cacheFinalize(0)
	}
	p.done = true
	p.rc = rc
	u.log = nil
	if s := u.state; s != nil && s.ResponseTime < 0 {
		s.ResponseTime = time.Since(s.start)
		if c := u.currentConn(); c != nil {
			s.BytesSent = c.sent
		}
	}
	if rc == 0 {
		u.releaseConn()
		// the upstream's part is over: nginx finalizes the upstream
		// request here, what is left goes out as the request's output
		u.mu.Lock()
		u.upstreamDone = true
		u.mu.Unlock()
	}
	c := u.takeConn()
	p.cond.Broadcast()
	p.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// write is the request goroutine's side: pipe → client, in order.
func (p *pipe) write() int {
	u := p.u
	r := u.R
	// a batch is whatever is ready, at least busy_buffers_size: one writev
	// per batch
	busy := int(u.Conf.BusyBuffers())
	if bufs := u.Conf.Bufs.Get(); int(bufs.Size)*bufs.Num > busy {
		busy = int(bufs.Size) * bufs.Num
	}
	chain := &p.chain
	chain.Pieces = p.pieces[:0]
	sent := p.sent[:0]
	for {
		p.mu.Lock()
		for !p.sendable() {
			p.cond.Wait()
		}
		if p.done && (len(p.segs) == 0 || p.drop) {
			rc := p.rc
			p.mu.Unlock()
			return rc
		}
		// take a batch up to busy_buffers_size
		chain.Reset()
		sent = sent[:0]
		size := 0
		k := 0 // segments taken; the rest move to the front after
		for k < len(p.segs) && (size == 0 || size < busy) {
			s := p.segs[k]
			if !s.mem {
				// file data is sent as one region; the reader may still be
				// appending after it
				chain.AppendFile(p.rf, s.off, s.n)
				size += int(s.n)
				k++
				sent = append(sent, s)
				continue
			}
			if k == len(p.segs)-1 && !p.done && len(s.data) < cap(s.data) {
				break // the reader is still filling it
			}
			chain.Append(s.data)
			size += len(s.data)
			k++
			sent = append(sent, s)
		}
		n := copy(p.segs, p.segs[k:])
		clear(p.segs[n:])
		p.segs = p.segs[:n]
		p.writing, p.writeStart = true, time.Now()
		p.mu.Unlock()
		u.setAction("sending to client")
		if r.Output(chain) != httpd.OK {
			p.abort()
			if u.Conf.IgnoreClientAbort.Get() {
				return 0
			}
			return httpd.StatusClientClosedRequest
		}
		p.mu.Lock()
		p.writing = false
		for _, s := range sent {
			if s.mem {
				buf.Put(s.data[:cap(s.data)])
				p.memUsed--
			} else {
				p.fileSent += s.n
			}
		}
		p.cond.Broadcast()
		p.mu.Unlock()
	}
}

// abort stops the reader after a client failure.
func (p *pipe) abort() {
	p.mu.Lock()
	p.aborted = true
	p.writing = false
	p.cond.Broadcast()
	p.mu.Unlock()
	p.u.interrupt()
	p.mu.Lock()
	for !p.done {
		p.cond.Wait()
	}
	p.mu.Unlock()
}

// cleanup removes the temp file and returns memory buffers.
func (p *pipe) cleanup() {
	// the reader goroutine and the spill timer's wake-ups are gone before
	// the pipe (and the Upstream it lives in) can be reused
	p.reader.Wait()
	if p.keep.spillTimer != nil && p.keep.spillTimer.Stop() {
		p.timerWG.Done()
	}
	p.timerWG.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.segs {
		if s.mem {
			buf.Put(s.data[:cap(s.data)])
		}
	}
	clear(p.segs)
	p.keep.segs = p.segs[:0]
	p.segs = nil
	if p.wf != nil {
		p.wf.Close()
		p.rf.Close()
	}
}
