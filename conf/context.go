package conf

// Context is a set of places a directive may appear (nginx's *_CONF bits).
type Context uint32

// The contexts. HTTPSif and HTTPLif are "if" blocks in server and in
// location; HTTPLmt is limit_except.
const (
	Main Context = 1 << iota
	Events
	HTTPMain
	HTTPSrv
	HTTPLoc
	HTTPUps
	HTTPSif
	HTTPLif
	HTTPLmt
	Stream

	// AnyContext allows a directive everywhere ("include").
	AnyContext Context = 1<<32 - 1
)

// Arity is the set of argument counts a directive accepts, plus the block
// bit (nginx's NGX_CONF_NOARGS..NGX_CONF_2MORE and NGX_CONF_BLOCK).
type Arity uint32

// The arities. Combine TakeN bits for alternatives (Take12 = Take1|Take2).
const (
	NoArgs Arity = 1 << iota
	Take1
	Take2
	Take3
	Take4
	Take5
	Take6
	Take7
	// Block marks a directive that must open a "{" block.
	Block
	// FlagArg takes exactly one "on"/"off" argument.
	FlagArg
	// AnyArgs accepts any number of arguments.
	AnyArgs
	// OneMore takes one or more arguments.
	OneMore
	// TwoMore takes two or more arguments.
	TwoMore

	Take12   = Take1 | Take2
	Take13   = Take1 | Take3
	Take23   = Take2 | Take3
	Take123  = Take1 | Take2 | Take3
	Take1234 = Take1 | Take2 | Take3 | Take4
)

// maxArgs is nginx's NGX_CONF_MAX_ARGS.
const maxArgs = 8

var takeN = [maxArgs]Arity{NoArgs, Take1, Take2, Take3, Take4, Take5, Take6, Take7}

// accepts reports whether n arguments (the name excluded) fit a.
func (a Arity) accepts(n int) bool {
	switch {
	case a&AnyArgs != 0:
		return true
	case a&FlagArg != 0:
		return n == 1
	case a&OneMore != 0:
		return n >= 1
	case a&TwoMore != 0:
		return n >= 2
	case n+1 > maxArgs:
		return false
	default:
		return a&takeN[n] != 0
	}
}
