package reports

import (
	"bytes"
	"math/rand/v2"
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

func findDelta(c *Comparison, metric string) MetricDelta {
	for _, d := range c.Deltas {
		if d.Metric == metric {
			return d
		}
	}
	return MetricDelta{}
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
	if d.Verdict != Regression {
		t.Fatalf("p99: %+v, want regression", d)
	}
	if p50 := findDelta(c, "spark_get.p50"); p50.Verdict == Regression {
		t.Fatalf("p50 flagged: %+v", p50)
	}
	if c.Regressions() == 0 {
		t.Fatal("Regressions() = 0")
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

// TestCompareFalsePositiveRate: identical distributions, many seeds; with
// no minimum effect the U test alone decides, and "significantly worse" must
// come up no more often than alpha.
func TestCompareFalsePositiveRate(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 60
	}
	opts := DefaultCompareOptions()
	opts.Threshold = 0
	flagged := 0
	for seed := 0; seed < seeds; seed++ {
		rng := rand.New(rand.NewPCG(uint64(seed), 99))
		c, err := Compare(synthReport(rng, 10, 1), synthReport(rng, 10, 1), opts)
		if err != nil {
			t.Fatal(err)
		}
		if findDelta(c, "spark_get.p99").Verdict == Regression {
			flagged++
		}
	}
	if rate := float64(flagged) / float64(seeds); rate > opts.Alpha {
		t.Fatalf("identical distributions flagged %d/%d = %.3f > alpha %.2f", flagged, seeds, rate, opts.Alpha)
	}
	t.Logf("flagged %d of %d", flagged, seeds)
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
}

func TestCompareGolden(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	c, err := Compare(synthReport(rng, 5, 1), synthReport(rng, 5, 1.3), DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	var txt, md bytes.Buffer
	if err := WriteCompareText(&txt, c); err != nil {
		t.Fatal(err)
	}
	if err := WriteCompareMarkdown(&md, c); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.txt", txt.Bytes())
	golden(t, "compare.md", md.Bytes())
}

func TestCompareErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	a := synthReport(rng, 1, 1)
	b := synthReport(rng, 1, 1)
	b.Runs[0].Info.Backend = "pebble"
	if _, err := Compare(a, b, DefaultCompareOptions()); err == nil {
		t.Fatal("no error for disjoint backends")
	}
	shard := synthReport(rng, 1, 1)
	shard.Runs[0].Info.Shard = "0/2"
	if _, err := Compare(shard, a, DefaultCompareOptions()); err == nil || !strings.Contains(err.Error(), "merge the shards") {
		t.Fatalf("unmerged shard: %v", err)
	}
	if _, err := Compare(a, a, CompareOptions{Alpha: 2}); err == nil {
		t.Fatal("no error for alpha 2")
	}
}

// TestCompareInputsGolden writes the base and regressed results the CLI
// tests of sparkbench compare use (10 runs per side, p99 10% worse).
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
}

func TestCompareNotesDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	a, b := synthReport(rng, 4, 1), synthReport(rng, 4, 1)
	b.Env.CPU = "Other CPU"
	b.Runs[0].Info.FileSHA256 = "y"
	c, err := Compare(a, b, DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(c.Notes, "\n")
	for _, want := range []string{"machines differ", "workload files differ"} {
		if !strings.Contains(joined, want) {
			t.Errorf("notes lack %q:\n%s", want, joined)
		}
	}
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
	c, err := Compare(mk(rng, 1), mk(rng, 1.5), DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	if d := findDelta(c, "b@n:spark_get.p99"); d.Verdict != Regression {
		t.Fatalf("b p99: %+v", d)
	}
	if d := findDelta(c, "a@n:spark_get.p99"); d.Verdict == Regression {
		t.Fatalf("a p99 flagged: %+v", d)
	}
}
