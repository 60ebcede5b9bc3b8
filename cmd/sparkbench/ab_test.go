package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/reports"
)

// asCLI makes the test binary act as sparkbench itself when
// SPARKBENCH_TEST_AS_CLI=1: sparkbench ab runs its sides as child processes
// of this binary (os.Executable), which then run the real CLI.
const asCLI = "SPARKBENCH_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(asCLI) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// checkABResult checks the shape of an A/B result: every pair once a side, one
// run first in each pair, one session, and returns its runs by side.
func checkABResult(t *testing.T, path string, pairs int, config bool) *reports.Report {
	t.Helper()
	rep, err := reports.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 2*pairs {
		t.Fatalf("%d runs, want %d", len(rep.Runs), 2*pairs)
	}
	seen := map[string]bool{}
	firsts := map[int]int{}
	session := rep.Runs[0].Info.AB.Session
	for _, r := range rep.Runs {
		ab := r.Info.AB
		if ab == nil || ab.Session != session || ab.Config != config || !strings.Contains(ab.Variant, " run --quiet --count 1 --out OUT") || ab.Build == "" {
			t.Fatalf("run %s: AB %+v", r.Name(), ab)
		}
		key := ab.Side + string(rune('0'+ab.Pair))
		if seen[key] || ab.Pair < 1 || ab.Pair > pairs {
			t.Fatalf("run %s: pair %d of side %s twice or out of range", r.Name(), ab.Pair, ab.Side)
		}
		seen[key] = true
		if ab.First {
			firsts[ab.Pair]++
		}
	}
	for p := 1; p <= pairs; p++ {
		if firsts[p] != 1 {
			t.Fatalf("pair %d: %d runs first", p, firsts[p])
		}
	}
	// Pairs in order, base before new in each.
	for i := 0; i+1 < len(rep.Runs); i += 2 {
		b, n := rep.Runs[i].Info.AB, rep.Runs[i+1].Info.AB
		if b.Pair != i/2+1 || n.Pair != b.Pair || b.Side != reports.SideBase || n.Side != reports.SideNew {
			t.Fatalf("runs %d and %d: pair %d %s, pair %d %s", i, i+1, b.Pair, b.Side, n.Pair, n.Side)
		}
	}
	return rep
}

// TestABSameBuild: an A/A session of the real CLI run as child processes;
// the result records the pairs, the comparison is paired, and compare reads
// the result again.
func TestABSameBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs 12 child processes")
	}
	t.Setenv(asCLI, "1")
	dir := t.TempDir()
	out, js, keep := filepath.Join(dir, "ab.json"), filepath.Join(dir, "c.json"), filepath.Join(dir, "runs")
	// --threshold 1000%: whatever the noise, an A/A session must not fail.
	stdout, stderr, code := invoke([]string{"ab", "--pairs", "6", "--duration", "200ms", "--threshold", "1000%",
		"--out", out, "--json", js, "--keep", keep, "--order", "alternate", "testdata/cli/ok.yaml"})
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"ab: session ", "6 pairs, same workload, builds compared, order alternate", "ab: pair 6/6: new"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "compare: 6 pairs (A/B session ") {
		t.Errorf("stdout:\n%s", stdout)
	}
	rep := checkABResult(t, out, 6, false)
	for _, r := range rep.Runs {
		// --order alternate: base first in odd pairs.
		if want := (r.Info.AB.Pair%2 == 1) == (r.Info.AB.Side == reports.SideBase); r.Info.AB.First != want {
			t.Errorf("pair %d %s first=%v", r.Info.AB.Pair, r.Info.AB.Side, r.Info.AB.First)
		}
	}
	var doc struct {
		Method string
		Pairs  []int
		Config bool
	}
	b, err := os.ReadFile(js)
	if err != nil || json.Unmarshal(b, &doc) != nil || doc.Method != "paired" || len(doc.Pairs) != 6 || doc.Config {
		t.Fatalf("--json: %v %+v", err, doc)
	}
	if files, _ := filepath.Glob(filepath.Join(keep, "pair-*.json")); len(files) != 12 {
		t.Errorf("--keep: %d files", len(files))
	}
	if _, stderr, code := invoke([]string{"compare", "--threshold", "1000%", out}); code != exitOK {
		t.Errorf("compare of the A/B result: exit %d: %s", code, stderr)
	}
}

// TestABPlantedRegression: the new side's origin answers in 12 ms instead of
// 2 ms (a shift no load on a shared CI machine hides in 10 pairs): a
// configuration comparison that finds the regression (exit 4).
func TestABPlantedRegression(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs 20 child processes")
	}
	t.Setenv(asCLI, "1")
	out := filepath.Join(t.TempDir(), "ab.json")
	stdout, stderr, code := invoke([]string{"ab", "--pairs", "10", "--duration", "200ms", "--quiet", "--out", out,
		"--new-set", "origin.latency.value=12ms", "testdata/ab/origin.yaml"})
	if code != exitRegression {
		t.Fatalf("exit %d, want 4\n%s\n%s", code, stdout, stderr)
	}
	if stderr != "" {
		t.Errorf("--quiet, yet stderr:\n%s", stderr)
	}
	for _, want := range []string{"configuration comparison", "response.p50", "REGRESSION", "configurations differ (memory): overrides [] vs [origin.latency.value=12ms]"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	rep := checkABResult(t, out, 10, true)
	for _, r := range rep.Runs {
		if got := strings.Join(r.Info.Overrides, " "); (r.Info.AB.Side == reports.SideNew) != (got == "origin.latency.value=12ms") {
			t.Fatalf("%s: overrides %q", r.Name(), got)
		}
	}
}

func TestABUsage(t *testing.T) {
	for _, tc := range []cliCase{
		{name: "no file", args: []string{}, code: 2, stderr: "no workload file given"},
		{name: "two files", args: []string{"a.yaml", "b.yaml"}, code: 2, stderr: "want one workload file"},
		{name: "pairs", args: []string{"--pairs", "0", "testdata/cli/ok.yaml"}, code: 2, stderr: "--pairs 0"},
		{name: "order", args: []string{"--order", "sometimes", "testdata/cli/ok.yaml"}, code: 2, stderr: `--order "sometimes"`},
		{name: "seed", args: []string{"--seed", "x", "testdata/cli/ok.yaml"}, code: 2, stderr: `--seed "x"`},
		{name: "missing base binary", args: []string{"--base-bin", "/nonexistent/sparkbench", "testdata/cli/ok.yaml"}, code: 2, stderr: "--base-bin /nonexistent/sparkbench"},
		{name: "missing workload", args: []string{"--new-file", "absent.yaml", "testdata/cli/ok.yaml"}, code: 2, stderr: "new side: workload file absent.yaml"},
		{name: "bad metrics", args: []string{"--format", "xml", "testdata/cli/ok.yaml"}, code: 2, stderr: "--format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runCLI(t, func(a []string, o, e *bytes.Buffer) int { return runAB(a, o, e) }, tc)
		})
	}
}

// TestABChildFailure: a side whose run fails (here an override the
// workload refuses) stops the session with the child's message and its
// usage exit code, before anything is compared.
func TestABChildFailure(t *testing.T) {
	t.Setenv(asCLI, "1")
	_, stderr, code := invoke([]string{"ab", "--pairs", "3", "--duration", "100ms", "--quiet", "--base-set", "scenarios.0.executor.rate=-5/s", "testdata/cli/ok.yaml"})
	if code != exitUsage || !strings.Contains(stderr, "pair 1, base side:") || !strings.Contains(stderr, "run exited 2") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}

// TestABInterrupt: Ctrl-C (SIGINT to the ab process) stops the running
// child, drops its pair, writes and compares the pairs that finished, exits
// 1, and leaves no child behind.
func TestABInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs child processes")
	}
	dir := t.TempDir()
	out, keep := filepath.Join(dir, "ab.json"), filepath.Join(dir, "runs-"+filepath.Base(dir))
	cmd := exec.Command(os.Args[0], "ab", "--pairs", "50", "--duration", "300ms", "--out", out, "--keep", keep, "testdata/cli/ok.yaml")
	cmd.Env = append(os.Environ(), asCLI+"=1")
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(stderrPipe)
	signalled := false
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if !signalled && strings.HasPrefix(sc.Text(), "ab: pair 2/50:") {
			// Into the third pair's first run, then Ctrl-C.
			time.Sleep(150 * time.Millisecond)
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			signalled = true
		}
	}
	err = cmd.Wait()
	all := strings.Join(lines, "\n")
	var exitErr *exec.ExitError
	if !signalled || err == nil || !errors.As(err, &exitErr) || exitErr.ExitCode() != exitRuntime {
		t.Fatalf("signalled %v, wait: %v\n%s", signalled, err, all)
	}
	if !strings.Contains(all, "interrupted;") || !strings.Contains(all, "complete pair(s) kept") {
		t.Errorf("stderr:\n%s", all)
	}
	rep, err := reports.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	pairs := len(rep.Runs) / 2
	if pairs < 2 || pairs > 3 || len(rep.Runs)%2 != 0 {
		t.Fatalf("%d runs kept, want 2 or 3 whole pairs", len(rep.Runs))
	}
	checkABResult(t, out, pairs, false)
	// No process is left running with the session's directory in its
	// command line.
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), keep) {
			t.Errorf("left behind: %s: %s", p, strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
}
