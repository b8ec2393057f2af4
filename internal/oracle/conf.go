package oracle

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var (
	portPlaceholder = regexp.MustCompile(`%%PORT_([0-9]+)%%`)
	anyPlaceholder  = regexp.MustCompile(`%%[A-Za-z0-9_]+%%`)
)

// ModulesDir is where Debian keeps nginx's dynamic modules (stream, mail,
// geoip, image_filter, xslt, perl). They are not loaded unless the
// configuration says so, and a relative load_module path would resolve
// against the test's prefix: write "load_module %%MODULES%%/ngx_stream_module.so;".
const ModulesDir = "/usr/lib/nginx/modules"

// tempPathDirectives are the http-level temp paths whose compiled-in
// defaults on Debian point into /var/lib/nginx; Start moves them into the
// prefix unless the configuration sets them at http level.
var tempPathDirectives = []string{
	"client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path",
	"uwsgi_temp_path", "scgi_temp_path",
}

// prepared is a configuration ready to be written into a prefix.
type prepared struct {
	text        string      // the final nginx.conf
	ports       map[int]int // placeholder index → port
	listenPorts []int       // ports nginx's listen directives use
	pidPath     string
	errorLog    string // where main-level error_log writes
	accessLog   string // where the injected (or expected) access log is
}

// prepareConf substitutes placeholders and adds what running under a test
// needs, leaving alone whatever the configuration already says.
func prepareConf(conf, prefix string, allocPort func() (int, error), root bool, logLevel string) (prepared, error) {
	p := prepared{ports: map[int]int{}}
	var indices []int
	for _, m := range portPlaceholder.FindAllStringSubmatch(conf, -1) {
		idx, err := strconv.Atoi(m[1])
		if err != nil || idx > 1000 {
			return p, fmt.Errorf("oracle: placeholder %s: index out of range", m[0])
		}
		if !slices.Contains(indices, idx) {
			indices = append(indices, idx)
		}
	}
	slices.Sort(indices) // allocate in index order, whatever the text order
	for _, idx := range indices {
		port, err := allocPort()
		if err != nil {
			return p, fmt.Errorf("oracle: allocating a port for %%%%PORT_%d%%%%: %w", idx, err)
		}
		p.ports[idx] = port
	}
	text := portPlaceholder.ReplaceAllStringFunc(conf, func(m string) string {
		idx, _ := strconv.Atoi(portPlaceholder.FindStringSubmatch(m)[1])
		return strconv.Itoa(p.ports[idx])
	})
	text = strings.ReplaceAll(text, "%%PREFIX%%", prefix)
	text = strings.ReplaceAll(text, "%%MODULES%%", ModulesDir)
	if left := anyPlaceholder.FindString(text); left != "" {
		return p, fmt.Errorf("oracle: unknown placeholder %s (known: %%%%PORT_n%%%%, %%%%PREFIX%%%%, %%%%MODULES%%%%)", left)
	}

	facts, err := factsOf(text)
	if err != nil {
		return p, err
	}
	abs := func(path string) string {
		if filepath.IsAbs(path) {
			return path
		}
		return filepath.Join(prefix, path)
	}

	var head []string
	if d, ok := facts.main["daemon"]; ok {
		if len(d.args) == 1 && d.args[0] == "on" {
			return p, fmt.Errorf("oracle: the configuration says \"daemon on\"; the oracle needs nginx in the foreground")
		}
	} else {
		head = append(head, "daemon off;")
	}
	if d, ok := facts.main["pid"]; ok && len(d.args) == 1 {
		p.pidPath = abs(d.args[0])
	} else {
		p.pidPath = filepath.Join(prefix, "nginx.pid")
		head = append(head, "pid "+p.pidPath+";")
	}
	if d, ok := facts.main["error_log"]; ok && len(d.args) >= 1 {
		switch d.args[0] {
		case "stderr":
			p.errorLog = filepath.Join(prefix, stderrFile)
		default:
			p.errorLog = abs(d.args[0])
		}
	} else {
		p.errorLog = filepath.Join(prefix, "error.log")
		head = append(head, "error_log "+p.errorLog+" "+logLevel+";")
	}
	if _, ok := facts.main["user"]; !ok && root {
		head = append(head, "user root;")
	}
	// events goes last: load_module must come before any block.
	_, hasEvents := facts.main["events"]

	p.accessLog = filepath.Join(prefix, "access.log")
	if facts.http != nil {
		var inject []string
		if !facts.httpLevel["access_log"] {
			inject = append(inject, "access_log "+p.accessLog+";")
		}
		for _, name := range tempPathDirectives {
			if !facts.httpLevel[name] {
				dir := strings.TrimSuffix(name, "_path")
				inject = append(inject, name+" "+filepath.Join(prefix, dir)+";")
			}
		}
		if len(inject) > 0 {
			at := facts.http.body
			text = text[:at] + "\n    # added by the oracle\n    " + strings.Join(inject, "\n    ") + "\n" + text[at:]
		}
	}
	if len(head) > 0 {
		text = "# added by the oracle\n" + strings.Join(head, "\n") + "\n# end of additions\n\n" + text
	}
	if !hasEvents {
		text += "\n# added by the oracle\nevents {}\n"
	}
	p.text = text

	allocated := map[int]bool{}
	for _, port := range p.ports {
		allocated[port] = true
	}
	for _, args := range facts.listens {
		if len(args) == 0 || slices.Contains(args[1:], "udp") {
			continue
		}
		if port := listenPort(args[0]); allocated[port] && !slices.Contains(p.listenPorts, port) {
			p.listenPorts = append(p.listenPorts, port)
		}
	}
	slices.Sort(p.listenPorts)
	return p, nil
}

// listenPort returns the port of a listen directive's address ("8080",
// "127.0.0.1:8080", "[::1]:8080"), or 0 for a unix socket or no port.
func listenPort(addr string) int {
	if strings.HasPrefix(addr, "unix:") {
		return 0
	}
	if i := strings.LastIndexByte(addr, ':'); i >= 0 && !strings.HasSuffix(addr, "]") {
		addr = addr[i+1:]
	}
	port, err := strconv.Atoi(addr)
	if err != nil {
		return 0
	}
	return port
}
