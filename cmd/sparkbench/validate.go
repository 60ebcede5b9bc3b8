package main

import (
	"fmt"
	"io"

	"github.com/sparkbench/sparkbench/workloads"
	"github.com/sparkbench/sparkbench/workloads/engine"
)

const validateUsage = `usage: sparkbench validate [flags] FILE...

Checks workload files without running them: the schema (every error names
file:line:col and the field), the distributions, the flares (built-in names,
.wasm files that this host can load) and the site capabilities they need.

Exit status: 0 all valid, 1 interrupted, 2 a file is invalid.

flags:
`

func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", validateUsage, stderr)
	var sets listFlag
	fs.Var(&sets, "set", "override a field by dotted path before validating (repeatable)")
	files, err := parseFlags(fs, args)
	if err != nil {
		return flagError(stderr, err)
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "sparkbench validate: no workload file given")
		return exitUsage
	}
	var overrides []workloads.Override
	for _, s := range sets {
		o, err := workloads.ParseOverride(s)
		if err != nil {
			fmt.Fprintf(stderr, "sparkbench validate: --set: %v\n", err)
			return exitUsage
		}
		overrides = append(overrides, o)
	}
	ctx, stop := interruptContext()
	defer stop()
	code := exitOK
	for _, file := range files {
		w, err := workloads.ParseFile(file, overrides...)
		if err == nil {
			err = engine.Check(ctx, w)
		}
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "sparkbench validate: interrupted")
			return exitRuntime
		}
		if err != nil {
			printError(stderr, err)
			code = exitUsage
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%s: %d node(s), %d site(s), %d scenario(s), %v)\n", file, w.Name, len(w.Nodes), len(w.Sites), len(w.Scenarios), w.Duration)
	}
	return code
}
