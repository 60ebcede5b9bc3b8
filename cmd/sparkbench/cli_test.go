package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/flares"
	"github.com/sparkbench/sparkbench/reports"
)

var update = flag.Bool("update", false, "rewrite the golden files of the run-side CLI tests")

// timing matches numbers that differ between runs: durations, rates, counts
// with a unit suffix, percentages and bare numbers.
var (
	timing   = regexp.MustCompile(`\d+(\.\d+)?(ns|µs|us|ms|s|m|h|k|M|%)?(/s\b)?`)
	envLine  = regexp.MustCompile(`(?m)^go1\.\S+ \S+, .*$`)
	sha      = regexp.MustCompile(`sha256:[0-9a-f]+`)
	spaces   = regexp.MustCompile(` +`)
	goVer    = regexp.MustCompile(`go1\.\S+`)
	platform = regexp.MustCompile(`linux/\w+|darwin/\w+|windows/\w+`)
)

// mask replaces what changes from run to run (numbers, hashes, versions,
// column padding that depends on them) with stable placeholders.
func mask(s string) string {
	s = sha.ReplaceAllString(s, "HASH")
	s = envLine.ReplaceAllString(s, "ENV")
	s = goVer.ReplaceAllString(s, "GOVERSION")
	s = platform.ReplaceAllString(s, "OS/ARCH")
	s = timing.ReplaceAllString(s, "N")
	return spaces.ReplaceAllString(s, " ")
}

type cliTest struct {
	name   string
	args   []string
	code   int
	masked bool // mask timing numbers before comparing
}

func invoke(args []string) (string, string, int) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "cli", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with go test ./cmd/sparkbench -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (regenerate with -update if intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestCLIGolden(t *testing.T) {
	td := filepath.Join("testdata", "cli")
	f := func(name string) string { return filepath.Join(td, name) }
	cases := []cliTest{
		{name: "noargs", args: nil, code: exitUsage},
		{name: "help", args: []string{"help"}, code: exitOK},
		{name: "help-run", args: []string{"help", "run"}, code: exitOK},
		{name: "help-validate", args: []string{"help", "validate"}, code: exitOK},
		{name: "help-store", args: []string{"help", "store"}, code: exitOK},
		{name: "store-no-dir", args: []string{"store"}, code: exitUsage},
		{name: "store-not-a-store", args: []string{"store", td}, code: exitUsage},
		{name: "unknown-command", args: []string{"bench"}, code: exitUsage},
		{name: "validate-ok", args: []string{"validate", f("ok.yaml")}, code: exitOK},
		{name: "validate-unknown-field", args: []string{"validate", f("unknown-field.yaml")}, code: exitUsage},
		{name: "validate-bad-type", args: []string{"validate", f("bad-type.yaml")}, code: exitUsage},
		{name: "validate-negative-rate", args: []string{"validate", f("negative-rate.yaml")}, code: exitUsage},
		{name: "validate-unknown-dist", args: []string{"validate", f("unknown-dist.yaml")}, code: exitUsage},
		{name: "validate-unknown-executor", args: []string{"validate", f("unknown-executor.yaml")}, code: exitUsage},
		{name: "validate-bad-size", args: []string{"validate", f("bad-size.yaml")}, code: exitUsage},
		{name: "validate-bad-duration", args: []string{"validate", f("bad-duration.yaml")}, code: exitUsage},
		{name: "validate-unknown-node", args: []string{"validate", f("unknown-node.yaml")}, code: exitUsage},
		{name: "validate-missing-flare", args: []string{"validate", f("missing-flare.yaml")}, code: exitUsage},
		{name: "validate-bad-module", args: []string{"validate", f("bad-module.yaml")}, code: exitUsage},
		{name: "validate-unknown-import", args: []string{"validate", f("unknown-import.yaml")}, code: exitUsage},
		{name: "validate-capability", args: []string{"validate", f("capability.yaml")}, code: exitUsage},
		{name: "validate-bad-threshold", args: []string{"validate", f("bad-threshold.yaml")}, code: exitUsage},
		{name: "validate-two-bad-flares", args: []string{"validate", f("two-bad-flares.yaml")}, code: exitUsage},
		{name: "validate-bad-checks", args: []string{"validate", f("bad-checks.yaml")}, code: exitUsage},
		{name: "run-bad-checks", args: []string{"run", "--quiet", f("bad-checks.yaml")}, code: exitUsage},
		{name: "validate-missing-file", args: []string{"validate", f("nope.yaml")}, code: exitUsage},
		{name: "validate-set", args: []string{"validate", "--set", "scenarios.0.executor.rate=0/s", f("ok.yaml")}, code: exitUsage},
		{name: "run-no-file", args: []string{"run", "--quiet"}, code: exitUsage},
		{name: "run-bad-backend", args: []string{"run", "--backend", "memory,rocksdb", f("ok.yaml")}, code: exitUsage},
		{name: "run-bad-set", args: []string{"run", "--set", "novalue", f("ok.yaml")}, code: exitUsage},
		{name: "run-bad-shard", args: []string{"run", "--shard", "3/3", f("ok.yaml")}, code: exitUsage},
		{name: "run-bad-flag", args: []string{"run", "--bogus", f("ok.yaml")}, code: exitUsage},
		{name: "run-invalid-file", args: []string{"run", f("capability.yaml")}, code: exitUsage},
		{name: "run-bad-timeout-mode", args: []string{"run", "--quiet", "--timeout-mode", "eager", f("ok.yaml")}, code: exitRuntime},
		{name: "flares-unknown", args: []string{"flares", "nope"}, code: exitUsage},
		{name: "inspect-unknown-import", args: []string{"inspect", f("unknownimport.wasm")}, code: exitRuntime},
		{name: "inspect-notwasm", args: []string{"inspect", f("notwasm.wasm")}, code: exitUsage},
		{name: "version", args: []string{"version"}, code: exitOK, masked: true},
		{name: "run-ok", args: []string{"run", "--quiet", f("ok.yaml")}, code: exitOK, masked: true},
		{name: "run-show-responses", args: []string{"run", "--quiet", "--show-responses", "1", f("responses.yaml")}, code: exitOK, masked: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := invoke(c.args)
			if code != c.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, stdout, stderr)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("stderr has a panic:\n%s", stderr)
			}
			if c.code == exitUsage && len(c.args) > 0 && c.args[0] == "validate" {
				// One line per error, each naming the file (validate
				// reports every error of a file).
				for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
					if !strings.HasPrefix(line, "testdata/cli/") && !strings.HasPrefix(line, "sparkbench validate:") {
						t.Errorf("config error line does not name the file: %q", line)
					}
				}
			}
			if c.masked {
				stdout, stderr = mask(stdout), mask(stderr)
			}
			out := "exit " + strconv.Itoa(code) + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr
			golden(t, c.name, out)
		})
	}
}

// TestRunJSONAndThresholds runs a tiny workload end to end through run(),
// checks the JSON result, then fails a threshold on purpose.
func TestRunJSONAndThresholds(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "result.json")
	md := filepath.Join(dir, "result.md")
	html := filepath.Join(dir, "result.html")
	ok := filepath.Join("testdata", "cli", "ok.yaml")
	stdout, stderr, code := invoke([]string{"run", ok, "--quiet", "--backend", "memory,bbolt", "--seed", "3", "--out", out, "--md", md, "--html", html, "--duration", "500ms"})
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if stderr != "" {
		t.Errorf("--quiet run wrote to stderr:\n%s", stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := reports.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 2 || rep.Runs[0].Info.Backend != "memory" || rep.Runs[1].Info.Backend != "bbolt" {
		t.Fatalf("runs: %d", len(rep.Runs))
	}
	for _, r := range rep.Runs {
		if r.Info.Seed != 3 || r.Info.TimerOverhead <= 0 || r.Info.FileSHA256 == "" {
			t.Errorf("info: %+v", r.Info)
		}
		// 200/s for 500ms plus 100 closed iterations; on a loaded machine
		// some open-loop starts may be dropped, but they add up.
		if n := r.Op(reports.OpInvocation).Count() + r.Starts().Dropped; n != 200 {
			t.Errorf("%s: %d invocations + dropped starts, want 200", r.Info.Backend, n)
		}
	}
	for _, p := range []string{md, html} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s not written: %v", p, err)
		}
	}
	if !strings.Contains(stdout, "memory") || !strings.Contains(stdout, "bbolt") || !strings.Contains(stdout, "limit_violations") {
		t.Errorf("summary lacks backends or thresholds:\n%s", stdout)
	}

	stdout, stderr, code = invoke([]string{"run", ok, "--quiet", "--duration", "300ms", "--set", `thresholds={"invocation.p50": "< 1ns"}`})
	if code != exitThresholds {
		t.Errorf("exit %d, want %d (threshold failed)\n%s\n%s", code, exitThresholds, stdout, stderr)
	}
	if !strings.Contains(stdout, "FAIL") {
		t.Errorf("no FAIL line:\n%s", stdout)
	}
}

// TestRunCountAndShard: --count repeats runs; --shard records the shard.
func TestRunCountAndShard(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	_, stderr, code := invoke([]string{"run", "--quiet", "--count", "2", "--shard", "1/2", "--duration", "300ms", "--out", out, filepath.Join("testdata", "cli", "ok.yaml")})
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(out)
	rep, err := reports.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 2 || rep.Runs[1].Info.Repeat != 1 || rep.Runs[0].Info.Shard != "1/2" {
		t.Fatalf("runs: %d, info %+v", len(rep.Runs), rep.Runs[0].Info)
	}
	// shard 1 of 2: 100/s of the 200/s, 50 of the 100 closed iterations.
	if n := rep.Runs[0].Op(reports.OpInvocation).Count() + rep.Runs[0].Starts().Dropped; n != 80 {
		t.Errorf("shard ran %d invocations + dropped starts, want 80", n)
	}
}

// TestPlainProgress: on a non-terminal, progress is plain lines with no
// escape codes.
func TestPlainProgress(t *testing.T) {
	old := plainEvery
	plainEvery = 200 * time.Millisecond
	defer func() { plainEvery = old }()
	_, stderr, code := invoke([]string{"run", "--duration", "700ms", filepath.Join("testdata", "cli", "ok.yaml")})
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, "\x1b") || strings.Contains(stderr, "\r") {
		t.Errorf("escape codes in plain progress: %q", stderr)
	}
	if !strings.Contains(stderr, "hits: ") || !strings.Contains(stderr, "hits done:") {
		t.Errorf("no progress lines:\n%s", stderr)
	}
}

// TestInterruptReportsPartial: SIGINT during the measured phase stops the
// run gracefully; what was measured is still reported (exit 1). The signal
// is sent once the first progress line shows the measured phase running:
// Ctrl-C during validation or loading stops the run before any report.
func TestInterruptReportsPartial(t *testing.T) {
	old := plainEvery
	plainEvery = 100 * time.Millisecond
	defer func() { plainEvery = old }()
	out := filepath.Join(t.TempDir(), "r.json")
	stderr := &watchWriter{match: "hits: ", seen: make(chan struct{})}
	var signaled time.Time
	go func() {
		select {
		case <-stderr.seen:
		case <-time.After(60 * time.Second):
		}
		time.Sleep(300 * time.Millisecond)
		signaled = time.Now()
		syscall.Kill(os.Getpid(), syscall.SIGINT)
	}()
	var stdout bytes.Buffer
	code := run([]string{"run", "--duration", "20s", "--out", out, filepath.Join("testdata", "cli", "ok.yaml")}, &stdout, stderr)
	if el := time.Since(signaled); el > 8*time.Second {
		t.Errorf("interrupted run took %v after the signal", el)
	}
	if code != exitRuntime || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	var doc map[string]any
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &doc); err != nil || !strings.Contains(stdout.String(), "latency") {
		t.Errorf("no partial report: %v\n%s", err, stdout.String())
	}
}

// watchWriter is a buffer safe for concurrent use that closes seen when
// what was written first contains match.
type watchWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	match string
	seen  chan struct{}
	done  bool
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if !w.done && strings.Contains(w.buf.String(), w.match) {
		w.done = true
		close(w.seen)
	}
	return n, err
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestRunTwoFiles: each file's thresholds are checked on its own runs.
func TestRunTwoFiles(t *testing.T) {
	dir := t.TempDir()
	strict := filepath.Join(dir, "strict.yaml")
	src, _ := os.ReadFile(filepath.Join("testdata", "cli", "ok.yaml"))
	os.WriteFile(strict, []byte(strings.Replace(string(src), `"limit_violations": "== 0"`, `"invocation.p50": "< 1ns"`, 1)), 0o644)
	stdout, stderr, code := invoke([]string{"run", "--quiet", "--duration", "300ms", filepath.Join("testdata", "cli", "ok.yaml"), strict})
	if code != exitThresholds {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitThresholds, stdout, stderr)
	}
	if !strings.Contains(stdout, "ok   limit_violations") || !strings.Contains(stdout, "FAIL invocation.p50") || strings.Contains(stdout, "FAIL limit_violations") {
		t.Errorf("thresholds not per file:\n%s", stdout)
	}
}

// TestFlaresAndInspect checks the listing against the flares catalog (not a
// golden file: the catalog's wording belongs to the flares package).
func TestFlaresAndInspect(t *testing.T) {
	stdout, _, code := invoke([]string{"flares"})
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, n := range flares.Names() {
		f, _ := flares.Info(n)
		if !strings.Contains(stdout, "builtin:"+n) || !strings.Contains(stdout, f.Summary) {
			t.Errorf("flares lacks %s", n)
		}
		for _, p := range f.Params {
			if !strings.Contains(stdout, p.Where+" "+p.Name) {
				t.Errorf("flares lacks %s param %s", n, p.Name)
			}
		}
		out, errOut, code := invoke([]string{"inspect", "builtin:" + n})
		if code != exitOK || !strings.Contains(out, "runnable: yes") || !strings.Contains(out, "func    handle_request") {
			t.Errorf("inspect builtin:%s: exit %d\n%s%s", n, code, out, errOut)
		}
		listing, _, _ := invoke([]string{"flares", n})
		if strings.Contains(listing, "writes Spark") != strings.Contains(out, "spark: writes") {
			t.Errorf("flares and inspect disagree on whether builtin:%s writes Spark:\n%s\n%s", n, listing, out)
		}
	}
}
