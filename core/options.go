package core

import (
	"fmt"
	"strings"
)

// Options is the parsed command line (nginx's ngx_get_options).
type Options struct {
	ShowVersion, ShowHelp, ShowConfigure bool
	Test, Dump, Quiet                    bool
	// Signal is "stop", "quit", "reopen" or "reload" for -s.
	Signal string
	// Prefix (-p), ConfFile (-c), ErrorLog (-e; "" unset, "stderr" for
	// stderr) and Params (-g) as given.
	Prefix, ConfFile, ErrorLog, Params string
	prefixSet, errorLogSet, paramsSet  bool
}

// ParseOptions parses arguments (without the program name) exactly as nginx
// does, including bundled flags ("-tq") and values glued to their flag
// ("-p/srv"). The error text is nginx's (without the program prefix).
func ParseOptions(args []string) (*Options, error) {
	o := &Options{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return nil, fmt.Errorf("invalid option: \"%s\"", a)
		}
		p := a[1:]
	flags:
		for len(p) > 0 {
			c := p[0]
			p = p[1:]
			switch c {
			case '?', 'h':
				o.ShowVersion, o.ShowHelp = true, true
			case 'v':
				o.ShowVersion = true
			case 'V':
				o.ShowVersion, o.ShowConfigure = true, true
			case 't':
				o.Test = true
			case 'T':
				o.Test, o.Dump = true, true
			case 'q':
				o.Quiet = true
			case 'p', 'e', 'c', 'g', 's':
				v := p
				if v == "" {
					if i+1 >= len(args) {
						return nil, fmt.Errorf("option \"-%c\" requires %s", c, optionWants[c])
					}
					i++
					v = args[i]
				}
				switch c {
				case 'p':
					o.Prefix, o.prefixSet = v, true
				case 'e':
					o.ErrorLog, o.errorLogSet = v, true
				case 'c':
					o.ConfFile = v
				case 'g':
					o.Params, o.paramsSet = v, true
				case 's':
					switch v {
					case "stop", "quit", "reopen", "reload":
						o.Signal = v
					default:
						return nil, fmt.Errorf("invalid option: \"-s %s\"", v)
					}
				}
				break flags
			default:
				return nil, fmt.Errorf("invalid option: \"%c\"", c)
			}
		}
	}
	return o, nil
}

var optionWants = map[byte]string{
	'p': "directory name",
	'e': "file name",
	'c': "file name",
	'g': "parameter",
	's': "parameter",
}

// Usage is the text -h prints after the version line.
const Usage = `Usage: sluice [-?hvVtTq] [-s signal] [-p prefix]
             [-e filename] [-c filename] [-g directives]

Options:
  -?,-h         : this help
  -v            : show version and exit
  -V            : show version and configure options then exit
  -t            : test configuration and exit
  -T            : test configuration, dump it and exit
  -q            : suppress non-error messages during configuration testing
  -s signal     : send signal to a master process: stop, quit, reopen, reload
  -p prefix     : set prefix path (default: current directory)
  -e filename   : set error log file (default: stderr)
  -c filename   : set configuration file (default: conf/nginx.conf, else the embedded default)
  -g directives : set global directives out of configuration file

`
