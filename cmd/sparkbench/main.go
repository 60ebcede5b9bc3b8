// Command sparkbench is a load-testing and benchmark harness for Spark, the
// per-site key/value store that flaron/v1 edge flares reach through the host
// ABI. See `sparkbench help`.
package main

import (
	"fmt"
	"io"
	"os"
)

// Exit codes (docs/CONTRACTS.md).
const (
	exitOK         = 0 // success
	exitRuntime    = 1 // a run could not complete
	exitUsage      = 2 // bad flags, invalid workload file, missing flare
	exitThresholds = 3 // thresholds failed
	exitRegression = 4 // compare found a regression
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// command is one subcommand: a function in its own file.
type command struct {
	name    string
	summary string
	fn      func(args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order help shows them.
func commands() []command {
	return []command{
		{"run", "run workload files and report (progress bars, summary, JSON/HTML/Markdown)", runRun},
		{"validate", "check workload files without running them", runValidate},
		{"ab", "run two builds or configurations in alternating pairs and compare them", runAB},
		{"compare", "compare two results; exit 4 on a significant regression", runCompare},
		{"merge", "merge the results of shards run on several machines", runMerge},
		{"report", "render a result file as text, Markdown, HTML, .hgrm or benchmark format", runReport},
		{"flares", "list the built-in flares and their request parameters", runFlares},
		{"inspect", "show a .wasm module's imports and exports and whether this host runs it", runInspect},
		{"store", "show what a persisted store directory holds: sites, keys, values, TTLs (read-only)", runStore},
		{"version", "print the version and build information", runVersion},
		{"help", "show help for a command", runHelp},
	}
}

// run is main without the process: tests call it in-process.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		printUsage(stdout)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name {
			return c.fn(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "sparkbench: unknown command %q (see sparkbench help)\n", name)
	return exitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `sparkbench: load tests and benchmarks for Spark, the flaron/v1 edge key/value store

usage: sparkbench COMMAND [flags] [args]

commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
exit codes: 0 ok, 1 runtime error, 2 usage or configuration error,
            3 thresholds failed, 4 regression found (compare)

Run 'sparkbench help COMMAND' for a command's flags.
`)
}
