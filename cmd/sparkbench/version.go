package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

const versionUsage = `usage: sparkbench version

Prints the module version, the VCS revision it was built from and the Go
version.
`

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", versionUsage, stderr)
	if _, err := parseFlags(fs, args); err != nil {
		return flagError(stderr, err)
	}
	fmt.Fprintln(stdout, versionString())
	return exitOK
}

// versionString is "sparkbench VERSION (REVISION[, modified] TIME) GO OS/ARCH".
func versionString() string {
	version, rev, when, modified := "(devel)", "", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	vcs := ""
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		vcs = " (" + rev
		if modified {
			vcs += ", modified"
		}
		if when != "" {
			vcs += " " + when
		}
		vcs += ")"
	}
	return fmt.Sprintf("sparkbench %s%s %s %s/%s", version, vcs, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
