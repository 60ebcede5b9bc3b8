package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/store"
	"github.com/sparkbench/sparkbench/workloads"
)

const runUsage = `usage: sparkbench run [flags] FILE...

Runs each workload file: per node a store (a fresh temporary directory unless
store.dir is set), the flares compiled once, preload, warmup, then the
measured phase with every scenario's executor running concurrently. Prints a
terminal summary; --out, --html and --md write the full report. With several
backends (--backend memory,bbolt,pebble) the workload runs against each in
turn and the summary shows them side by side. Ctrl-C stops scheduling, lets
in-flight invocations finish and still reports what was measured.

Exit status: 0 ok, 1 runtime error, 2 invalid workload or flags,
3 a threshold of the workload failed.

flags:
`

type runFlags struct {
	backends    string
	sets        listFlag
	duration    time.Duration
	seed        string
	out         string
	html        string
	md          string
	quiet       bool
	count       int
	shard       string
	cpuprofile  string
	timeoutMode string
	guestLog    string
}

func runRun(args []string, stdout, stderr io.Writer) int {
	var f runFlags
	fs := newFlagSet("run", runUsage, stderr)
	fs.StringVar(&f.backends, "backend", "", "comma-separated backends to run against in turn (memory, bbolt, pebble); default: the file's store.backend")
	fs.Var(&f.sets, "set", "override a workload field by dotted path, e.g. scenarios.0.executor.rate=5000/s (repeatable)")
	fs.DurationVar(&f.duration, "duration", 0, "override the measured duration of every scenario")
	fs.StringVar(&f.seed, "seed", "", "override the workload seed")
	fs.StringVar(&f.out, "out", "", "write the JSON result to this file")
	fs.StringVar(&f.html, "html", "", "write the HTML report to this file")
	fs.StringVar(&f.md, "md", "", "write the Markdown summary to this file")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress output")
	fs.IntVar(&f.count, "count", 1, "repeat each run N times (each a run in the report, for compare)")
	fs.StringVar(&f.shard, "shard", "", "run shard i/N of the workload (rates, workers and key spaces split N ways)")
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile of the whole command to this file")
	fs.StringVar(&f.timeoutMode, "timeout-mode", "", "how invocation timeouts are enforced: watchdog (default), context or none")
	fs.StringVar(&f.guestLog, "guest-log", "", "append the flares' log_* lines to this file")
	files, err := parseFlags(fs, args)
	if err != nil {
		return flagError(stderr, err)
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "sparkbench run: no workload file given (see sparkbench help run)")
		return exitUsage
	}
	if f.count < 1 {
		fmt.Fprintln(stderr, "sparkbench run: --count must be >= 1")
		return exitUsage
	}
	if f.duration < 0 {
		fmt.Fprintln(stderr, "sparkbench run: --duration must be positive")
		return exitUsage
	}
	var shard workloads.Shard
	if f.shard != "" {
		if shard, err = workloads.ParseShard(f.shard); err != nil {
			fmt.Fprintf(stderr, "sparkbench run: --shard: %v\n", err)
			return exitUsage
		}
	}
	var backends []string
	if f.backends != "" {
		for _, b := range strings.Split(f.backends, ",") {
			b = strings.TrimSpace(b)
			if !contains(store.Backends(), b) {
				fmt.Fprintf(stderr, "sparkbench run: --backend: unknown backend %q (want %s)\n", b, strings.Join(store.Backends(), ", "))
				return exitUsage
			}
			backends = append(backends, b)
		}
	}
	var overrides []workloads.Override
	for _, s := range f.sets {
		o, err := workloads.ParseOverride(s)
		if err != nil {
			fmt.Fprintf(stderr, "sparkbench run: --set: %v\n", err)
			return exitUsage
		}
		overrides = append(overrides, o)
	}
	if f.seed != "" {
		if _, err := strconv.ParseInt(f.seed, 10, 64); err != nil {
			fmt.Fprintf(stderr, "sparkbench run: --seed %q: want an integer\n", f.seed)
			return exitUsage
		}
		overrides = append(overrides, workloads.Override{Path: "seed", Value: f.seed})
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Validate everything before running anything.
	parsed := make([]*workloads.Workload, len(files))
	for i, file := range files {
		w, err := workloads.ParseFile(file, overrides...)
		if err == nil {
			err = workloads.Check(ctx, w)
		}
		if err != nil {
			fmt.Fprintln(stderr, oneLine(err))
			return exitCodeFor(err)
		}
		parsed[i] = w
	}

	if f.cpuprofile != "" {
		pf, err := os.Create(f.cpuprofile)
		if err != nil {
			fmt.Fprintf(stderr, "sparkbench run: --cpuprofile: %v\n", err)
			return exitUsage
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			fmt.Fprintf(stderr, "sparkbench run: --cpuprofile: %v\n", err)
			return exitRuntime
		}
		defer pprof.StopCPUProfile()
	}
	var guestLog io.Writer
	if f.guestLog != "" {
		lf, err := os.OpenFile(f.guestLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "sparkbench run: --guest-log: %v\n", err)
			return exitUsage
		}
		defer lf.Close()
		guestLog = lf
	}

	var runs []*reports.Run
	fileRuns := make([][]*reports.Run, len(files))
	var runErr error
outer:
	for i, file := range files {
		bs := backends
		if len(bs) == 0 {
			bs = parsed[i].Store.Backends
		}
		if len(bs) == 0 {
			bs = []string{parsed[i].Store.Backend}
		}
		for _, backend := range bs {
			for rep := 0; rep < f.count; rep++ {
				if ctx.Err() != nil {
					break outer
				}
				// A fresh parse per run: sharding and generators keep state.
				w, err := workloads.ParseFile(file, overrides...)
				if err != nil {
					runErr = err
					break outer
				}
				w.ApplyShard(shard)
				if f.duration > 0 {
					w.SetDuration(f.duration)
				}
				pr := newProgressPrinter(stderr, f.quiet, w.Name)
				opts := workloads.RunOptions{Backend: backend, Repeat: rep, Shard: shard, TimeoutMode: f.timeoutMode,
					OnMeasure: pr.start, GuestLog: guestLog, Warn: stderr}
				r, err := workloads.Run(ctx, w, opts)
				pr.wait()
				if err != nil {
					runErr = err
					break outer
				}
				r.Info.Overrides = append([]string(nil), f.sets...) // the workload's identity for compare and merge
				runs = append(runs, r)
				fileRuns[i] = append(fileRuns[i], r)
			}
		}
	}
	if runErr != nil && len(runs) == 0 {
		fmt.Fprintf(stderr, "sparkbench run: %s\n", oneLine(runErr))
		return exitCodeFor(runErr)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "sparkbench run: interrupted; reporting what was measured")
	}

	rep := reports.NewReport(runs...)
	if err := reports.WriteText(stdout, rep); err != nil {
		fmt.Fprintf(stderr, "sparkbench run: summary: %v\n", err)
		return exitRuntime
	}
	for _, o := range []struct {
		path  string
		write func(io.Writer, *reports.Report) error
	}{{f.out, reports.WriteJSON}, {f.html, reports.WriteHTML}, {f.md, reports.WriteMarkdown}} {
		if o.path == "" {
			continue
		}
		if err := writeTo(o.path, stdout, func(w io.Writer) error { return o.write(w, rep) }); err != nil {
			fmt.Fprintf(stderr, "sparkbench run: %v\n", err)
			return exitRuntime
		}
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "sparkbench run: %s\n", oneLine(runErr))
		return exitCodeFor(runErr)
	}
	// Each file's thresholds apply to that file's runs.
	failed := false
	for i, w := range parsed {
		if len(w.Thresholds) == 0 || len(fileRuns[i]) == 0 {
			continue
		}
		res, err := reports.Evaluate(reports.NewReport(fileRuns[i]...), w.Thresholds)
		if err != nil {
			fmt.Fprintf(stderr, "sparkbench run: %s: thresholds: %s\n", w.File, oneLine(err))
			return exitUsage
		}
		fmt.Fprintln(stdout)
		if len(parsed) > 1 {
			fmt.Fprintf(stdout, "thresholds of %s:\n", w.File)
		}
		reports.WriteThresholdsText(stdout, res)
		failed = failed || reports.ThresholdsFailed(res)
	}
	if failed {
		return exitThresholds
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return exitRuntime
	}
	return exitOK
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
