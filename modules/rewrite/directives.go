package rewrite

import (
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// compile compiles a directive argument as a script value, with nginx's
// error wording and the directive's position.
func compile(c *conf.Cmd, src string, splitArgs bool) (*value, error) {
	v, err := compileValue(src, httpd.ConfigOf(c).VariableIndex, splitArgs)
	if err != nil {
		return nil, c.Errorf("%s", err)
	}
	return v, nil
}

// compileRegex compiles a rewrite or "if" regex, and once per http block
// the regex that clears captures after a failed match.
func compileRegex(c *conf.Cmd, pattern string, caseless bool) (*httpd.Regex, error) {
	cf := httpd.ConfigOf(c)
	re, err := cf.CompileRegex(c, pattern, caseless)
	if err != nil {
		return nil, err
	}
	if mc := mainOf(c); mc.reset == nil {
		if mc.reset, err = cf.CompileRegex(c, "^", false); err != nil {
			return nil, err
		}
	}
	return re, nil
}

// isURL tells whether a replacement or return argument is a redirect URL
// (it starts with "http://", "https://" or "$scheme").
func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "$scheme")
}

// setRewrite is "rewrite regex replacement [flag]" (ngx_http_rewrite).
func setRewrite(c *conf.Cmd) error {
	lc := cmdLocConf(c)
	repl := c.Arg(1)
	if repl == "" {
		return c.Errorf("empty replacement")
	}
	re, err := compileRegex(c, c.Arg(0), false)
	if err != nil {
		return err
	}
	s := &rewriteStmt{re: re}
	if strings.HasSuffix(repl, "?") {
		// the last "?" drops the request's arguments
		repl = repl[:len(repl)-1]
	} else {
		s.addArgs = true
	}
	if isURL(repl) {
		s.status, s.redirect, s.last = 302, true, true
	}
	if len(c.Args) == 3 {
		switch c.Arg(2) {
		case "last":
			s.last = true
		case "break":
			s.breakCycle, s.last = true, true
		case "redirect":
			s.status, s.redirect, s.last = 302, true, true
		case "permanent":
			s.status, s.redirect, s.last = 301, true, true
		default:
			return c.Errorf("invalid parameter \"%s\"", c.Arg(2))
		}
	}
	if s.repl, err = compile(c, repl, !s.redirect); err != nil {
		return err
	}
	lc.code = append(lc.code, s)
	return nil
}

// setReturn is "return code [text]", "return code URL" and "return URL"
// (ngx_http_rewrite_return).
func setReturn(c *conf.Cmd) error {
	lc := cmdLocConf(c)
	arg := c.Arg(0)
	text := ""
	code, ok := conf.Atoi(arg)
	switch {
	case !ok:
		if len(c.Args) != 1 || !isURL(arg) {
			return c.Errorf("invalid return code \"%s\"", arg)
		}
		code, text = 302, arg
	case code > 999:
		return c.Errorf("invalid return code \"%s\"", arg)
	case len(c.Args) == 2:
		text = c.Arg(1)
	}
	v, err := compile(c, text, false)
	if err != nil {
		return err
	}
	lc.code = append(lc.code, &returnStmt{code: int(code), text: v})
	return nil
}

// setBreak is "break".
func setBreak(c *conf.Cmd) error {
	lc := cmdLocConf(c)
	lc.code = append(lc.code, breakStmt{})
	return nil
}

// setSet is "set $variable value" (ngx_http_rewrite_set).
func setSet(c *conf.Cmd) error {
	lc := cmdLocConf(c)
	name := c.Arg(0)
	if name == "" || name[0] != '$' {
		return c.Errorf("invalid variable name \"%s\"", name)
	}
	name = name[1:]
	if name == "" {
		return c.Errorf("invalid variable name \"$\"")
	}
	cf := httpd.ConfigOf(c)
	if err := defineSetVariable(cf, name); err != nil {
		return c.Errorf("%s", err)
	}
	s := &setStmt{index: cf.VariableIndex(name)}
	var err error
	if s.val, err = compile(c, c.Arg(1), false); err != nil {
		return err
	}
	lc.code = append(lc.code, s)
	return nil
}

// setIf is the "if (condition) { ... }" block (ngx_http_rewrite_if). The
// block's statements are read into an anonymous location, then moved into
// the enclosing block's code behind the condition, as nginx compiles them
// into the enclosing block's code array.
func setIf(c *conf.Cmd) error {
	lc := cmdLocConf(c)
	_, _, parent := httpd.BlockOf(c)
	cd, err := parseCondition(c)
	if err != nil {
		return err
	}
	l, err := httpd.ReadBlock(c, httpd.LocIf)
	if err != nil {
		return err
	}
	inner := l.Conf(&self).(*LocConf)
	s := &ifStmt{cond: cd, body: inner.code}
	inner.code = nil
	if parent.Kind != httpd.LocServer {
		s.loc = l
	}
	lc.code = append(lc.code, s)
	return nil
}

// parseCondition compiles the condition of "if" from its arguments
// (ngx_http_rewrite_if_condition).
func parseCondition(c *conf.Cmd) (cond, error) {
	cf := httpd.ConfigOf(c)
	f, err := splitCondition(c.Args)
	if err != nil {
		return nil, c.Errorf("%s", err)
	}
	switch f.kind {
	case condVar:
		return varCond{cf.VariableIndex(f.name)}, nil
	case condCompare:
		index := cf.VariableIndex(f.name)
		v, err := compile(c, f.operand, false)
		if err != nil {
			return nil, err
		}
		return &cmpCond{index: index, val: v, not: f.not}, nil
	case condRegex:
		index := cf.VariableIndex(f.name)
		re, err := compileRegex(c, f.operand, f.caseless)
		if err != nil {
			return nil, err
		}
		return &regexCond{index: index, re: re, not: f.not}, nil
	}
	v, err := compile(c, f.operand, false)
	if err != nil {
		return nil, err
	}
	fc := &fileCond{val: v, not: f.not}
	switch f.letter {
	case 'f':
		fc.op = filePlain
	case 'd':
		fc.op = fileDir
	case 'e':
		fc.op = fileExists
	case 'x':
		fc.op = fileExec
	default:
		return nil, c.Errorf("invalid condition \"%s\"", f.word)
	}
	return fc, nil
}
