package userid

import (
	"github.com/sluicehq/sluice/httpd"
)

// addVariables defines $uid_got, $uid_set and $uid_reset
// (ngx_http_userid_add_variables).
func addVariables(cf *httpd.Config) error {
	for _, v := range []*httpd.Variable{
		{Name: "uid_got", Get: gotVariable},
		{Name: "uid_set", Get: setVariable},
		{Name: "uid_reset", Flags: httpd.VarChangeable, Get: func(*httpd.Request, string, int) (string, bool) { return "", true }},
	} {
		if _, err := cf.AddVariable(v); err != nil {
			return err
		}
	}
	cf.VariableIndex("uid_reset") // exists even if nothing else names it
	return nil
}

// gotVariable is $uid_got: the received identifier, "name=" and 32 hex
// digits.
func gotVariable(r *httpd.Request, _ string, _ int) (string, bool) {
	m := r.Main
	lc := httpd.LocConf[LocConf](m, &self)
	if lc == nil || lc.mode.Get() == modeOff {
		return "", false
	}
	c := getUID(m, lc)
	if !c.got.Present() {
		return "", false
	}
	return lc.name.Get() + "=" + hexWords(&c.got), true
}

// setVariable is $uid_set: the identifier the response sets.
func setVariable(r *httpd.Request, _ string, _ int) (string, bool) {
	m := r.Main
	lc := httpd.LocConf[LocConf](m, &self)
	if lc == nil || lc.mode.Get() < modeV1 {
		return "", false
	}
	c := getUID(m, lc)
	if createUID(m, c, lc) != httpd.OK || !c.set.Present() {
		return "", false
	}
	return lc.name.Get() + "=" + hexWords(&c.set), true
}
