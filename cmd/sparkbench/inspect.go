package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/sparkbench/sparkbench/flares"
	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/internal/safefile"
	"github.com/sparkbench/sparkbench/workloads"
)

const inspectUsage = `usage: sparkbench inspect FILE.wasm|builtin:NAME

Prints a flare module's imports and exports, whether it writes Spark (its
site then needs writes_spark_kv), and whether this host can run it (the
module is compiled and checked against the flaron/v1 ABI and the host's
module limits, and one instance is made: its start function and
_initialize run under the default invocation timeout).

Exit status: 0 runnable, 1 not runnable here or interrupted, 2 unreadable
or not wasm.
`

func runInspect(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("inspect", inspectUsage, stderr)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return flagError(stderr, err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "sparkbench inspect: want exactly one module (FILE.wasm or builtin:NAME)")
		return exitUsage
	}
	ref := pos[0]
	var wasm []byte
	name := ref
	if b, ok := strings.CutPrefix(ref, workloads.BuiltinPrefix); ok {
		w, found := flares.Lookup(b)
		if !found {
			fmt.Fprintf(stderr, "sparkbench inspect: unknown built-in flare %q (built-in: %s)\n", b, strings.Join(flares.Names(), ", "))
			return exitUsage
		}
		wasm, name = w, b
	} else {
		wasm, err = safefile.ReadFile(ref, workloads.MaxFlareBytes)
		if err != nil {
			fmt.Fprintf(stderr, "sparkbench inspect: %v\n", err)
			return exitUsage
		}
		name = strings.TrimSuffix(filepath.Base(ref), ".wasm")
	}
	imports, exports, err := workloads.ScanModule(wasm)
	if err != nil {
		fmt.Fprintf(stderr, "sparkbench inspect: %s: %v\n", ref, err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "%s: %d bytes, %d imports, %d exports\n", ref, len(wasm), len(imports), len(exports))
	fmt.Fprintln(stdout, "imports:")
	for _, im := range imports {
		fmt.Fprintf(stdout, "  %-7s %s.%s\n", im.Kind, im.Module, im.Name)
	}
	fmt.Fprintln(stdout, "exports:")
	for _, ex := range exports {
		fmt.Fprintf(stdout, "  %-7s %s\n", ex.Kind, ex.Name)
	}
	writes, _ := workloads.WasmWritesSpark(wasm)
	if writes {
		fmt.Fprintln(stdout, "spark: writes (spark_set, spark_delete or spark_pull): the site needs writes_spark_kv")
	} else {
		fmt.Fprintln(stdout, "spark: read-only")
	}
	ctx, stop := interruptContext()
	defer stop()
	// The default limits: the module's start function and _initialize
	// run under the default invocation timeout, as a run would.
	h, err := host.New(ctx, host.Config{Limits: host.DefaultLimits(), PoolSize: 1, Nodes: []host.Node{{ID: "inspect"}}})
	if err != nil {
		fmt.Fprintf(stderr, "sparkbench inspect: host: %v\n", err)
		return exitRuntime
	}
	defer h.Close(context.Background())
	if _, err := h.Load(ctx, name, wasm); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "sparkbench inspect: interrupted")
			return exitRuntime
		}
		fmt.Fprintf(stdout, "runnable: no: %s\n", oneLine(err))
		return exitRuntime
	}
	fmt.Fprintln(stdout, "runnable: yes (compiled and checked against flaron/v1)")
	return exitOK
}
