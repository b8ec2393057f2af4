package ssi

import (
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// ctx is the SSI state of one request (nginx's ngx_http_ssi_ctx_t).
type ctx struct {
	p Parser
	// m is the state of the whole request tree, kept by the main request.
	m *mainState
	// shared marks a subrequest's context standing as the main request's
	// when the main response itself is not processed.
	shared bool

	conditional  int
	output       bool
	outputChosen bool
	block        bool
	encoding     int
	timefmt      string
	errmsg       string

	minFileChunk int64
	silent       bool

	in      []httpd.Piece
	out     httpd.Chain
	fileBuf []byte
}

// Conditional states (NGX_HTTP_SSI_COND_IF, NGX_HTTP_SSI_COND_ELSE).
const (
	condIf   = 1
	condElse = 2
)

// Echo encodings.
const (
	encNone = iota
	encURL
	encEntity
)

// mainState is what SSI keeps for the whole request tree: "set"
// variables, blocks and the captures of the last regex match.
type mainState struct {
	vars   map[string]string
	blocks []block
	// caps are the offsets of the last match in capSubject; ncaps counts
	// the groups up to the last one that matched, $0 included.
	caps       []int
	capSubject string
	ncaps      int
}

type block struct {
	name    string
	content []byte
}

// fileChunk is how much of a file body is read at once (nginx's
// output_buffers default).
const fileChunk = 32768

// headerFilter decides whether the response is processed
// (ngx_http_ssi_header_filter).
func headerFilter(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[LocConf](r, &self)
	if !lc.Enable.Get() || r.Out.ContentLengthN == 0 || !lc.Types.Match(r) {
		return httpd.OK
	}
	mx := httpd.Ctx[ctx](r.Main, &self)
	x := &ctx{
		encoding:     encEntity,
		output:       true,
		timefmt:      defaultTimefmt,
		errmsg:       defaultErrmsg,
		minFileChunk: lc.MinFileChunk.Get(),
		silent:       lc.SilentErrors.Get(),
	}
	x.p.ValueLen = int(lc.ValueLen.Get())
	httpd.SetCtx(r, &self, x)
	switch {
	case r == r.Main:
		if mx != nil {
			// a subrequest's context stood for the main request so far
			x.m = mx.m
			mx.shared = false
		} else {
			x.m = &mainState{}
		}
		r.Out.ClearContentLength()
		r.Out.ClearAcceptRanges()
		if !lc.LastModified.Get() {
			r.Out.ClearLastModified()
			r.Out.ClearETag()
		} else {
			r.WeakETag()
		}
	case mx == nil:
		x.m = &mainState{}
		x.shared = true
		httpd.SetCtx(r.Main, &self, x)
	default:
		x.m = mx.m
	}
	return httpd.OK
}

// bodyFilter processes the body (ngx_http_ssi_body_filter). It sends what
// it makes on itself, through the filters after it, and leaves c empty.
func bodyFilter(r *httpd.Request, c *httpd.Chain) httpd.Status {
	x := httpd.Ctx[ctx](r, &self)
	if x == nil || x.shared && r == r.Main || r.HeaderOnly || len(c.Pieces) == 0 {
		return httpd.OK
	}
	// the chain may be reused by a subrequest (a response's own chain of
	// the connection): work on a copy of its pieces
	x.in = append(x.in[:0], c.Pieces...)
	last, flush := c.Last, c.Flush
	rc := x.run(r)
	if rc == httpd.OK {
		x.out.Last, x.out.Flush = last, flush
		rc = x.flush(r, true)
	}
	x.out.Reset()
	c.Reset()
	return rc
}

// run processes the pieces taken from the input chain.
func (x *ctx) run(r *httpd.Request) httpd.Status {
	for k := range x.in {
		p := x.in[k]
		if p.File == nil {
			if rc := x.process(r, p.Data, nil, 0); rc != httpd.OK {
				return rc
			}
			continue
		}
		if x.fileBuf == nil {
			x.fileBuf = make([]byte, fileChunk)
		}
		rc := p.ReadFile(r, x.fileBuf, func(b []byte, off int64) httpd.Status {
			if rc := x.process(r, b, &p, off); rc != httpd.OK {
				return rc
			}
			// the buffer is read into again: what refers to it goes out now
			return x.flush(r, false)
		})
		if rc != httpd.OK {
			return rc
		}
	}
	return httpd.OK
}

// flush sends what was made so far (ngx_http_ssi_output); force sends an
// empty chain too (to pass Last or Flush on).
func (x *ctx) flush(r *httpd.Request, force bool) httpd.Status {
	if len(x.out.Pieces) == 0 && !force {
		return httpd.OK
	}
	if len(x.out.Pieces) == 0 && !x.out.Last && !x.out.Flush {
		return httpd.OK
	}
	rc := r.NextBodyFilter(order, &x.out)
	x.out.Reset()
	return rc
}

// process parses b, a piece of the body; file and off tell where it was
// read from for a file piece.
func (x *ctx) process(r *httpd.Request, b []byte, file *httpd.Piece, off int64) httpd.Status {
	for len(b) > 0 {
		st := x.p.Parse(b)
		if st.Prefix > 0 {
			x.prefix(st.Prefix)
		}
		if len(st.Text) > 0 {
			x.text(st.Text, file, off)
		}
		if st.Log != "" {
			r.Log().Logf(errlog.Error, r, nil, "%s", st.Log)
		}
		b = b[st.N:]
		off += int64(st.N)
		switch st.Event {
		case Command:
			switch rc := x.command(r); rc {
			case httpd.OK:
			case ssiError:
				x.errorText()
			default:
				return rc
			}
		case Malformed:
			x.errorText()
		}
	}
	return httpd.OK
}

// text handles plain text: output, kept in the block being defined, or
// dropped in a branch not taken. Text of a file piece longer than
// ssi_min_file_chunk is sent from the file.
func (x *ctx) text(b []byte, file *httpd.Piece, off int64) {
	if !x.output {
		if x.block {
			bl := &x.m.blocks[len(x.m.blocks)-1]
			bl.content = append(bl.content, b...)
		}
		return
	}
	if file != nil && int64(len(b)) > x.minFileChunk {
		x.out.AppendFile(file.File, off, int64(len(b)))
		return
	}
	x.out.Append(b)
}

// prefix handles the start of a would-be command that was text after all.
func (x *ctx) prefix(n int) {
	if x.output {
		x.out.AppendString(opening[:n])
	} else if x.block {
		bl := &x.m.blocks[len(x.m.blocks)-1]
		bl.content = append(bl.content, opening[:n]...)
	}
}

// errorText outputs the error message of a failed command unless
// ssi_silent_errors is on (even in a branch not taken, as nginx does).
func (x *ctx) errorText() {
	if !x.silent {
		x.out.AppendString(x.errmsg)
	}
}
