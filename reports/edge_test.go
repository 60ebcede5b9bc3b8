package reports

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestRenderEdgeCases: empty reports and runs without samples render in
// every format without panicking.
func TestRenderEdgeCases(t *testing.T) {
	empty := &Report{Schema: SchemaVersion}
	noSamples := NewReport(Build(RunInfo{Backend: "memory"}, nil))
	oneRecorder := NewReport(Build(RunInfo{Backend: "bbolt", Duration: time.Second}, []*Recorder{NewRecorder(Labels{}, time.Now())}))
	for name, rep := range map[string]*Report{"empty": empty, "no samples": noSamples, "idle recorder": oneRecorder} {
		for fname, fn := range map[string]func(*bytes.Buffer, *Report) error{
			"text":     func(b *bytes.Buffer, r *Report) error { return WriteText(b, r) },
			"markdown": func(b *bytes.Buffer, r *Report) error { return WriteMarkdown(b, r) },
			"html":     func(b *bytes.Buffer, r *Report) error { return WriteHTML(b, r) },
			"json":     func(b *bytes.Buffer, r *Report) error { return WriteJSON(b, r) },
			"bench":    func(b *bytes.Buffer, r *Report) error { return WriteBench(b, r) },
		} {
			var b bytes.Buffer
			if err := fn(&b, rep); err != nil {
				t.Errorf("%s/%s: %v", name, fname, err)
			}
		}
		if _, err := Evaluate(rep, map[string]string{"spark_get.p99": "< 1ms", "errors": "== 0"}); err != nil {
			t.Errorf("%s: evaluate: %v", name, err)
		}
	}
}

// TestMergeShardsExact: samples spread over shard runs merge into the
// percentiles of one histogram fed every sample, and the series align.
func TestMergeShardsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	clk := &fakeClock{}
	all := NewHist()
	var runs []*Run
	for shard := 0; shard < 3; shard++ {
		start := fixtureStart.Add(time.Duration(shard) * 37 * time.Millisecond) // shards start apart
		r := newTestRecorder(Labels{Scenario: "s", Node: "n", Backend: "pebble"}, start, clk.now)
		for i := 0; i < 5000; i++ {
			clk.t = start.UnixNano() + int64(i)*int64(time.Millisecond)/2 // 2.5 s
			d := time.Duration(rng.ExpFloat64() * float64(time.Duration(shard+1)*100*time.Microsecond))
			r.Record(OpSparkSet, CodeOK, d)
			all.Record(d)
		}
		runs = append(runs, Build(RunInfo{Backend: "pebble", FileSHA256: "h", Shard: []string{"0/3", "1/3", "2/3"}[shard], Started: start, Duration: 2500 * time.Millisecond}, []*Recorder{r}))
	}
	var reps []*Report
	for _, r := range runs {
		reps = append(reps, &Report{Schema: SchemaVersion, Runs: []*Run{r}})
	}
	merged, err := MergeReports(reps, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := merged.Runs[0]
	got := m.Op(OpSparkSet)
	if !got.Equal(all) {
		t.Fatal("merged histogram differs from the single histogram")
	}
	for _, q := range []float64{.5, .9, .99, .999, .9999} {
		if got.Quantile(q) != all.Quantile(q) {
			t.Errorf("q%v: %v vs %v", q, got.Quantile(q), all.Quantile(q))
		}
	}
	if s := m.Series(); len(s) != 3 || s[0].Ops[0].Hist.Count() != 3*2000 || s[2].Ops[0].Hist.Count() != 3*1000 {
		t.Errorf("series not aligned by second: %d seconds", len(s))
	}
	if m.Info.Shard != "merged 0/3,1/3,2/3" || !m.Info.Started.Equal(fixtureStart) || m.Rate(OpSparkSet) != 15000/2.5 {
		t.Errorf("info %+v rate %v", m.Info, m.Rate(OpSparkSet))
	}
	runs[1].Info.FileSHA256 = "other"
	if _, err := MergeReports(reps, MergeOptions{}); err == nil {
		t.Error("merged shards of different workloads")
	}
}

func FuzzParseThreshold(f *testing.F) {
	for _, s := range [][2]string{{"spark_get.p99", "< 20us"}, {"errors.quota_exceeded", "== 0"}, {"spark_set.rate", ">= 1000/s"}, {"dropped", "!= 3"}, {"response.p99.9", "<= 1.5ms"}} {
		f.Add(s[0], s[1])
	}
	rep := fixtureReport("memory")
	f.Fuzz(func(t *testing.T, key, expr string) {
		rs, err := Evaluate(rep, map[string]string{key: expr})
		if err != nil {
			if ParseThresholds(map[string]string{key: expr}) == nil {
				t.Fatalf("Evaluate failed but ParseThresholds accepted %q %q", key, expr)
			}
			return
		}
		if len(rs) != 1 || rs[0].Key != key {
			t.Fatalf("%+v", rs)
		}
	})
}

func TestLinearAxisTicks(t *testing.T) {
	a := linearAxis("s", 1, func(v float64) string { return fmt.Sprintf("%gs", v) })
	var labels []string
	for _, tk := range a.ticks {
		labels = append(labels, tk.label)
	}
	if got := strings.Join(labels, " "); got != "0s 0.2s 0.4s 0.6s 0.8s 1s" {
		t.Fatalf("ticks %q", got)
	}
}
