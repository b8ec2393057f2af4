package conf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/syntax"
)

// Scope is a block being applied: which contexts its statements are in,
// and which conf object each directive's module receives there.
type Scope struct {
	// Context is the block's context (one bit).
	Context Context
	// Conf returns the conf object handed to d's setter in this block. It
	// may be nil when no directive here needs one.
	Conf func(d *Directive) any
	// Handler, when set, receives every statement of the block instead of
	// the directive tables (nginx's cf->handler, used by "types" and "map").
	// The statement's Spec and Conf are nil.
	Handler func(c *Cmd) error
	// HandlerIncludes makes "include" lines go to Handler too, for blocks
	// whose nginx handler has no include (split_clients).
	HandlerIncludes bool
	// Parent is the enclosing block's scope (nil at main level).
	Parent *Scope
	// Data is free for the block's owner (e.g. the location being built).
	Data any
}

// DumpFile is a configuration file as read, for -T.
type DumpFile struct {
	Path string
	Text []byte
}

// Loader walks configuration trees against the directive tables of every
// module. One Loader loads one configuration.
type Loader struct {
	// Prefix is nginx's prefix (-p), with a trailing slash.
	Prefix string
	// ConfPrefix is the directory of the main configuration file, with a
	// trailing slash; relative includes start there.
	ConfPrefix string
	// Log receives warnings while loading ([warn] lines).
	Log *errlog.Log
	// Owner is free for whoever runs the load (the core package keeps its
	// Cycle there so setters can reach it).
	Owner any

	known    map[string][]*Directive
	dump     []DumpFile
	dumped   map[string]bool
	includes []string
}

// NewLoader returns a loader knowing the given directive tables.
func NewLoader(prefix, confPrefix string, log *errlog.Log, tables ...[]Directive) *Loader {
	l := &Loader{Prefix: prefix, ConfPrefix: confPrefix, Log: log, known: map[string][]*Directive{}, dumped: map[string]bool{}}
	l.Register(includeDirective[:])
	for _, t := range tables {
		l.Register(t)
	}
	return l
}

// Register adds a directive table.
func (l *Loader) Register(t []Directive) {
	for i := range t {
		d := &t[i]
		l.known[d.Name] = append(l.known[d.Name], d)
	}
}

// Known returns every registered directive description named name.
func (l *Loader) Known(name string) []*Directive { return l.known[name] }

// Dump returns every file read so far, once each, in reading order.
func (l *Loader) Dump() []DumpFile { return l.dump }

func (l *Loader) warn(file string, line int, msg string) {
	e := &Error{File: file, Line: line, Msg: msg}
	l.Log.Logf(errlog.Warn, nil, nil, "%s", e.Error())
}

// Warnf logs a [warn] line without a position.
func (l *Loader) Warnf(format string, args ...any) {
	l.Log.Logf(errlog.Warn, nil, nil, format, args...)
}

// FullName makes name absolute: relative to ConfPrefix when conf is true,
// else to Prefix (ngx_conf_full_name).
func (l *Loader) FullName(name string, conf bool) string {
	if conf {
		return FullName(l.ConfPrefix, name)
	}
	return FullName(l.Prefix, name)
}

// FullName makes name absolute against prefix, a directory ending in "/"
// (ngx_get_full_name): an absolute name stays as it is.
func FullName(prefix, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return prefix + name
}

// ReadFile reads and parses one configuration file, records it for -T, and
// returns its tree. An unreadable file is nginx's `open() "PATH" failed
// (ERRNO)`; the caller positions it.
func (l *Loader) ReadFile(path string) ([]*syntax.Directive, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("open() \"%s\" failed (%s)", path, errlog.Errno(unwrapPath(err)))
	}
	if !l.dumped[path] {
		l.dumped[path] = true
		l.dump = append(l.dump, DumpFile{Path: path, Text: src})
	}
	tree, _ := syntax.Parse(path, src)
	return tree, nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// LoadFile reads path and walks it in scope s: the main configuration file.
// An unreadable main file is reported without a position, as nginx does.
func (l *Loader) LoadFile(s *Scope, path string) error {
	tree, err := l.ReadFile(path)
	if err != nil {
		return &Error{Msg: err.Error(), NoPos: true}
	}
	l.includes = append(l.includes, path)
	defer func() { l.includes = l.includes[:len(l.includes)-1] }()
	return l.Walk(s, tree)
}

// Walk applies statements in scope s, in order, stopping at the first error
// (a syntax error node included).
func (l *Loader) Walk(s *Scope, nodes []*syntax.Directive) error {
	for _, n := range nodes {
		if err := l.apply(s, n); err != nil {
			return err
		}
	}
	return nil
}

func (l *Loader) apply(s *Scope, n *syntax.Directive) error {
	if n.Err != nil {
		return n.Err
	}
	c := &Cmd{Directive: n, Scope: s, Loader: l}
	if s.Handler != nil {
		if n.HasBlock() {
			return c.Errorf("unexpected \"{\"")
		}
		if n.Name == "include" && len(n.Args) == 1 && !s.HandlerIncludes {
			return l.include(c)
		}
		return s.Handler(c)
	}
	found := false
	for _, d := range l.known[n.Name] {
		found = true
		if d.Context&s.Context == 0 {
			continue
		}
		if d.Args&Block == 0 && n.HasBlock() {
			return c.Errorf("directive \"%s\" is not terminated by \";\"", n.Name)
		}
		if d.Args&Block != 0 && !n.HasBlock() {
			return c.Errorf("directive \"%s\" has no opening \"{\"", n.Name)
		}
		if !d.Args.accepts(len(n.Args)) {
			return c.Errorf("invalid number of arguments in \"%s\" directive", n.Name)
		}
		c.Spec = d
		if s.Conf != nil {
			c.Conf = s.Conf(d)
		}
		if err := d.Set(c); err != nil {
			return position(c, err)
		}
		return nil
	}
	if found {
		return c.Errorf("\"%s\" directive is not allowed here", n.Name)
	}
	return c.Errorf("unknown directive \"%s\"", n.Name)
}

var includeDirective = [...]Directive{{
	Name:    "include",
	Context: AnyContext,
	Args:    Take1,
	Set:     func(c *Cmd) error { return c.Loader.include(c) },
	Syntax:  "include file | mask;",
	Doc:     "Includes files, or files matching a glob, relative to the configuration file's directory; applied in the context where it appears.",
}}

// include applies a file or every file matching a glob in the current
// scope (ngx_conf_include).
func (l *Loader) include(c *Cmd) error {
	name := l.FullName(c.Arg(0), true)
	if !strings.ContainsAny(name, "*?[") {
		return l.includeFile(c, name)
	}
	matches, err := glob(name)
	if err != nil {
		return c.Errorf("glob() \"%s\" failed (%s)", name, err)
	}
	for _, m := range matches {
		if err := l.includeFile(c, m); err != nil {
			return err
		}
	}
	return nil
}

func (l *Loader) includeFile(c *Cmd, path string) error {
	for _, p := range l.includes {
		if p == path {
			return c.Errorf("include cycle: \"%s\" is already being included", path)
		}
	}
	tree, err := l.ReadFile(path)
	if err != nil {
		return c.Errorf("%s", err)
	}
	l.includes = append(l.includes, path)
	defer func() { l.includes = l.includes[:len(l.includes)-1] }()
	return l.Walk(c.Scope, tree)
}

// glob expands pattern like glob(3) does for nginx: sorted, and a wildcard
// does not match a leading "." of a name.
func glob(pattern string) ([]string, error) {
	all, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	pparts := strings.Split(pattern, "/")
	out := all[:0]
next:
	for _, m := range all {
		mparts := strings.Split(m, "/")
		if len(mparts) != len(pparts) {
			out = append(out, m)
			continue
		}
		for i, mp := range mparts {
			if strings.HasPrefix(mp, ".") && !strings.HasPrefix(pparts[i], ".") {
				continue next
			}
		}
		out = append(out, m)
	}
	sort.Strings(out)
	return out, nil
}
