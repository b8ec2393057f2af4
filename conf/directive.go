package conf

import (
	"errors"
	"fmt"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/syntax"
)

// Directive describes one directive a module understands.
type Directive struct {
	// Name is the directive's name as written in nginx.conf.
	Name string
	// Context is where it may appear.
	Context Context
	// Args is the accepted argument count, and Block for block directives.
	Args Arity
	// Level tells the block owner which of the module's conf objects the
	// setter receives in Cmd.Conf (for http: the location, server or main
	// conf; see package httpd). Its meaning belongs to the owner.
	Level int
	// Set applies one occurrence. A returned *Error is reported as is; any
	// other error is reported as nginx reports a setter's message:
	// `"NAME" directive MESSAGE in FILE:LINE`.
	Set func(c *Cmd) error

	// Syntax, Default and Doc document the directive the way nginx.org
	// does; they feed docs/compat.md and the package documentation.
	Syntax, Default, Doc string
}

// Cmd is one occurrence of a directive being applied.
type Cmd struct {
	*syntax.Directive
	// Spec is the matched directive description.
	Spec *Directive
	// Conf is the configuration object the current scope hands to Spec's
	// module (its main, server or location conf, as the scope decides).
	Conf any
	// Scope is the block the directive appears in.
	Scope *Scope
	// Loader runs the walk; block setters call Loader.Walk on Block.
	Loader *Loader
}

// Arg returns argument i (0 is the first argument after the name).
func (c *Cmd) Arg(i int) string { return c.Args[i] }

// Errorf returns an [emerg] error positioned at the directive.
func (c *Cmd) Errorf(format string, args ...any) error {
	return &Error{File: c.File, Line: c.Line, Msg: fmt.Sprintf(format, args...)}
}

// EndErrorf is Errorf positioned at the block's closing "}", where nginx
// reports what it finds wrong once a block is read (merge errors, an empty
// upstream). A directive without a block gets its own line.
func (c *Cmd) EndErrorf(format string, args ...any) error {
	line := c.EndLine
	if line == 0 {
		line = c.Line
	}
	return &Error{File: c.File, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// SysErrorf is Errorf with errno appended as nginx does: " (2: No such file
// or directory)".
func (c *Cmd) SysErrorf(err error, format string, args ...any) error {
	return &Error{File: c.File, Line: c.Line, Msg: fmt.Sprintf(format, args...) + " (" + errlog.Errno(err) + ")"}
}

// Warnf logs a [warn] line positioned at the directive and carries on.
func (c *Cmd) Warnf(format string, args ...any) {
	c.Loader.warn(c.File, c.Line, fmt.Sprintf(format, args...))
}

// EndWarnf is Warnf positioned at the block's closing "}", where nginx
// reports what it finds doubtful once a block is read (merge warnings).
func (c *Cmd) EndWarnf(format string, args ...any) {
	line := c.EndLine
	if line == 0 {
		line = c.Line
	}
	c.Loader.warn(c.File, line, fmt.Sprintf(format, args...))
}

// Duplicate is the error for a directive set twice in one block.
func (c *Cmd) Duplicate() error { return c.Errorf("%q directive is duplicate", c.Name) }

// InvalidValue is nginx's `invalid value "X" in "NAME" directive`.
func (c *Cmd) InvalidValue(v string) error {
	return c.Errorf("invalid value \"%s\" in \"%s\" directive", v, c.Name)
}

// Error is a configuration error positioned in a file, rendered as nginx
// renders it: "MSG in FILE:LINE", "MSG in command line" for -g text, or just
// MSG when it has no position.
type Error struct {
	File string
	Line int
	Msg  string
	// NoPos marks errors nginx prints without a position.
	NoPos bool
}

func (e *Error) Error() string {
	switch {
	case e.NoPos:
		return e.Msg
	case e.File == "":
		return e.Msg + " in command line"
	default:
		return fmt.Sprintf("%s in %s:%d", e.Msg, e.File, e.Line)
	}
}

// position gives err the directive's position unless it has one.
func position(c *Cmd, err error) error {
	var ce *Error
	var se *syntax.Error
	if errors.As(err, &ce) || errors.As(err, &se) {
		return err
	}
	return c.Errorf("\"%s\" directive %s", c.Name, err.Error())
}
