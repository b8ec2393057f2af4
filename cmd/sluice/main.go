// Command sluice is nginx's HTTP upstream machinery rebuilt in Go: it reads
// nginx.conf and serves HTTP. With no arguments and no conf/nginx.conf under
// the current directory it serves an embedded default configuration.
//
// This file only lists the modules compiled in and hands over to package
// core, which implements nginx's command line and process lifecycle.
package main

import (
	_ "embed"
	"os"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/modules"
)

//go:embed default.conf
var defaultConf []byte

func main() {
	os.Exit(program().Main(os.Args[1:]))
}

// program is sluice: the modules of package modules and the embedded
// default configuration.
func program() *core.Program {
	return &core.Program{
		Modules:     modules.All(),
		Implemented: modules.Implemented,
		Embedded:    defaultConf,
	}
}
