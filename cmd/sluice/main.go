// Command sluice is nginx's HTTP upstream machinery rebuilt in Go: it reads
// nginx.conf and serves HTTP. With no arguments and no conf/nginx.conf under
// the current directory it serves an embedded default configuration.
//
// This file only lists the modules compiled in and hands over to package
// core, which implements nginx's command line and process lifecycle.
package main

import (
	_ "embed"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/modules"
)

//go:embed default.conf
var defaultConf []byte

func main() {
	// SLUICE_CPUPROFILE=FILE writes a CPU profile of the whole run to FILE
	// (for go tool pprof; see docs/performance.md)
	if name := os.Getenv("SLUICE_CPUPROFILE"); name != "" {
		f, err := os.Create(name)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "sluice: SLUICE_CPUPROFILE: %v\n", err)
			os.Exit(1)
		}
		code := program().Main(os.Args[1:])
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
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
