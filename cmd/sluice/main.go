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
	"runtime"
	"runtime/pprof"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/modules"
)

//go:embed default.conf
var defaultConf []byte

func main() {
	// SLUICE_CPUPROFILE=FILE writes a CPU profile of the whole run to FILE,
	// SLUICE_MEMPROFILE=FILE the allocations of the whole run (sampled every
	// 4 KiB) when it ends (for go tool pprof; see docs/performance.md)
	cpu, mem := os.Getenv("SLUICE_CPUPROFILE"), os.Getenv("SLUICE_MEMPROFILE")
	var cpuFile *os.File
	if cpu != "" {
		f, err := os.Create(cpu)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "sluice: SLUICE_CPUPROFILE: %v\n", err)
			os.Exit(1)
		}
		cpuFile = f
	}
	if mem != "" {
		runtime.MemProfileRate = 4096
	}
	code := program().Main(os.Args[1:])
	if cpuFile != nil {
		pprof.StopCPUProfile()
		cpuFile.Close()
	}
	if mem != "" {
		if err := writeAllocs(mem); err != nil {
			fmt.Fprintf(os.Stderr, "sluice: SLUICE_MEMPROFILE: %v\n", err)
		}
	}
	os.Exit(code)
}

// writeAllocs writes the allocation profile to name.
func writeAllocs(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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
