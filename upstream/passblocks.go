package upstream

import "github.com/sluicehq/sluice/httpd"

// PassBlocks are the blocks where a module's pass directive (proxy_pass,
// fastcgi_pass, ...) installed its content handler. A limit_except block
// inside one inherits the pass but not the handler; nginx's merge gives it
// the handler (clcf->lmt_excpt), and so does LimitExcept once the
// configuration is merged.
type PassBlocks []*httpd.CoreLocConf

// Add records a block with its own pass directive.
func (b *PassBlocks) Add(cl *httpd.CoreLocConf) { *b = append(*b, cl) }

// LimitExcept gives the limit_except block of each recorded block the
// handler h when it has no handler of its own and passes reports that its
// merged configuration has a pass (call it from Postconfiguration).
func (b PassBlocks) LimitExcept(passes func(l *httpd.Location) bool, h httpd.ContentHandler) {
	for _, cl := range b {
		if l := cl.LimitExceptLoc; l != nil && l.Core().Handler == nil && passes(l) {
			l.Core().Handler = h
		}
	}
}
