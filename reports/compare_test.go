package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// synthRun records n spark_get samples drawn from a log-normal distribution
// whose tail (the slowest 5%) is scaled by tail, so p99 moves and p50 does not.
func synthRun(rng *rand.Rand, n int, tail float64) *Run {
	clk := &fakeClock{t: fixtureStart.UnixNano()}
	r := newTestRecorder(Labels{Scenario: "s", Node: "n", Backend: "bbolt"}, fixtureStart, clk.now)
	for i := 0; i < n; i++ {
		v := 20000 * (1 + 0.1*rng.NormFloat64())
		if rng.Float64() < 0.05 {
			v = tail * 100000 * (1 + 0.05*rng.NormFloat64())
		}
		r.Record(OpSparkGet, CodeOK, time.Duration(v))
	}
	return Build(RunInfo{Backend: "bbolt", Duration: time.Second, FileSHA256: "x"}, []*Recorder{r})
}

func synthReport(rng *rand.Rand, runs int, tail float64) *Report {
	rep := &Report{Schema: SchemaVersion}
	for i := 0; i < runs; i++ {
		run := synthRun(rng, 2000, tail)
		run.Info.Repeat = i
		rep.Runs = append(rep.Runs, run)
	}
	return rep
}

// serviceRun records a run of a flare-like service: n invocations whose
// latencies (invocation, response, spark_get, spark_set) scale with scale,
// each log-normally spread. Its gated metrics are response and invocation
// p50/p99, spark_get.p99, spark_set.p99 and invocation.rate (n/s).
func serviceRun(rng *rand.Rand, n int, scale float64) *Run {
	clk := &fakeClock{t: fixtureStart.UnixNano()}
	r := newTestRecorder(Labels{Scenario: "s", Node: "n", Backend: "bbolt"}, fixtureStart, clk.now)
	for i := 0; i < n; i++ {
		get := 20000 * scale * math.Exp(0.1*rng.NormFloat64())
		set := 50000 * scale * math.Exp(0.3*rng.NormFloat64())
		inv := get + set + 30000*scale*math.Exp(0.2*rng.NormFloat64())
		r.Record(OpSparkGet, CodeOK, time.Duration(get))
		r.Record(OpSparkSet, CodeOK, time.Duration(set))
		r.Record(OpInvocation, CodeOK, time.Duration(inv))
		r.Record(OpResponse, CodeOK, time.Duration(inv+5000))
	}
	return Build(RunInfo{Backend: "bbolt", Duration: time.Second, FileSHA256: "x", Seed: 1}, []*Recorder{r})
}

// abReports makes an A/B session of pairs: each pair shares a level drawn
// with spread drift (the machine's state at that time), each run has its
// own noise (runNoise, log scale), and the new side is slower by shift.
// The order within each pair is random, as sparkbench ab chooses it.
func abReports(rng *rand.Rand, pairs int, drift, runNoise, shift float64) (base, new *Report) {
	return abReportsN(rng, pairs, 1000, drift, runNoise, shift)
}

// abReportsN is abReports with samples invocations a run.
func abReportsN(rng *rand.Rand, pairs, samples int, drift, runNoise, shift float64) (base, new *Report) {
	base, new = &Report{Schema: SchemaVersion}, &Report{Schema: SchemaVersion}
	for p := 1; p <= pairs; p++ {
		level := math.Exp(drift * rng.NormFloat64())
		b := serviceRun(rng, samples, level*math.Exp(runNoise*rng.NormFloat64()))
		n := serviceRun(rng, samples, shift*level*math.Exp(runNoise*rng.NormFloat64()))
		baseFirst := rng.IntN(2) == 0
		b.Info.AB = &ABInfo{Session: "s1", Side: SideBase, Pair: p, First: baseFirst, Variant: "sparkbench"}
		n.Info.AB = &ABInfo{Session: "s1", Side: SideNew, Pair: p, First: !baseFirst, Variant: "sparkbench"}
		base.Runs = append(base.Runs, b)
		new.Runs = append(new.Runs, n)
	}
	return base, new
}

func findDelta(c *Comparison, metric string) MetricDelta {
	for _, d := range c.Deltas {
		if d.Metric == metric {
			return d
		}
	}
	return MetricDelta{}
}

// anyFlagged reports whether a gated metric was found significant in either
// direction: a family-wise error when nothing changed.
func anyFlagged(c *Comparison) bool {
	for _, d := range c.Deltas {
		if d.Gated && d.Tested() && d.PAdjusted < c.Options.Alpha {
			return true
		}
	}
	return false
}

func TestComparePlantedRegression(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	base := synthReport(rng, 10, 1.0)
	planted := synthReport(rng, 10, 1.1) // p99 10% slower
	c, err := Compare(base, planted, DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	d := findDelta(c, "spark_get.p99")
	if d.Verdict != Regression || !d.Gated || c.Paired {
		t.Fatalf("p99: %+v, want a gated regression", d)
	}
	if !(d.CILow > 0.05 && d.CILow < d.Change && d.Change < d.CIHigh) {
		t.Fatalf("p99 change %v not inside its interval [%v, %v] above 5%%", d.Change, d.CILow, d.CIHigh)
	}
	if p50 := findDelta(c, "spark_get.p50"); p50.Verdict == Regression || p50.Gated {
		t.Fatalf("p50 flagged or gated: %+v", p50)
	}
	if c.Regressions() != 1 {
		t.Fatalf("Regressions() = %d", c.Regressions())
	}
	// The other way round it is an improvement, not a regression.
	c, _ = Compare(planted, base, DefaultCompareOptions())
	if d := findDelta(c, "spark_get.p99"); d.Verdict != Improvement {
		t.Fatalf("reverse: %+v", d)
	}
	// A 10% change under a 15% minimum effect is not flagged.
	opts := DefaultCompareOptions()
	opts.Threshold = 0.15
	c, _ = Compare(base, planted, opts)
	if d := findDelta(c, "spark_get.p99"); d.Verdict != Unchanged {
		t.Fatalf("threshold 15%%: %+v", d)
	}
}

func TestComparePairedPlanted(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	base, slow := abReports(rng, 10, 0.2, 0.02, 1.10)
	c, err := Compare(base, slow, DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !c.Paired || len(c.PairIDs) != 10 || !c.Exact || c.Permutations != 1024 || len(c.PairFirst) != 10 {
		t.Fatalf("paired %v pairs %v perms %d exact %v", c.Paired, c.PairIDs, c.Permutations, c.Exact)
	}
	for _, m := range []string{"response.p50", "response.p99", "invocation.p50", "invocation.p99", "spark_get.p99", "spark_set.p99"} {
		d := findDelta(c, m)
		if !d.Gated || d.Verdict != Regression || d.CILow > 0.10 || d.CIHigh < 0.10 {
			t.Errorf("%s: %+v, want a gated regression whose interval covers +10%%", m, d)
		}
	}
	if d := findDelta(c, "invocation.rate"); !d.Gated || d.Verdict != Unchanged {
		t.Errorf("rate: %+v", d)
	}
	if d := findDelta(c, "spark_get.p50"); d.Gated {
		t.Errorf("spark_get.p50 gated by default")
	}
	// A session that declared a configuration comparison stays one when
	// analysed unpaired.
	for _, r := range append(base.Runs, slow.Runs...) {
		r.Info.AB.Config = true
	}
	for _, r := range slow.Runs {
		r.Info.Overrides = []string{"origin.latency.mean=11ms"}
	}
	for _, unpaired := range []bool{false, true} {
		opts := DefaultCompareOptions()
		opts.Unpaired = unpaired
		if c, err := Compare(base, slow, opts); err != nil || !c.Config {
			t.Fatalf("unpaired=%v: config session: %v", unpaired, err)
		}
	}
	for _, r := range append(base.Runs, slow.Runs...) {
		r.Info.AB.Config = false
		r.Info.Overrides = nil
	}
	// The same runs analysed without their pairing: a 20% spread between
	// pairs hides the 10% change from the unpaired test.
	opts := DefaultCompareOptions()
	opts.Unpaired = true
	u, err := Compare(base, slow, opts)
	if err != nil {
		t.Fatal(err)
	}
	if u.Paired || u.Regressions() >= c.Regressions() {
		t.Errorf("unpaired found %d regressions, paired %d", u.Regressions(), c.Regressions())
	}
}

// TestComparePairingRemovesDrift: the machine slows down steadily over the
// session. Two batches run one after the other (the old procedure) see a
// change that is not there; interleaved pairs do not.
func TestComparePairingRemovesDrift(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	level := func(t int) float64 { return 1 + 0.15*float64(t)/20 }
	batchA, batchB := &Report{Schema: SchemaVersion}, &Report{Schema: SchemaVersion}
	for i := 0; i < 10; i++ {
		batchA.Runs = append(batchA.Runs, serviceRun(rng, 1000, level(i)*math.Exp(0.01*rng.NormFloat64())))
	}
	for i := 10; i < 20; i++ {
		batchB.Runs = append(batchB.Runs, serviceRun(rng, 1000, level(i)*math.Exp(0.01*rng.NormFloat64())))
	}
	old, err := Compare(batchA, batchB, DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	base, new := &Report{Schema: SchemaVersion}, &Report{Schema: SchemaVersion}
	for p := 0; p < 10; p++ {
		baseFirst := rng.IntN(2) == 0
		for k, side := range []string{SideBase, SideNew} {
			slot := 2 * p
			if (side == SideBase) != baseFirst {
				slot++
			}
			r := serviceRun(rng, 1000, level(slot)*math.Exp(0.01*rng.NormFloat64()))
			r.Info.AB = &ABInfo{Session: "d", Side: side, Pair: p + 1, First: slot%2 == 0}
			if k == 0 {
				base.Runs = append(base.Runs, r)
			} else {
				new.Runs = append(new.Runs, r)
			}
		}
	}
	paired, err := Compare(base, new, DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	if old.Regressions() == 0 {
		t.Errorf("separate batches: no regression found (the drift should fool them)")
	}
	if paired.Regressions() != 0 {
		var b bytes.Buffer
		WriteCompareText(&b, paired)
		t.Errorf("paired: %d regressions\n%s", paired.Regressions(), b.String())
	}
}

// TestCompareFalsePositiveRate: under no change, over many trials, the
// family-wise rate of false alarms (any gated metric significant, in either
// direction, with no minimum effect to hide behind) stays at most alpha,
// paired and unpaired (the bound allows two standard errors of the trial
// count); with the default 5% minimum effect, at most alpha of the trials
// fail. The runs are small (200 invocations): the trials test the
// statistics, not the histograms.
func TestCompareFalsePositiveRate(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: statistical trials")
	}
	const trials = 500
	opts := DefaultCompareOptions()
	opts.Threshold = 0
	margin := 2 * math.Sqrt(opts.Alpha*(1-opts.Alpha)/trials)
	for _, paired := range []bool{true, false} {
		flagged, failed := 0, 0
		for seed := 0; seed < trials; seed++ {
			rng := rand.New(rand.NewPCG(uint64(seed), 99))
			var base, new *Report
			if paired {
				base, new = abReportsN(rng, 10, 200, 0.2, 0.03, 1)
			} else {
				base, new = abReportsN(rng, 10, 200, 0, 0.03, 1)
				for _, r := range append(base.Runs, new.Runs...) {
					r.Info.AB = nil
				}
			}
			c, err := Compare(base, new, opts)
			if err != nil {
				t.Fatal(err)
			}
			if c.Paired != paired || c.GatedCount() != 7 {
				t.Fatalf("paired %v, %d gated metrics", c.Paired, c.GatedCount())
			}
			if anyFlagged(c) {
				flagged++
			}
			d, err := Compare(base, new, DefaultCompareOptions())
			if err != nil {
				t.Fatal(err)
			}
			if d.Regressions() > 0 {
				failed++
			}
		}
		rate := float64(flagged) / trials
		t.Logf("paired=%v: family-wise false alarms %d/%d = %.3f (alpha %.2f); with the 5%% minimum effect %d failed", paired, flagged, trials, rate, opts.Alpha, failed)
		if rate > opts.Alpha+margin {
			t.Errorf("paired=%v: family-wise false-alarm rate %.3f > alpha %.2f (+%.3f)", paired, rate, opts.Alpha, margin)
		}
		if float64(failed)/trials > opts.Alpha {
			t.Errorf("paired=%v: %d of %d null comparisons failed", paired, failed, trials)
		}
	}
}

// TestComparePower: a 10% slowdown of every latency, 10 pairs, 20% drift
// between pairs and 3% noise per run: the paired comparison finds it in at
// least 9 trials of 10.
func TestComparePower(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: statistical trials")
	}
	const trials = 100
	found := 0
	for seed := 0; seed < trials; seed++ {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		base, new := abReports(rng, 10, 0.2, 0.03, 1.10)
		c, err := Compare(base, new, DefaultCompareOptions())
		if err != nil {
			t.Fatal(err)
		}
		if d := findDelta(c, "invocation.p99"); d.Verdict == Regression {
			found++
		}
	}
	t.Logf("invocation.p99 +10%%: found in %d of %d", found, trials)
	if found < 90 {
		t.Fatalf("power %d/%d < 90%%", found, trials)
	}
}

func TestCompareSingleRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	base, slow := synthReport(rng, 1, 1), synthReport(rng, 1, 1.5)
	c, err := Compare(base, slow, DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	if d := findDelta(c, "spark_get.p99"); d.Verdict != NotTested || c.Regressions() != 0 {
		t.Fatalf("single run without gate: %+v", d)
	}
	opts := DefaultCompareOptions()
	opts.SingleRunThreshold = 0.2
	c, _ = Compare(base, slow, opts)
	if d := findDelta(c, "spark_get.p99"); d.Verdict != Regression {
		t.Fatalf("single run with 20%% gate: %+v", d)
	}
	if MinRunsForSignificance(0.05) != 4 {
		t.Fatalf("MinRunsForSignificance(0.05) = %d", MinRunsForSignificance(0.05))
	}
	// Five pairs are too few for a signed-rank test at 0.05.
	b5, n5 := abReports(rng, 5, 0, 0.01, 1.5)
	c, err = Compare(b5, n5, DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	if d := findDelta(c, "invocation.p99"); d.Verdict != NotTested || !strings.Contains(d.Note, "5 pairs") {
		t.Fatalf("5 pairs: %+v", d)
	}
}

func writeAll(t *testing.T, c *Comparison) (txt, md, js, page []byte) {
	t.Helper()
	var a, b, j, h bytes.Buffer
	for _, err := range []error{WriteCompareText(&a, c), WriteCompareMarkdown(&b, c), WriteCompareJSON(&j, c), WriteCompareHTML(&h, c)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return a.Bytes(), b.Bytes(), j.Bytes(), h.Bytes()
}

func TestCompareGolden(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	c, err := Compare(synthReport(rng, 5, 1), synthReport(rng, 5, 1.3), DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	txt, md, _, _ := writeAll(t, c)
	golden(t, "compare.txt", txt)
	golden(t, "compare.md", md)

	rng = rand.New(rand.NewPCG(23, 24))
	base, slow := abReports(rng, 10, 0.2, 0.02, 1.10)
	c, err = Compare(base, slow, DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	txt, md, js, page := writeAll(t, c)
	golden(t, "compare_paired.txt", txt)
	golden(t, "compare_paired.md", md)
	golden(t, "compare_paired.json", js)
	golden(t, "compare_paired.html", page)
	checkSelfContained(t, string(page))
	for _, id := range []string{"forest-gated", "forest-info"} {
		if !strings.Contains(string(page), `id="`+id+`"`) {
			t.Errorf("chart %s missing", id)
		}
	}
}

func checkSelfContained(t *testing.T, page string) {
	t.Helper()
	for _, bad := range []string{"http://", "https://", "<script", "@import", "url("} {
		if strings.Count(page, bad) != strings.Count(page, bad+"www.w3.org/2000/svg") {
			t.Errorf("HTML references %q: must be self-contained", bad)
		}
	}
}

func TestWriteCompareJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	base, slow := abReports(rng, 4, 0, 0.02, 1.2) // too few pairs: no interval
	c, err := Compare(base, slow, DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	_, _, js, _ := writeAll(t, c)
	var doc struct {
		Schema, Method string
		Pairs          []int
		Deltas         []struct {
			Metric, Verdict, Unit string
			Gated                 bool
			CILow, P              *float64
			Change                *float64
			Base                  []float64
		}
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != CompareSchemaVersion || doc.Method != "paired" || len(doc.Pairs) != 4 || len(doc.Deltas) == 0 {
		t.Fatalf("%+v", doc)
	}
	for _, d := range doc.Deltas {
		if d.CILow != nil || d.P != nil || d.Verdict != "not_tested" || d.Change == nil || len(d.Base) != 4 {
			t.Fatalf("%+v: want no interval, no p, not_tested, a change and 4 values", d)
		}
	}
}

// TestCompareHTMLInChromium renders the comparison in headless Chromium and
// checks the DOM it built has both forest plots with a dot and an interval
// per metric. Skipped without chromium and under -short.
func TestCompareHTMLInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	rng := rand.New(rand.NewPCG(23, 24))
	base, slow := abReports(rng, 10, 0.2, 0.02, 1.10)
	c, err := Compare(base, slow, DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if keep := os.Getenv("SPARKBENCH_HTML_OUT"); keep != "" {
		dir = keep
	}
	page := filepath.Join(dir, "compare.html")
	_, _, _, h := writeAll(t, c)
	if err := os.WriteFile(page, h, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(page)
	common := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()}
	shot := filepath.Join(dir, "compare.png")
	if out, err := exec.Command(chromium, append(common, "--screenshot="+shot, "--window-size=1400,2400", "file://"+abs)...).CombinedOutput(); err != nil {
		t.Fatalf("chromium screenshot: %v\n%s", err, out)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
		t.Fatalf("screenshot: %v", err)
	}
	dom, err := exec.Command(chromium, append(common, "--dump-dom", "file://"+abs)...).Output()
	if err != nil {
		t.Fatalf("chromium dump-dom: %v", err)
	}
	if n := strings.Count(string(dom), `<svg class="chart"`); n != 2 {
		t.Fatalf("DOM has %d charts, want 2", n)
	}
	if got, want := strings.Count(string(dom), "<circle"), len(c.Deltas); got != want {
		t.Fatalf("DOM has %d estimate dots, want one per metric (%d)", got, want)
	}
	if !strings.Contains(string(dom), `class="ci"`) || !strings.Contains(string(dom), "<td>1</td><td>") {
		t.Fatal("DOM lacks intervals or the pairs table")
	}
}

func TestCompareErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	a := synthReport(rng, 1, 1)
	b := synthReport(rng, 1, 1)
	b.Runs[0].Info.Backend = "pebble"
	if _, err := Compare(a, b, DefaultCompareOptions()); err == nil || !strings.Contains(err.Error(), "no backend in common") {
		t.Fatalf("disjoint backends: %v", err)
	}
	// Declared a configuration comparison, one backend against another.
	opts := DefaultCompareOptions()
	opts.Config = true
	if c, err := Compare(a, b, opts); err != nil || c.Deltas[0].Backend != "bbolt→pebble" {
		t.Fatalf("config bbolt→pebble: %v", err)
	}
	shard := synthReport(rng, 1, 1)
	shard.Runs[0].Info.Shard = "0/2"
	if _, err := Compare(shard, a, DefaultCompareOptions()); err == nil || !strings.Contains(err.Error(), "merge the shards") {
		t.Fatalf("unmerged shard: %v", err)
	}
	partial := synthReport(rng, 1, 1)
	partial.Runs[0].Info.Shard, partial.Runs[0].Info.Partial = "merged 0/4,1/4", true
	partial.Runs[0].Source = "half.json"
	if _, err := Compare(a, partial, DefaultCompareOptions()); !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "half.json") {
		t.Fatalf("partial: %v", err)
	}
	opts = DefaultCompareOptions()
	opts.AllowPartial = true
	if _, err := Compare(a, partial, opts); err != nil {
		t.Fatalf("partial allowed: %v", err)
	}
	// A v1 merge that lacks shards without saying so is partial too.
	partial.Runs[0].Info.Partial = false
	if _, err := Compare(a, partial, DefaultCompareOptions()); !errors.Is(err, ErrPartial) {
		t.Fatalf("incomplete merge: %v", err)
	}
	if _, err := Compare(a, a, CompareOptions{Alpha: 2}); err == nil {
		t.Fatal("no error for alpha 2")
	}
	for _, bad := range []struct {
		metrics []string
		want    string
	}{{[]string{"nope.p99"}, "matches no metric"}, {[]string{"[.p99"}, "syntax"}} {
		opts := DefaultCompareOptions()
		opts.Metrics = bad.metrics
		if _, err := Compare(a, a, opts); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("--metrics %v: %v", bad.metrics, err)
		}
	}
}

// TestCompareSameWorkload: sides of different workloads (file, seed,
// overrides) are refused unless the comparison is declared a configuration
// comparison, which notes what differs.
func TestCompareSameWorkload(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*RunInfo)
		want   string
	}{
		{"file", func(in *RunInfo) { in.FileSHA256 = "y" }, "workload file sha256 x vs y"},
		{"seed", func(in *RunInfo) { in.Seed = 7 }, "seed 0 vs 7"},
		{"overrides", func(in *RunInfo) { in.Overrides = []string{"origin.latency.mean=5.5ms"} }, "overrides [] vs [origin.latency.mean=5.5ms]"},
		{"durability", func(in *RunInfo) { in.Durability = "sync" }, "durability - vs sync"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(2, 3))
			a, b := synthReport(rng, 4, 1), synthReport(rng, 4, 1)
			for _, r := range b.Runs {
				tc.change(&r.Info)
			}
			b.Env.CPU = "Other CPU"
			_, err := Compare(a, b, DefaultCompareOptions())
			if !errors.Is(err, ErrCompare) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--config") {
				t.Fatalf("err = %v, want one naming %q and --config", err, tc.want)
			}
			opts := DefaultCompareOptions()
			opts.Config = true
			c, err := Compare(a, b, opts)
			if err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(c.Notes, "\n")
			for _, want := range []string{"machines differ", "configurations differ (bbolt): " + tc.want} {
				if !strings.Contains(joined, want) {
					t.Errorf("notes lack %q:\n%s", want, joined)
				}
			}
			// One side mixing workloads is refused even so.
			b.Runs[0].Info = a.Runs[0].Info
			if _, err := Compare(a, b, opts); err == nil || !strings.Contains(err.Error(), "(one side) ran different workloads") {
				t.Fatalf("mixed side: %v", err)
			}
		})
	}
}

func TestCompareMetricsPatterns(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		metric   string
		want     bool
	}{
		{DefaultGatedMetrics, "spark_get.p99", true},
		{DefaultGatedMetrics, "spark_get.p50", false},
		{DefaultGatedMetrics, "backend_write.p99", false},
		{DefaultGatedMetrics, "invocation.rate", true},
		{DefaultGatedMetrics, "limiter@edge:spark_get.p99", false},
		{DefaultGatedMetrics, "spark_x@edge:invocation.p99", false},
		{[]string{"*@*:invocation.p99"}, "limiter@edge:invocation.p99", true},
		{[]string{"*.mean"}, "response.mean", true},
		{[]string{"all"}, "anything@at:all.p50", true},
	} {
		if got := gatedBy(tc.patterns, tc.metric); got != tc.want {
			t.Errorf("gatedBy(%v, %q) = %v", tc.patterns, tc.metric, got)
		}
	}
	rng := rand.New(rand.NewPCG(8, 9))
	base, new := abReports(rng, 8, 0.1, 0.02, 1)
	opts := DefaultCompareOptions()
	opts.Metrics = []string{"*.mean"}
	c, err := Compare(base, new, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.GatedCount() != 4 || findDelta(c, "response.p99").Gated || !findDelta(c, "spark_set.mean").Gated {
		t.Fatalf("--metrics '*.mean': %d gated", c.GatedCount())
	}
}

// TestComparePairs: pairs missing a side are left out (and noted), a pair
// given twice is an error, and a combined A/B result splits into its sides.
func TestComparePairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	base, new := abReports(rng, 8, 0.1, 0.02, 1)
	new.Runs = new.Runs[:7]
	c, err := Compare(base, new, DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.PairIDs) != 7 || !strings.Contains(strings.Join(c.Notes, " "), "pairs [8] left out") {
		t.Fatalf("pairs %v notes %v", c.PairIDs, c.Notes)
	}
	new.Runs = append(new.Runs, new.Runs[0])
	if _, err := Compare(base, new, DefaultCompareOptions()); err == nil || !strings.Contains(err.Error(), "pair 1 appears twice") {
		t.Fatalf("duplicate pair: %v", err)
	}
	combined := &Report{Schema: SchemaVersion, Runs: append(append([]*Run(nil), base.Runs...), new.Runs[:7]...)}
	b, n, err := SplitSides(combined)
	if err != nil || len(b.Runs) != 8 || len(n.Runs) != 7 {
		t.Fatalf("SplitSides: %v", err)
	}
	if _, _, err := SplitSides(synthReport(rng, 2, 1)); err == nil {
		t.Fatal("SplitSides of runs outside a session")
	}
	// Runs of another session are not paired with these.
	other, _ := abReports(rng, 8, 0.1, 0.02, 1)
	for _, r := range other.Runs {
		r.Info.AB.Session = "s2"
	}
	if c, err := Compare(other, n, DefaultCompareOptions()); err != nil || c.Paired {
		t.Fatalf("two sessions: paired %v, %v", c != nil && c.Paired, err)
	}
}

// TestCompareInputsGolden writes the results the CLI tests of sparkbench
// compare use: base and regressed sides (10 runs each, p99 10% worse), and
// a combined A/B result of 10 pairs whose new side is 10% slower.
func TestCompareInputsGolden(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, side := range []struct {
		name string
		tail float64
	}{{"compare_base.json", 1}, {"compare_new.json", 1.1}, {"compare_same.json", 1}} {
		rep := synthReport(rng, 10, side.tail)
		rep.Env = fixtureReport().Env
		for _, r := range rep.Runs {
			r.Info.Started = fixtureStart
		}
		var buf bytes.Buffer
		if err := WriteJSON(&buf, rep); err != nil {
			t.Fatal(err)
		}
		golden(t, side.name, buf.Bytes())
	}
	base, slow := abReports(rand.New(rand.NewPCG(13, 14)), 10, 0.2, 0.02, 1.10)
	ab := &Report{Schema: SchemaVersion, Env: fixtureReport().Env}
	for i := range base.Runs {
		ab.Runs = append(ab.Runs, base.Runs[i], slow.Runs[i])
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, ab); err != nil {
		t.Fatal(err)
	}
	golden(t, "ab_regressed.json", buf.Bytes())
}

// TestComparePerScenario: a regression in one of two scenarios that share
// an operation is flagged on that scenario's own metric.
func TestComparePerScenario(t *testing.T) {
	mk := func(rng *rand.Rand, tailB float64) *Report {
		rep := &Report{Schema: SchemaVersion}
		for i := 0; i < 10; i++ {
			clk := &fakeClock{t: fixtureStart.UnixNano()}
			a := newTestRecorder(Labels{Scenario: "a", Node: "n", Backend: "bbolt"}, fixtureStart, clk.now)
			b := newTestRecorder(Labels{Scenario: "b", Node: "n", Backend: "bbolt"}, fixtureStart, clk.now)
			for j := 0; j < 3000; j++ {
				a.Record(OpSparkGet, CodeOK, time.Duration(20000*(1+0.1*rng.NormFloat64())))
				v := 50000 * (1 + 0.05*rng.NormFloat64())
				if j%10 == 0 {
					v *= 4 * tailB
				}
				b.Record(OpSparkGet, CodeOK, time.Duration(v))
			}
			run := Build(RunInfo{Backend: "bbolt", Duration: time.Second, Repeat: i}, []*Recorder{a, b})
			rep.Runs = append(rep.Runs, run)
		}
		return rep
	}
	rng := rand.New(rand.NewPCG(41, 42))
	opts := DefaultCompareOptions()
	opts.Metrics = []string{"*@*:spark_get.p99"}
	c, err := Compare(mk(rng, 1), mk(rng, 1.5), opts)
	if err != nil {
		t.Fatal(err)
	}
	if d := findDelta(c, "b@n:spark_get.p99"); d.Verdict != Regression || !d.Gated {
		t.Fatalf("b p99: %+v", d)
	}
	if d := findDelta(c, "a@n:spark_get.p99"); d.Verdict == Regression {
		t.Fatalf("a p99 flagged: %+v", d)
	}
}

// TestCompareNotesBuilds: a comparison says which builds it compared, from
// the A/B labels or the reports' environments.
func TestCompareNotesBuilds(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	a, b := synthReport(rng, 4, 1), synthReport(rng, 4, 1)
	a.Env.Build, b.Env.Build = "sha256:aaaa", "sha256:bbbb"
	c, err := Compare(a, b, DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(c.Notes, "\n"), "builds differ: base sha256:aaaa, new sha256:bbbb") {
		t.Fatalf("notes: %v", c.Notes)
	}
	base, new := abReports(rng, 6, 0, 0.01, 1)
	for i := range base.Runs {
		base.Runs[i].Info.AB.Build, new.Runs[i].Info.AB.Build = "v0.9.0", "sha256:cccc"
	}
	if c, err = Compare(base, new, DefaultCompareOptions()); err != nil || !strings.Contains(strings.Join(c.Notes, "\n"), "builds differ: base v0.9.0, new sha256:cccc") {
		t.Fatalf("A/B builds: %v %v", err, c.Notes)
	}
}
