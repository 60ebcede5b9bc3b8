package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparkbench/sparkbench/reports"
)

var updateCLI = flag.Bool("update-cli", false, "rewrite golden files of the compare/merge/report CLI tests")

// The JSON inputs under testdata/{compare,merge,report} are copies of
// reports/testdata files (go test ./reports -update regenerates those).

func goldenCLI(t *testing.T, path string, got []byte) {
	t.Helper()
	if *updateCLI {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update-cli)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden:\n%s", path, got)
	}
}

type cliCase struct {
	name   string
	args   []string
	code   int
	golden string // stdout golden file, if any
	stderr string // substring expected on stderr
}

func runCLI(t *testing.T, fn func([]string, *bytes.Buffer, *bytes.Buffer) int, tc cliCase) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := fn(tc.args, &out, &errb)
	if code != tc.code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out.String(), errb.String())
	}
	if tc.stderr != "" && !strings.Contains(errb.String(), tc.stderr) {
		t.Fatalf("stderr %q does not contain %q", errb.String(), tc.stderr)
	}
	if strings.Contains(errb.String(), "goroutine ") {
		t.Fatalf("panic trace on stderr: %s", errb.String())
	}
	if tc.golden != "" {
		goldenCLI(t, tc.golden, out.Bytes())
	}
	return out.String(), errb.String()
}

func compareFn(a []string, o, e *bytes.Buffer) int { return runCompare(a, o, e) }
func mergeFn(a []string, o, e *bytes.Buffer) int   { return runMerge(a, o, e) }
func reportFn(a []string, o, e *bytes.Buffer) int  { return runReport(a, o, e) }

func TestCompareCLI(t *testing.T) {
	d := "testdata/compare/"
	for _, tc := range []cliCase{
		{name: "regression", args: []string{d + "compare_base.json", d + "compare_new.json"}, code: 4, golden: d + "regression.txt"},
		{name: "flags after args", args: []string{d + "compare_base.json", d + "compare_new.json", "--threshold", "50%"}, code: 0},
		{name: "markdown", args: []string{"--format", "markdown", d + "compare_base.json", d + "compare_new.json"}, code: 4, golden: d + "regression.md"},
		{name: "same", args: []string{d + "compare_base.json", d + "compare_same.json"}, code: 0},
		{name: "glob and list", args: []string{d + "compare_b*.json", d + "compare_new.json," + d + "compare_new.json"}, code: 4},
		{name: "single run not tested", args: []string{"testdata/report/result.json", d + "merged_shards.json"}, code: 0, golden: d + "single.txt"},
		{name: "single run gate", args: []string{"--single-run-threshold", "1%", "testdata/report/result.json", d + "merged_shards.json"}, code: 4},
		{name: "unmerged shards", args: []string{"testdata/merge/shard1.json", "testdata/merge/shard2.json"}, code: 2, stderr: "merge the shards first"},
		{name: "usage", args: []string{d + "compare_base.json"}, code: 2, stderr: "usage: sparkbench compare"},
		{name: "bad threshold", args: []string{"--threshold", "lots", "a", "b"}, code: 2, stderr: "--threshold"},
		{name: "bad flag", args: []string{"--nope", "a", "b"}, code: 2, stderr: "nope"},
		{name: "missing file", args: []string{d + "absent.json", d + "compare_new.json"}, code: 1, stderr: "absent.json"},
		{name: "not a result", args: []string{d + "regression.txt", d + "compare_new.json"}, code: 2, stderr: "regression.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) { runCLI(t, compareFn, tc) })
	}
}

func TestMergeCLI(t *testing.T) {
	d := "testdata/merge/"
	out := filepath.Join(t.TempDir(), "merged.json")
	runCLI(t, mergeFn, cliCase{args: []string{out, d + "shard1.json", d + "shard2.json"}, code: 0})
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	merged, err := reports.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	// The merged percentiles equal those of one histogram fed every sample:
	// here, the sum of the shards' histograms bucket by bucket.
	var shards []*reports.Report
	for _, p := range []string{d + "shard1.json", d + "shard2.json"} {
		g, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := reports.ReadJSON(g)
		g.Close()
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, rep)
	}
	if len(merged.Runs) != 1 || merged.Runs[0].Info.Shard != "merged 0/2,1/2" {
		t.Fatalf("runs %d shard %q", len(merged.Runs), merged.Runs[0].Info.Shard)
	}
	for _, op := range []reports.Op{reports.OpSparkGet, reports.OpSparkSet, reports.OpInvocation} {
		all := reports.NewHist()
		for _, s := range shards {
			all.Merge(s.Runs[0].Op(op))
		}
		got := merged.Runs[0].Op(op)
		if !got.Equal(all) || got.Quantile(.99) != all.Quantile(.99) {
			t.Errorf("%v: merged differs", op)
		}
	}
	for _, tc := range []cliCase{
		{name: "usage", args: []string{out}, code: 2, stderr: "usage: sparkbench merge"},
		{name: "same shard twice", args: []string{out, d + "shard1.json", d + "shard1.json"}, code: 2, stderr: "shard 0/2 appears twice"},
		{name: "mismatched workloads", args: []string{out, d + "shard1.json", "testdata/compare/compare_base.json"}, code: 2, stderr: "does not match"},
		{name: "unwritable", args: []string{filepath.Join(t.TempDir(), "no", "such", "dir.json"), d + "shard1.json"}, code: 1, stderr: "no such"},
	} {
		t.Run(tc.name, func(t *testing.T) { runCLI(t, mergeFn, tc) })
	}
}

func TestReportCLI(t *testing.T) {
	d := "testdata/report/"
	dir := t.TempDir()
	html, md, hg := filepath.Join(dir, "r.html"), filepath.Join(dir, "r.md"), filepath.Join(dir, "hgrm")
	runCLI(t, reportFn, cliCase{args: []string{d + "result.json", "--html", html, "--md", md, "--hgrm", hg}, code: 0, golden: d + "summary.txt"})
	for _, p := range []string{html, md, filepath.Join(hg, "bbolt_limiter_edge-fra_spark_set.hgrm")} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	// --threshold stores the results: a re-render shows them, exit 0.
	saved := filepath.Join(dir, "with-thresholds.json")
	runCLI(t, reportFn, cliCase{args: []string{d + "result.json", "--json", saved, "--threshold", "limit_violations=== 0"}, code: 3})
	if out, _ := runCLI(t, reportFn, cliCase{args: []string{saved}, code: 0}); !strings.Contains(out, "FAIL limit_violations == 0 (memory): 3") {
		t.Errorf("stored thresholds not shown:\n%s", out)
	}
	for _, tc := range []cliCase{
		{name: "bench", args: []string{"--bench", d + "result.json"}, code: 0, golden: d + "bench.txt"},
		{name: "thresholds pass", args: []string{d + "result.json", "--threshold", "spark_get.p99=< 20us", "--threshold", "dropped=< 100"}, code: 0},
		{name: "thresholds fail", args: []string{d + "result.json", "--threshold", "spark_set.p99=< 100us", "--threshold", "limit_violations=== 0"}, code: 3, golden: d + "thresholds_fail.txt"},
		{name: "bad threshold", args: []string{d + "result.json", "--threshold", "spark_get.p99=fast"}, code: 2, stderr: `"spark_get.p99"`},
		{name: "threshold syntax", args: []string{d + "result.json", "--threshold", "nope"}, code: 2, stderr: "KEY=EXPR"},
		{name: "usage", args: nil, code: 2, stderr: "usage: sparkbench report"},
		{name: "several files side by side", args: []string{"testdata/merge/shard1.json", "testdata/compare/compare_base.json"}, code: 0, golden: d + "two_files.txt"},
		{name: "missing", args: []string{d + "absent.json"}, code: 1, stderr: "absent.json"},
	} {
		t.Run(tc.name, func(t *testing.T) { runCLI(t, reportFn, tc) })
	}
}
