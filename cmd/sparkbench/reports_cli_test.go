package main

import (
	"bytes"
	"flag"
	"io"
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
	dir := t.TempDir()
	seeded := variant(t, d+"compare_new.json", dir, "seed7.json", func(r *reports.Report) {
		for _, run := range r.Runs {
			run.Info.Seed = 7
		}
	})
	partial := variant(t, "testdata/merge/shard1.json", dir, "partial.json", func(r *reports.Report) {
		r.Runs[0].Info.Shard, r.Runs[0].Info.Partial = "merged 0/2", true
	})
	partialBase := variant(t, "testdata/merge/shard1.json", dir, "partial-base.json", func(r *reports.Report) {
		r.Runs[0].Info.Shard = ""
	})
	html, js, md := filepath.Join(dir, "c.html"), filepath.Join(dir, "c.json"), filepath.Join(dir, "c.md")
	for _, tc := range []cliCase{
		{name: "regression", args: []string{d + "compare_base.json", d + "compare_new.json"}, code: 4, golden: d + "regression.txt"},
		{name: "flags after args", args: []string{d + "compare_base.json", d + "compare_new.json", "--threshold", "50%"}, code: 0},
		{name: "markdown", args: []string{"--format", "markdown", d + "compare_base.json", d + "compare_new.json"}, code: 4, golden: d + "regression.md"},
		{name: "same", args: []string{d + "compare_base.json", d + "compare_same.json"}, code: 0},
		{name: "glob and list", args: []string{d + "compare_b*.json", d + "compare_new.json," + d + "compare_same.json"}, code: 0},
		{name: "v1 base", args: []string{d + "v1_base.json", d + "compare_new.json"}, code: 4},
		{name: "single run not tested", args: []string{"testdata/report/result.json", d + "merged_shards.json"}, code: 0, golden: d + "single.txt"},
		{name: "single run gate", args: []string{"--single-run-threshold", "1%", "testdata/report/result.json", d + "merged_shards.json"}, code: 4},
		{name: "ab result", args: []string{d + "ab_regressed.json", "--html", html, "--json", js, "--md", md}, code: 4, golden: d + "ab_regressed.txt"},
		{name: "ab result as json", args: []string{"--format", "json", d + "ab_regressed.json"}, code: 4, golden: d + "ab_regressed.json.golden"},
		// Without its pairing, the 20% drift between pairs hides the change.
		{name: "ab unpaired", args: []string{"--unpaired", d + "ab_regressed.json"}, code: 0},
		{name: "ab informational only", args: []string{"--metrics", "*.mean", "--threshold", "20%", d + "ab_regressed.json"}, code: 0},
		{name: "metrics matches nothing", args: []string{"--metrics", "spark_gte.p99", d + "ab_regressed.json"}, code: 2, stderr: `--metrics "spark_gte.p99" matches no metric`},
		{name: "not an ab result", args: []string{d + "compare_base.json"}, code: 2, stderr: "not part of an A/B session"},
		{name: "different seeds", args: []string{d + "compare_base.json", seeded}, code: 2, stderr: "base testdata/compare/compare_base.json (run bbolt) and new " + seeded + " (run bbolt) ran different workloads (seed 0 vs 7); to compare two configurations, declare it (compare --config)"},
		{name: "different seeds declared", args: []string{"--config", d + "compare_base.json", seeded}, code: 4},
		{name: "unmerged shards", args: []string{"testdata/merge/shard1.json", "testdata/merge/shard2.json"}, code: 2, stderr: "merge the shards first"},
		{name: "partial", args: []string{partialBase, partial}, code: 2, stderr: "partial.json (run bbolt shard merged 0/2) is a partial merge"},
		{name: "partial allowed", args: []string{"--allow-partial", partialBase, partial}, code: 0},
		{name: "usage", args: []string{}, code: 2, stderr: "usage: sparkbench compare"},
		{name: "bad threshold", args: []string{"--threshold", "lots", "a", "b"}, code: 2, stderr: "--threshold"},
		{name: "bad format", args: []string{"--format", "yaml", "a", "b"}, code: 2, stderr: "--format"},
		{name: "bad flag", args: []string{"--nope", "a", "b"}, code: 2, stderr: "nope"},
		{name: "missing file", args: []string{d + "absent.json", d + "compare_new.json"}, code: 1, stderr: "absent.json"},
		{name: "not a result", args: []string{d + "regression.txt", d + "compare_new.json"}, code: 2, stderr: "regression.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) { runCLI(t, compareFn, tc) })
	}
	page, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(page), `id="forest-gated"`) {
		t.Errorf("--html: %v", err)
	}
	if b, err := os.ReadFile(js); err != nil || !strings.Contains(string(b), `"Schema": "sparkbench.compare/v1"`) {
		t.Errorf("--json: %v", err)
	}
	if b, err := os.ReadFile(md); err != nil || !strings.Contains(string(b), "**REGRESSION**") {
		t.Errorf("--md: %v", err)
	}
}

// variant writes a copy of the result at src, changed by fn, as name in dir.
func variant(t *testing.T, src, dir, name string, fn func(*reports.Report)) string {
	t.Helper()
	rep, err := reports.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	fn(rep)
	path := filepath.Join(dir, name)
	if err := writeFileWith(path, func(w io.Writer) error { return reports.WriteJSON(w, rep) }); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMergeCLI(t *testing.T) {
	d := "testdata/merge/"
	out := filepath.Join(t.TempDir(), "merged.json")
	runCLI(t, mergeFn, cliCase{args: []string{out, d + "shard1.json", d + "shard2.json"}, code: 0})
	merged, err := reports.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// The merged percentiles equal those of one histogram fed every sample:
	// here, the sum of the shards' histograms bucket by bucket.
	var shards []*reports.Report
	for _, p := range []string{d + "shard1.json", d + "shard2.json"} {
		rep, err := reports.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, rep)
	}
	if len(merged.Runs) != 1 || merged.Runs[0].Info.Shard != "merged 0/2,1/2" || merged.Runs[0].Info.Partial {
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

	dir := t.TempDir()
	copyOf := variant(t, d+"shard1.json", dir, "copy-of-shard1.json", func(*reports.Report) {})
	split3 := variant(t, d+"shard2.json", dir, "split3.json", func(r *reports.Report) { r.Runs[0].Info.Shard = "1/3" })
	otherFile := variant(t, d+"shard2.json", dir, "other-file.json", func(r *reports.Report) { r.Runs[0].Info.FileSHA256 = strings.Repeat("ab", 32) })
	otherSeed := variant(t, d+"shard2.json", dir, "other-seed.json", func(r *reports.Report) { r.Runs[0].Info.Seed = 43 })
	otherSet := variant(t, d+"shard2.json", dir, "other-set.json", func(r *reports.Report) { r.Runs[0].Info.Overrides = []string{"seed=5"} })
	otherBuild := variant(t, d+"shard2.json", dir, "other-build.json", func(r *reports.Report) { r.Env.Build = "sha256:0123456789abcdef" })
	whole := variant(t, d+"shard2.json", dir, "whole.json", func(r *reports.Report) { r.Runs[0].Info.Shard = "" })
	partialOut := filepath.Join(dir, "partial.json")
	for _, tc := range []cliCase{
		{name: "usage", args: []string{out}, code: 2, stderr: "usage: sparkbench merge"},
		{name: "missing shard", args: []string{out, d + "shard1.json"}, code: 2, stderr: "shard 1/2 missing (have 0/2); merge all 2 shards, or pass --allow-partial"},
		{name: "partial allowed", args: []string{"--allow-partial", partialOut, d + "shard1.json"}, code: 0, stderr: "warning: bbolt shard merged 0/2 is partial"},
		{name: "partial merged with the rest", args: []string{filepath.Join(dir, "whole-again.json"), partialOut, d + "shard2.json"}, code: 0},
		{name: "same file twice", args: []string{out, d + "shard1.json", d + "shard1.json"}, code: 2, stderr: "shard1.json is given twice"},
		{name: "same shard twice", args: []string{out, d + "shard1.json", copyOf}, code: 2, stderr: "shard 0/2 of bbolt shard 0/2 appears twice: in testdata/merge/shard1.json and " + copyOf},
		{name: "merged with its own shard", args: []string{filepath.Join(dir, "again.json"), out, d + "shard1.json"}, code: 2, stderr: "appears twice: in " + out + " (merged 0/2,1/2) and testdata/merge/shard1.json"},
		{name: "different splits", args: []string{out, d + "shard1.json", split3}, code: 2, stderr: "(shard 0/2) and " + split3 + " (shard 1/3) are shards of different splits"},
		{name: "shard with a whole run", args: []string{out, d + "shard1.json", whole}, code: 2, stderr: "is not a shard (it ran the whole workload)"},
		{name: "different workload files", args: []string{out, d + "shard1.json", otherFile}, code: 2, stderr: "ran different workloads (workload file sha256"},
		{name: "different seeds", args: []string{out, d + "shard1.json", otherSeed}, code: 2, stderr: "ran different workloads (seed 42 vs 43)"},
		{name: "different overrides", args: []string{out, d + "shard1.json", otherSet}, code: 2, stderr: "ran different workloads (overrides [] vs [seed=5])"},
		{name: "different builds", args: []string{out, d + "shard1.json", otherBuild}, code: 2, stderr: "come from different sparkbench builds"},
		{name: "output is an input", args: []string{copyOf, d + "shard2.json", copyOf}, code: 2, stderr: "is both the output and an input"},
		{name: "unwritable", args: []string{filepath.Join(t.TempDir(), "no", "such", "dir.json"), d + "shard1.json", d + "shard2.json"}, code: 1, stderr: "no such"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr := runCLI(t, mergeFn, tc)
			if tc.code == 2 && tc.name != "usage" {
				if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
					t.Errorf("stderr has %d lines, want one:\n%s", n+1, stderr)
				}
			}
		})
	}
	// The partial merge is refused by compare unless allowed.
	runCLI(t, compareFn, cliCase{args: []string{out, partialOut}, code: 2, stderr: "is a partial merge"})
	runCLI(t, compareFn, cliCase{args: []string{"--allow-partial", out, partialOut}, code: 0})
}

// TestBadResultFiles: results that are truncated, foreign, of another
// schema or out of range get one line naming the file and exit 2 from every
// command that reads results; never a panic.
func TestBadResultFiles(t *testing.T) {
	good, err := os.ReadFile("testdata/merge/shard1.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	replace := func(old, new string) []byte {
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("fixture lacks %q", old)
		}
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "EOF"},
		{"truncated", good[:len(good)/2], "unexpected EOF"},
		{"foreign object", []byte(`{"hello": "world"}`), `unknown field "hello"`},
		{"foreign array", []byte(`[1, 2, 3]`), "cannot unmarshal array"},
		{"null", []byte(`null`), "unsupported result schema"},
		{"other schema", replace(`"sparkbench.report/v2"`, `"sparkbench.report/v9"`), `unsupported result schema: "sparkbench.report/v9"`},
		{"trailing data", append(append([]byte(nil), good...), []byte(`{"Schema": 1}`)...), "data after the result document"},
		{"negative duration", replace(`"Duration": 3000000000`, `"Duration": -3000000000`), "out of range: duration -3s"},
		{"huge duration", replace(`"Duration": 3000000000`, `"Duration": 9000000000000000000`), "out of range: duration"},
		{"negative starts", replace(`"Total": 1200,`, `"Total": -1200,`), "out of range: starts -"},
		{"starts overflow when merged", replace(`"Total": 1200,`, `"Total": 1125899906842625,`), "out of range: starts"},
		{"bad shard", replace(`"Shard": "0/2"`, `"Shard": "2/2"`), `shard "2/2": want i/N`},
		{"bad A/B side", replace(`"Shard": "0/2",`, `"Shard": "0/2", "AB": {"Session": "x", "Side": "left", "Pair": 1, "First": true, "Variant": ""},`), `A/B side "left"`},
		{"corrupt histogram", replace(`"Hist": "HIST`, `"Hist": "HISX`), "bad histogram"},
	}
	for _, tc := range cases {
		p := write(strings.NewReplacer(" ", "-", "/", "").Replace(tc.name)+".json", tc.data)
		for _, args := range [][]string{
			{"compare", p, "testdata/merge/shard2.json"},
			{"merge", filepath.Join(dir, "out.json"), "testdata/merge/shard2.json", p},
			{"report", p},
		} {
			t.Run(tc.name+"/"+args[0], func(t *testing.T) {
				_, stderr, code := invoke(args)
				if code != exitUsage {
					t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr)
				}
				if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 || strings.Contains(stderr, "goroutine ") {
					t.Errorf("stderr has %d lines, want one:\n%s", n+1, stderr)
				}
				if !strings.Contains(stderr, p) || !strings.Contains(stderr, tc.want) {
					t.Errorf("stderr = %q, want the file name and %q", stderr, tc.want)
				}
			})
		}
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
