// Package conf applies a parsed nginx.conf to modules: the directive tables
// (name, allowed contexts, arity, setter), the walk that checks each
// statement against them with nginx's wording, "include" with globs, the
// generic setters (flag, number, size, offset, time, string, enum, bitmask,
// bufs, path) and typed values that know whether they were set, with the one
// merge rule: inherit from the enclosing block, else the default.
//
// The package knows no module: blocks such as "http" or "events" are
// directives whose setters open a new Scope and walk the block's statements
// in it.
package conf
