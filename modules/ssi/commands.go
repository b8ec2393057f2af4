package ssi

import (
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// ssiError is a command's failure: the error text is output
// (NGX_HTTP_SSI_ERROR).
const ssiError httpd.Status = 1

// maxParams is the most parameters a command may have
// (NGX_HTTP_SSI_MAX_PARAMS).
const maxParams = 16

type paramSpec struct {
	name      string
	mandatory bool
}

// args are a command's parameters by position in its spec list.
type args [5]struct {
	val string
	ok  bool
}

type command struct {
	handler func(x *ctx, r *httpd.Request, a *args) httpd.Status
	params  []paramSpec
	// conditional: the least conditional state the command needs.
	conditional int
	// block: runs even while a block is being defined.
	block bool
	// flush: what was made so far goes out first.
	flush bool
}

// Parameter positions.
const (
	incVirtual = iota
	incFile
	incWait
	incSet
	incStub
)

const (
	echoVar = iota
	echoDefault
	echoEncoding
)

const (
	configErrmsg = iota
	configTimefmt
)

// commands are the SSI commands (nginx's ngx_http_ssi_commands).
var commands = map[string]*command{
	"include": {handler: (*ctx).include, flush: true,
		params: []paramSpec{{"virtual", false}, {"file", false}, {"wait", false}, {"set", false}, {"stub", false}}},
	"echo":     {handler: (*ctx).echo, params: []paramSpec{{"var", true}, {"default", false}, {"encoding", false}}},
	"config":   {handler: (*ctx).config, params: []paramSpec{{"errmsg", false}, {"timefmt", false}}},
	"set":      {handler: (*ctx).set, params: []paramSpec{{"var", true}, {"value", true}}},
	"if":       {handler: (*ctx).ifCommand, params: []paramSpec{{"expr", true}}},
	"elif":     {handler: (*ctx).ifCommand, params: []paramSpec{{"expr", true}}, conditional: condIf},
	"else":     {handler: (*ctx).elseCommand, conditional: condIf},
	"endif":    {handler: (*ctx).endif, conditional: condElse},
	"block":    {handler: (*ctx).blockCommand, params: []paramSpec{{"name", true}}},
	"endblock": {handler: (*ctx).endblock, block: true},
}

// command runs the command the parser just read.
func (x *ctx) command(r *httpd.Request) httpd.Status {
	name := x.p.Command()
	cmd := commands[name]
	if cmd == nil {
		if x.output {
			x.logf(r, "invalid SSI command: \"%s\"", name)
			return ssiError
		}
		return httpd.OK
	}
	if !x.output && !cmd.block {
		if x.block {
			x.keepCommand(name)
			return httpd.OK
		}
		if cmd.conditional == 0 {
			return httpd.OK
		}
	}
	if cmd.conditional != 0 && (x.conditional == 0 || x.conditional > cmd.conditional) {
		x.logf(r, "invalid context of SSI command: \"%s\"", name)
		return ssiError
	}
	if x.p.NParams() > maxParams {
		x.logf(r, "too many SSI command parameters: \"%s\"", name)
		return ssiError
	}
	var a args
	for i := 0; i < x.p.NParams(); i++ {
		prm := x.p.Param(i)
		k := -1
		for j, spec := range cmd.params {
			if spec.name == prm.Key {
				k = j
				break
			}
		}
		if k < 0 {
			x.logf(r, "invalid parameter name: \"%s\" in \"%s\" SSI command", prm.Key, name)
			return ssiError
		}
		if a[k].ok {
			x.logf(r, "duplicate \"%s\" parameter in \"%s\" SSI command", prm.Key, name)
			return ssiError
		}
		a[k].val, a[k].ok = prm.Value, true
	}
	for j, spec := range cmd.params {
		if spec.mandatory && !a[j].ok {
			x.logf(r, "mandatory \"%s\" parameter is absent in \"%s\" SSI command", spec.name, name)
			return ssiError
		}
	}
	if cmd.flush {
		if rc := x.flush(r, false); rc != httpd.OK {
			return rc
		}
	}
	return cmd.handler(x, r, &a)
}

func (x *ctx) logf(r *httpd.Request, format string, args ...any) {
	r.Log().Logf(errlog.Error, r, nil, format, args...)
}

// keepCommand adds the command's text to the block being defined.
func (x *ctx) keepCommand(name string) {
	bl := &x.m.blocks[len(x.m.blocks)-1]
	b := append(bl.content, opening...)
	b = append(b, name...)
	for i := 0; i < x.p.NParams(); i++ {
		prm := x.p.Param(i)
		b = append(b, ' ')
		b = append(b, prm.Key...)
		b = append(b, '=', '"')
		b = append(b, prm.Value...)
		b = append(b, '"')
	}
	bl.content = append(b, " -->"...)
}

// lookup finds a variable for Evaluate and echo: SSI variables and
// captures first, then the server's.
func (x *ctx) lookup(r *httpd.Request) Lookup {
	return func(name string) (string, bool) {
		if v, ok := x.m.get(name); ok {
			return v, true
		}
		return r.VarByName(name)
	}
}

// get returns an SSI variable, or capture N of the last regex match for a
// one-digit name.
func (m *mainState) get(name string) (string, bool) {
	if len(name) == 1 && name[0] >= '0' && name[0] <= '9' {
		if i := int(name[0] - '0'); i < m.ncaps {
			a, b := m.caps[2*i], m.caps[2*i+1]
			if a < 0 {
				return "", true
			}
			return m.capSubject[a:b], true
		}
	}
	v, ok := m.vars[name]
	return v, ok
}

func (m *mainState) set(name, value string) {
	if m.vars == nil {
		m.vars = map[string]string{}
	}
	m.vars[name] = value
}

// evaluate expands a parameter value, logging why it is malformed.
func (x *ctx) evaluate(r *httpd.Request, text string, addPrefix bool) (string, bool) {
	v, err := Evaluate(text, r.URI, addPrefix, x.lookup(r))
	if err != nil {
		x.logf(r, "%s", err.Error())
		return "", false
	}
	return v, true
}

// include runs a subrequest (ngx_http_ssi_include).
func (x *ctx) include(r *httpd.Request, a *args) httpd.Status {
	uri, file, wait, set, stub := a[incVirtual], a[incFile], a[incWait], a[incSet], a[incStub]
	if uri.ok && file.ok {
		x.logf(r, "inclusion may be either virtual=\"%s\" or file=\"%s\"", uri.val, file.val)
		return ssiError
	}
	if !uri.ok && !file.ok {
		x.logf(r, "no parameter in \"include\" SSI command")
		return ssiError
	}
	if set.ok && stub.ok {
		x.logf(r, "\"set\" and \"stub\" cannot be used together in \"include\" SSI command")
		return ssiError
	}
	waited := false
	if wait.ok {
		if !uri.ok {
			x.logf(r, "\"wait\" cannot be used with file=\"%s\"", file.val)
			return ssiError
		}
		switch {
		case ascii.EqualFold(wait.val, "no"):
		case ascii.EqualFold(wait.val, "yes"):
			waited = true
		default:
			x.logf(r, "invalid value \"%s\" in the \"wait\" parameter", wait.val)
			return ssiError
		}
	}
	if !uri.ok {
		uri = file
		waited = true
	}
	target, ok := x.evaluate(r, uri.val, true)
	if !ok {
		return ssiError
	}
	path, query, ok := http1.ParseUnsafeURI(nil, []byte(target))
	if !ok {
		x.logf(r, "unsafe URI \"%s\" was detected", target)
		return ssiError
	}
	var flags httpd.SubrequestFlags
	if waited {
		flags |= httpd.SubrequestWaited
	}
	var post httpd.PostSubrequest
	if stub.ok {
		content, found := []byte(nil), false
		for i := range x.m.blocks {
			if x.m.blocks[i].name == stub.val {
				content, found = x.m.blocks[i].content, true
				break
			}
		}
		if !found {
			x.logf(r, "\"stub\"=\"%s\" for \"include\" not found", stub.val)
			return ssiError
		}
		post = stubOutput(content)
	}
	if set.ok {
		name := ascii.ToLower(set.val)
		if _, exists := x.m.get(name); !exists {
			x.m.set(name, "")
		}
		m := x.m
		post = func(sr *httpd.Request, rc httpd.Status) httpd.Status {
			if sr.Out.Status < 300 {
				if out, ok := sr.SubrequestOutput(); ok {
					if len(name) != 1 || name[0] < '0' || name[0] > '9' || int(name[0]-'0') >= m.ncaps {
						m.set(name, string(out))
					}
				}
			}
			return rc
		}
		flags |= httpd.SubrequestInMemory | httpd.SubrequestWaited
	}
	action := r.Action()
	_, rc := r.Subrequest(string(path), string(query), flags, post)
	if flags&httpd.SubrequestWaited == 0 {
		// nginx runs the subrequest once the filter is through the
		// buffer at hand: the commands after this one are still logged
		// in the parent's context
		r.SetAction(action)
	}
	if rc != httpd.OK {
		if r.Failed() {
			return httpd.Error
		}
		return ssiError
	}
	return httpd.OK
}

// stubOutput is the post handler of an include with a stub: a
// subrequest that failed or sent no body outputs the block instead
// (ngx_http_ssi_stub_output).
func stubOutput(content []byte) httpd.PostSubrequest {
	return func(sr *httpd.Request, rc httpd.Status) httpd.Status {
		if rc == httpd.Error || sr.Failed() || sr.ProducedOutput() {
			return rc
		}
		if !sr.HeaderSent {
			pr := sr.Parent()
			sr.Out.ContentType, sr.Out.ContentTypeLen = pr.Out.ContentType, pr.Out.ContentTypeLen
			if sr.SendHeader() == httpd.Error {
				return httpd.Error
			}
		}
		var c httpd.Chain
		c.Append(content)
		return sr.Output(&c)
	}
}

// echo outputs a variable (ngx_http_ssi_echo).
func (x *ctx) echo(r *httpd.Request, a *args) httpd.Status {
	name := ascii.ToLower(a[echoVar].val)
	value, found := x.m.get(name)
	if !found {
		value, found = r.VarByName(name)
	}
	if !found {
		if a[echoDefault].ok {
			value = a[echoDefault].val
		} else {
			value = "(none)"
		}
	}
	if value == "" {
		return httpd.OK
	}
	if enc := a[echoEncoding]; enc.ok {
		switch enc.val {
		case "none":
			x.encoding = encNone
		case "url":
			x.encoding = encURL
		case "entity":
			x.encoding = encEntity
		default:
			x.logf(r, "unknown encoding \"%s\" in the \"echo\" command", enc.val)
		}
	}
	switch x.encoding {
	case encURL:
		if http1.EscapeCount([]byte(value), http1.EscapeHTMLAttr) > 0 {
			value = string(http1.Escape(nil, []byte(value), http1.EscapeHTMLAttr))
		}
	case encEntity:
		if http1.EscapeHTMLLen([]byte(value)) != len(value) {
			value = string(http1.EscapeHTML(nil, []byte(value)))
		}
	}
	x.out.AppendString(value)
	return httpd.OK
}

// config sets the error text and the time format (ngx_http_ssi_config).
func (x *ctx) config(_ *httpd.Request, a *args) httpd.Status {
	if a[configTimefmt].ok {
		x.timefmt = a[configTimefmt].val
	}
	if a[configErrmsg].ok {
		x.errmsg = a[configErrmsg].val
	}
	return httpd.OK
}

// set assigns an SSI variable (ngx_http_ssi_set).
func (x *ctx) set(r *httpd.Request, a *args) httpd.Status {
	value, ok := x.evaluate(r, a[1].val, false)
	if !ok {
		return ssiError
	}
	x.m.set(ascii.ToLower(a[0].val), value)
	return httpd.OK
}

// elseCommand is "else" (ngx_http_ssi_else).
func (x *ctx) elseCommand(*httpd.Request, *args) httpd.Status {
	x.output = !x.outputChosen
	x.conditional = condElse
	return httpd.OK
}

// endif is "endif" (ngx_http_ssi_endif).
func (x *ctx) endif(*httpd.Request, *args) httpd.Status {
	x.output, x.outputChosen, x.conditional = true, false, 0
	return httpd.OK
}

// blockCommand starts a block (ngx_http_ssi_block): its text and commands
// are kept, not output, until "endblock".
func (x *ctx) blockCommand(_ *httpd.Request, a *args) httpd.Status {
	x.m.blocks = append(x.m.blocks, block{name: a[0].val})
	x.output, x.block = false, true
	return httpd.OK
}

// endblock ends a block (ngx_http_ssi_endblock).
func (x *ctx) endblock(*httpd.Request, *args) httpd.Status {
	x.output, x.block = true, false
	return httpd.OK
}
