package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sparkbench/sparkbench/internal/safefile"
	"github.com/sparkbench/sparkbench/reports"
)

const abUsage = `usage: sparkbench ab [flags] WORKLOAD

Runs two sides of a comparison in alternation, one run of each per pair,
and compares them pair by pair: whatever drifts on the machine while the
session runs (other jobs, thermal state, the page cache) hits both sides of
a pair alike and cancels out. Each run is a child process
'BIN run --quiet --count 1 --out FILE' of the side's binary, so the base
side can be an older sparkbench (the CI case: the merge base's build).

The sides are the same unless told otherwise:
  two builds:          --base-bin ../base/sparkbench   (new: this binary)
  two configurations:  --new-set origin.latency.mean=5.5ms, --new-file,
                       --new-backend (and the --base-* counterparts)
--set, --backend, --duration, --seed and --timeout-mode apply to both.
Sides that differ in anything but the binary make a configuration
comparison; otherwise both must run the same workload.

The order within each pair is random (--order random, the default, seeded
by --order-seed), which makes the paired test exact; --order alternate runs
base first in odd pairs and new first in even ones. --out writes every run
in one result (sparkbench compare AB.json analyses it again); the
comparison is printed as by sparkbench compare, whose flags apply.

Ctrl-C stops the session: the running child is stopped, its pair dropped,
and the pairs that finished are written and compared (exit 1).

Exit status: 0 no regression, 1 a run failed or the session was
interrupted, 2 usage error, 4 regression.

flags:
`

// maxWorkloadBytes is the workload file size the parser accepts.
const maxWorkloadBytes = 8 << 20

// abSide is what defines one side of an A/B session.
type abSide struct {
	name     string // reports.SideBase or SideNew
	bin      string
	file     string
	sets     listFlag
	backends string
}

// args is the side's run command line (after the binary).
func (s *abSide) args(common []string, out string) []string {
	a := []string{"run", "--quiet", "--count", "1", "--out", out}
	if s.backends != "" {
		a = append(a, "--backend", s.backends)
	}
	for _, set := range s.sets {
		a = append(a, "--set", set)
	}
	a = append(a, common...)
	return append(a, "--", s.file)
}

// variant describes the side for the result and messages.
func (s *abSide) variant(common []string) string {
	return strings.Join(append([]string{s.bin}, s.args(common, "OUT")...), " ")
}

func runAB(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ab", abUsage, stderr)
	base := abSide{name: reports.SideBase}
	nw := abSide{name: reports.SideNew}
	var sets listFlag
	pairs := fs.Int("pairs", 10, "number of pairs (one run of each side per pair)")
	fs.StringVar(&base.bin, "base-bin", "", "sparkbench binary of the base side (default: this one)")
	fs.StringVar(&nw.bin, "new-bin", "", "sparkbench binary of the new side (default: this one)")
	fs.StringVar(&base.file, "base-file", "", "workload file of the base side (default: WORKLOAD)")
	fs.StringVar(&nw.file, "new-file", "", "workload file of the new side (default: WORKLOAD)")
	fs.Var(&sets, "set", "override a workload field on both sides (repeatable)")
	fs.Var(&base.sets, "base-set", "override a workload field on the base side only (repeatable)")
	fs.Var(&nw.sets, "new-set", "override a workload field on the new side only (repeatable)")
	backends := fs.String("backend", "", "backends for both sides (comma-separated)")
	fs.StringVar(&base.backends, "base-backend", "", "backends of the base side")
	fs.StringVar(&nw.backends, "new-backend", "", "backends of the new side")
	duration := fs.Duration("duration", 0, "override the measured duration of every scenario (both sides)")
	seed := fs.String("seed", "", "override the workload seed (both sides)")
	timeoutMode := fs.String("timeout-mode", "", "timeout enforcement of both sides (watchdog, context or none)")
	order := fs.String("order", "random", "order within each pair: random or alternate")
	orderSeed := fs.Uint64("order-seed", 0, "seed of the random order (default: from the clock; printed)")
	out := fs.String("out", "", "write every run of both sides, with their pairs, to this JSON result")
	keep := fs.String("keep", "", "keep each run's result file in this directory")
	quiet := fs.Bool("quiet", false, "no progress lines")
	var cf compareFlags
	cf.register(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return flagError(stderr, err)
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "sparkbench ab: "+format+"\n", a...)
		return exitUsage
	}
	if len(pos) > 1 {
		return usage("want one workload file, got %d (see sparkbench help ab)", len(pos))
	}
	for _, s := range []*abSide{&base, &nw} {
		if s.file == "" {
			if len(pos) == 0 {
				return usage("no workload file given (see sparkbench help ab)")
			}
			s.file = pos[0]
		}
		if s.backends == "" {
			s.backends = *backends
		}
		s.sets = append(append(listFlag(nil), sets...), s.sets...)
	}
	if *pairs < 1 || *pairs > reports.MaxRuns/2 {
		return usage("--pairs %d: want 1 to %d", *pairs, reports.MaxRuns/2)
	}
	if *duration < 0 {
		return usage("--duration must be positive")
	}
	if *order != "random" && *order != "alternate" {
		return usage("--order %q: want random or alternate", *order)
	}
	if *seed != "" {
		if _, err := strconv.ParseInt(*seed, 10, 64); err != nil {
			return usage("--seed %q: want an integer", *seed)
		}
	}
	opts, err := cf.options()
	if err != nil {
		return usageError(stderr, "ab", err)
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "sparkbench ab: cannot find this binary: %v\n", err)
		return exitRuntime
	}
	for _, s := range []*abSide{&base, &nw} {
		if s.bin == "" {
			s.bin = self
		}
		if _, err := exec.LookPath(s.bin); err != nil {
			return usage("--%s-bin %s: %v", s.name, s.bin, unwrapExec(err))
		}
		if fi, err := os.Stat(s.file); err != nil || !fi.Mode().IsRegular() {
			return usage("%s side: workload file %s: not a readable regular file", s.name, s.file)
		}
	}
	var common []string
	if *duration > 0 {
		common = append(common, "--duration", duration.String())
	}
	if *seed != "" {
		common = append(common, "--seed", *seed)
	}
	if *timeoutMode != "" {
		common = append(common, "--timeout-mode", *timeoutMode)
	}
	// A configuration comparison when the sides run anything but the
	// same workload the same way; only the binaries may differ otherwise.
	config := !sameFile(base.file, nw.file) || strings.Join(base.sets, "\x00") != strings.Join(nw.sets, "\x00") || base.backends != nw.backends
	opts.Config = config

	dir := *keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "sparkbench-ab-"); err != nil {
			fmt.Fprintf(stderr, "sparkbench ab: %v\n", err)
			return exitRuntime
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "sparkbench ab: --keep: %v\n", err)
		return exitUsage
	}
	if *orderSeed == 0 {
		*orderSeed = uint64(time.Now().UnixNano())
	}
	rng := rand.New(rand.NewPCG(*orderSeed, 0x5eed))
	session := newSessionID()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	progress := io.Writer(stderr)
	if *quiet {
		progress = io.Discard
	}
	kind := "same workload, builds compared"
	if config {
		kind = "configuration comparison"
	}
	fmt.Fprintf(progress, "ab: session %s, %d pairs, %s, order %s (--order-seed %d)\n  base: %s\n  new:  %s\n",
		session, *pairs, kind, *order, *orderSeed, base.variant(common), nw.variant(common))

	combined := &reports.Report{Schema: reports.SchemaVersion, Env: reports.CurrentEnv()}
	var runErr error
	runErrCode := exitRuntime
	interrupted := false
	complete := 0
pairs:
	for p := 1; p <= *pairs; p++ {
		first, second := &base, &nw
		if (*order == "random" && rng.IntN(2) == 1) || (*order == "alternate" && p%2 == 0) {
			first, second = second, first
		}
		var pairRuns []*reports.Run
		var line strings.Builder
		fmt.Fprintf(&line, "ab: pair %d/%d:", p, *pairs)
		for slot, s := range []*abSide{first, second} {
			path := filepath.Join(dir, fmt.Sprintf("pair-%03d-%s.json", p, s.name))
			start := time.Now()
			rep, code, err := runChild(ctx, s, common, path)
			if ctx.Err() != nil {
				interrupted = true
				break pairs
			}
			if err != nil {
				runErr, runErrCode = fmt.Errorf("pair %d, %s side: %w", p, s.name, err), code
				break pairs
			}
			build := rep.Env.Build
			if build == "" {
				build = rep.Env.Version
			}
			for _, r := range rep.Runs {
				// Older builds do not record their overrides; ab knows them.
				r.Info.Overrides = append([]string(nil), s.sets...)
				r.Info.AB = &reports.ABInfo{Session: session, Side: s.name, Pair: p, First: slot == 0, Config: config, Variant: s.variant(common), Build: build}
				pairRuns = append(pairRuns, r)
			}
			fmt.Fprintf(&line, " %s %.1fs", s.name, time.Since(start).Seconds())
		}
		// Base before new in the result, whichever ran first (ABInfo.First
		// says that).
		sort.SliceStable(pairRuns, func(i, j int) bool {
			return pairRuns[i].Info.AB.Side == reports.SideBase && pairRuns[j].Info.AB.Side != reports.SideBase
		})
		combined.Runs = append(combined.Runs, pairRuns...)
		complete++
		fmt.Fprintln(progress, line.String())
	}
	if interrupted {
		fmt.Fprintf(stderr, "sparkbench ab: interrupted; %d complete pair(s) kept\n", complete)
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "sparkbench ab: %s\n", oneLine(runErr))
	}
	if complete == 0 {
		if runErr != nil {
			return runErrCode
		}
		return exitRuntime
	}
	if *out != "" {
		if err := writeFileWith(*out, func(w io.Writer) error { return reports.WriteJSON(w, combined) }); err != nil {
			fmt.Fprintf(stderr, "sparkbench ab: %v\n", err)
			return exitRuntime
		}
	}
	bs, ns, err := reports.SplitSides(combined)
	if err == nil {
		var c *reports.Comparison
		if c, err = reports.Compare(bs, ns, opts); err == nil {
			err = cf.write(stdout, c)
			if err == nil && runErr == nil && !interrupted && c.Regressions() > 0 {
				return exitRegression
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "sparkbench ab: %s\n", oneLine(err))
		if runErr == nil && !interrupted {
			if errors.Is(err, reports.ErrCompare) {
				return exitUsage
			}
			return exitRuntime
		}
	}
	if runErr != nil {
		return runErrCode
	}
	if interrupted {
		return exitRuntime
	}
	return exitOK
}

// runChild runs one side's run as a child process and reads its result. A
// child that exits 3 (its workload's thresholds failed) still measured a
// whole run; any other failure is returned with the exit code ab should
// give (2 for the child's usage errors, else 1) and the child's last
// message.
func runChild(ctx context.Context, s *abSide, common []string, out string) (*reports.Report, int, error) {
	cmd := exec.CommandContext(ctx, s.bin, s.args(common, out)...)
	cmd.Stdout = io.Discard
	var errBuf tailBuffer
	cmd.Stderr = &errBuf
	// Stop the child as Ctrl-C would (it then reports and exits); kill it
	// if it has not exited within a few seconds.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		return nil, exitRuntime, fmt.Errorf("%s: %v", s.bin, unwrapExec(err))
	}
	if code != exitOK && code != exitThresholds {
		msg := errBuf.lastLine()
		if msg == "" {
			msg = "no message"
		}
		ret := exitRuntime
		if code == exitUsage {
			ret = exitUsage
		}
		return nil, ret, fmt.Errorf("%s run exited %d: %s", filepath.Base(s.bin), code, msg)
	}
	rep, err := reports.ReadFile(out)
	if err != nil {
		return nil, exitRuntime, fmt.Errorf("reading its result: %w", err)
	}
	if len(rep.Runs) == 0 {
		return nil, exitRuntime, fmt.Errorf("%s wrote no run", out)
	}
	return rep, exitOK, nil
}

// tailBuffer keeps the last 64 KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if over := len(t.b) - 64<<10; over > 0 {
		t.b = t.b[over:]
	}
	return len(p), nil
}

func (t *tailBuffer) lastLine() string {
	lines := bytes.Split(bytes.TrimSpace(t.b), []byte("\n"))
	return string(bytes.TrimSpace(lines[len(lines)-1]))
}

func unwrapExec(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// sameFile reports whether two workload files hold the same bytes (the
// base side may name the merge base's copy of an unchanged file).
func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	da, errA := safefile.ReadFile(a, maxWorkloadBytes)
	db, errB := safefile.ReadFile(b, maxWorkloadBytes)
	return errA == nil && errB == nil && bytes.Equal(da, db)
}

// newSessionID names an A/B session: its start time and a random suffix.
func newSessionID() string {
	var b [3]byte
	_, _ = crand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}
