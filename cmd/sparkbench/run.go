package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/store"
	"github.com/sparkbench/sparkbench/workloads"
	"github.com/sparkbench/sparkbench/workloads/engine"
)

const runUsage = `usage: sparkbench run [flags] FILE...

Runs each workload file: per node a store (a fresh temporary directory unless
store.dir is set), the flares compiled once, preload, warmup, then the
measured phase with every scenario's executor running concurrently. Prints a
terminal summary; --out, --html and --md write the full report, with the
results of the file's thresholds. With several backends (--backend
memory,bbolt,pebble) the workload runs against each in turn and the summary
shows them side by side. Ctrl-C stops scheduling, lets in-flight
invocations finish and still reports what was measured.

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
	responses   int
}

// runCommand is one sparkbench run: its flags and what they parse into.
type runCommand struct {
	f              runFlags
	stdout, stderr io.Writer
	shard          workloads.Shard
	backends       []store.Backend // --backend; none: each file's own
	overrides      []workloads.Override
	timeoutMode    host.TimeoutMode
	guestLog       io.Writer
}

// runRun is sparkbench run, in steps: read the flags, load (parse and
// check) every file once, open the outputs, run each file on each backend
// and repeat, write the reports, then judge each file's thresholds on its
// own runs.
func runRun(args []string, stdout, stderr io.Writer) int {
	c := &runCommand{stdout: stdout, stderr: stderr}
	files, code, ok := c.readFlags(args)
	if !ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	parsed, err := c.load(ctx, files)
	if err != nil {
		printError(stderr, err)
		return exitCodeFor(err)
	}
	closeOutputs, code, ok := c.openOutputs()
	if !ok {
		return code
	}
	defer closeOutputs()
	fileRuns, runErr := c.runAll(ctx, parsed)
	return c.report(ctx, parsed, fileRuns, runErr)
}

// readFlags parses the command line into c. ok is false when the command
// ends here, with code (help, or a usage error already printed).
func (c *runCommand) readFlags(args []string) (files []string, code int, ok bool) {
	f, stderr := &c.f, c.stderr
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
	fs.IntVar(&f.responses, "show-responses", 0, "print (and keep in the JSON) the first N responses of each scenario and the first N of each distinct failure, with their requests")
	files, err := parseFlags(fs, args)
	if err != nil {
		return nil, flagError(stderr, err), false
	}
	usage := func(format string, args ...any) ([]string, int, bool) {
		fmt.Fprintf(stderr, "sparkbench run: "+format+"\n", args...)
		return nil, exitUsage, false
	}
	if len(files) == 0 {
		return usage("no workload file given (see sparkbench help run)")
	}
	if f.count < 1 {
		return usage("--count must be >= 1")
	}
	if f.responses < 0 {
		return usage("--show-responses must be >= 0")
	}
	if f.duration < 0 {
		return usage("--duration must be positive")
	}
	if f.shard != "" {
		if c.shard, err = workloads.ParseShard(f.shard); err != nil {
			return usage("--shard: %v", err)
		}
	}
	if f.backends != "" {
		for _, name := range strings.Split(f.backends, ",") {
			name = strings.TrimSpace(name)
			b, err := store.ParseBackend(name)
			if err != nil {
				return usage("--backend: unknown backend %q (want %s)", name, strings.Join(backendNames(), ", "))
			}
			c.backends = append(c.backends, b)
		}
	}
	for _, s := range f.sets {
		o, err := workloads.ParseOverride(s)
		if err != nil {
			return usage("--set: %v", err)
		}
		c.overrides = append(c.overrides, o)
	}
	if f.seed != "" {
		if _, err := strconv.ParseInt(f.seed, 10, 64); err != nil {
			return usage("--seed %q: want an integer", f.seed)
		}
		c.overrides = append(c.overrides, workloads.Override{Path: "seed", Value: f.seed})
	}
	return files, exitOK, true
}

// load parses and checks every file before anything runs. Each file is
// parsed once: all its runs (backends, repeats, the shard) derive from
// that parse.
func (c *runCommand) load(ctx context.Context, files []string) ([]*workloads.Workload, error) {
	parsed := make([]*workloads.Workload, len(files))
	for i, file := range files {
		w, err := workloads.ParseFile(file, c.overrides...)
		if err == nil {
			err = w.CheckShard(c.shard)
		}
		if err == nil {
			err = engine.Check(ctx, w)
		}
		if err != nil {
			return nil, err
		}
		if c.f.duration > 0 {
			w = w.WithDuration(c.f.duration)
		}
		parsed[i] = w
	}
	return parsed, nil
}

// openOutputs starts the CPU profile, opens the guest log and reads the
// timeout mode. ok is false when the command ends here, with code; else
// closeOutputs stops and closes what was opened.
func (c *runCommand) openOutputs() (closeOutputs func(), code int, ok bool) {
	var closers []func()
	closeOutputs = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	fail := func(code int, format string, args ...any) (func(), int, bool) {
		closeOutputs()
		fmt.Fprintf(c.stderr, "sparkbench run: "+format+"\n", args...)
		return nil, code, false
	}
	if c.f.cpuprofile != "" {
		pf, err := os.Create(c.f.cpuprofile)
		if err != nil {
			return fail(exitUsage, "--cpuprofile: %v", err)
		}
		closers = append(closers, func() { pf.Close() })
		if err := pprof.StartCPUProfile(pf); err != nil {
			return fail(exitRuntime, "--cpuprofile: %v", err)
		}
		closers = append(closers, pprof.StopCPUProfile)
	}
	if c.f.guestLog != "" {
		lf, err := os.OpenFile(c.f.guestLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return fail(exitUsage, "--guest-log: %v", err)
		}
		closers = append(closers, func() { lf.Close() })
		c.guestLog = lf
	}
	tm, err := host.ParseTimeoutMode(c.f.timeoutMode)
	if err != nil {
		return fail(exitCodeFor(err), "%s", oneLine(err))
	}
	c.timeoutMode = tm
	return closeOutputs, exitOK, true
}

// runAll runs every file on each of its backends, --count times each,
// until all have run, one fails or ctx is cancelled. fileRuns[i] are the
// runs of parsed[i], in order.
func (c *runCommand) runAll(ctx context.Context, parsed []*workloads.Workload) (fileRuns [][]*reports.Run, err error) {
	fileRuns = make([][]*reports.Run, len(parsed))
	for i, w := range parsed {
		backends := c.backends
		if len(backends) == 0 {
			backends = w.Store.Backends
		}
		for _, backend := range backends {
			for rep := 0; rep < c.f.count; rep++ {
				if ctx.Err() != nil {
					return fileRuns, nil
				}
				pr := newProgressPrinter(c.stderr, c.f.quiet, w.Name)
				r, err := engine.Run(ctx, w, engine.Options{Backend: backend, Repeat: rep, Shard: c.shard, TimeoutMode: c.timeoutMode,
					OnMeasure: pr.start, GuestLog: c.guestLog, Warn: c.stderr, ShowResponses: c.f.responses})
				pr.wait()
				if err != nil {
					return fileRuns, err
				}
				r.Info.Overrides = append([]string(nil), c.f.sets...) // the workload's identity for compare and merge
				fileRuns[i] = append(fileRuns[i], r)
			}
		}
	}
	return fileRuns, nil
}

// report prints the summary and writes the reports of every run that
// completed, then judges each file's thresholds on that file's runs, and
// returns the exit code.
func (c *runCommand) report(ctx context.Context, parsed []*workloads.Workload, fileRuns [][]*reports.Run, runErr error) int {
	runs := slices.Concat(fileRuns...)
	if runErr != nil && len(runs) == 0 {
		fmt.Fprintf(c.stderr, "sparkbench run: %s\n", oneLine(runErr))
		return exitCodeFor(runErr)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(c.stderr, "sparkbench run: interrupted; reporting what was measured")
	}
	rep := reports.NewReport(runs...)
	var perFile [][]reports.ThresholdResult
	if runErr == nil {
		// Judged before the reports are written, so that --out, --html and
		// --md carry every threshold's outcome.
		var code int
		var ok bool
		if perFile, code, ok = c.evaluateThresholds(parsed, fileRuns); !ok {
			return code
		}
		rep.Thresholds = slices.Concat(perFile...)
	}
	if code, ok := c.writeReports(rep); !ok {
		return code
	}
	if runErr != nil {
		fmt.Fprintf(c.stderr, "sparkbench run: %s\n", oneLine(runErr))
		return exitCodeFor(runErr)
	}
	if c.printThresholds(parsed, perFile) {
		return exitThresholds
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return exitRuntime
	}
	return exitOK
}

// writeReports prints the terminal summary and writes --out, --html and
// --md.
func (c *runCommand) writeReports(rep *reports.Report) (code int, ok bool) {
	if err := reports.WriteText(c.stdout, rep); err != nil {
		fmt.Fprintf(c.stderr, "sparkbench run: summary: %v\n", err)
		return exitRuntime, false
	}
	for _, o := range []struct {
		path  string
		write func(io.Writer, *reports.Report) error
	}{{c.f.out, reports.WriteJSON}, {c.f.html, reports.WriteHTML}, {c.f.md, reports.WriteMarkdown}} {
		if o.path == "" {
			continue
		}
		if err := writeTo(o.path, c.stdout, func(w io.Writer) error { return o.write(w, rep) }); err != nil {
			fmt.Fprintf(c.stderr, "sparkbench run: %v\n", err)
			return exitRuntime, false
		}
	}
	return exitOK, true
}

// evaluateThresholds evaluates each file's thresholds on that file's runs;
// perFile[i] are parsed[i]'s results, each naming its file. ok is false when
// a threshold cannot be evaluated (exit code 2, already printed).
func (c *runCommand) evaluateThresholds(parsed []*workloads.Workload, fileRuns [][]*reports.Run) (perFile [][]reports.ThresholdResult, code int, ok bool) {
	perFile = make([][]reports.ThresholdResult, len(parsed))
	for i, w := range parsed {
		if len(w.Thresholds) == 0 || len(fileRuns[i]) == 0 {
			continue
		}
		res, err := reports.Evaluate(reports.NewReport(fileRuns[i]...), w.Thresholds)
		if err != nil {
			fmt.Fprintf(c.stderr, "sparkbench run: %s: thresholds: %s\n", w.File, oneLine(err))
			return nil, exitUsage, false
		}
		for j := range res {
			res[j].File = w.File
		}
		perFile[i] = res
	}
	return perFile, exitOK, true
}

// printThresholds prints each file's threshold results after the summary
// and reports whether any failed.
func (c *runCommand) printThresholds(parsed []*workloads.Workload, perFile [][]reports.ThresholdResult) (failed bool) {
	for i, res := range perFile {
		if len(res) == 0 {
			continue
		}
		fmt.Fprintln(c.stdout)
		if len(parsed) > 1 {
			fmt.Fprintf(c.stdout, "thresholds of %s:\n", parsed[i].File)
		}
		reports.WriteThresholdsText(c.stdout, res)
		failed = failed || reports.ThresholdsFailed(res)
	}
	return failed
}

func backendNames() []string {
	var names []string
	for _, b := range store.Backends() {
		names = append(names, b.String())
	}
	return names
}
