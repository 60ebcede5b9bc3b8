package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/sparkbench/sparkbench/flares"
	"github.com/sparkbench/sparkbench/workloads"
)

const flaresUsage = `usage: sparkbench flares [NAME...]

Lists the built-in flares (use them in a workload as flare: builtin:NAME),
whether they write Spark (their site then needs writes_spark_kv), and the
request parameters each reads.
`

func runFlares(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("flares", flaresUsage, stderr)
	names, err := parseFlags(fs, args)
	if err != nil {
		return flagError(stderr, err)
	}
	if len(names) == 0 {
		names = flares.Names()
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	for i, n := range names {
		f, ok := flares.Info(n)
		if !ok {
			tw.Flush()
			fmt.Fprintf(stderr, "sparkbench flares: unknown built-in flare %q\n", n)
			return exitUsage
		}
		if i > 0 {
			fmt.Fprintln(tw)
		}
		writes := "reads Spark"
		if wasm, ok := flares.Lookup(n); ok {
			if w, err := workloads.WasmWritesSpark(wasm); err == nil && w {
				writes = "writes Spark (needs writes_spark_kv)"
			}
		}
		fmt.Fprintf(tw, "builtin:%s\t%s\n", f.Name, f.Summary)
		fmt.Fprintf(tw, "\t%s\n", writes)
		for _, p := range f.Params {
			fmt.Fprintf(tw, "\t%s %s\t%s\n", p.Where, p.Name, p.Meaning)
		}
	}
	tw.Flush()
	return exitOK
}
