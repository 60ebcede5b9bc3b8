package reports

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func BenchmarkRecord(b *testing.B) {
	r := NewRecorder(Labels{Scenario: "bench", Node: "n", Backend: "memory"}, time.Now())
	// Latencies spread like a real run: 1..1000 µs, several buckets.
	ds := make([]time.Duration, 1024)
	for i := range ds {
		ds[i] = time.Duration(1000+i*997) * time.Nanosecond
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Record(OpSparkGet, CodeOK, ds[i&1023])
	}
}

func BenchmarkRecordWithTimer(b *testing.B) {
	r := NewRecorder(Labels{Scenario: "bench"}, time.Now())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := time.Now()
		r.Record(OpSparkGet, CodeOK, time.Since(s))
	}
}

// BenchmarkRecordInvocation records what one counter invocation produces:
// a get and a set with their backend read and durable write, two limit
// decisions, the invocation and response times, the open-loop start and the
// status. Compare ns/op with the invocation's service time (~1-2 µs for the
// counter flare on the memory backend).
func BenchmarkRecordInvocation(b *testing.B) {
	r := NewRecorder(Labels{Scenario: "bench", Node: "n", Backend: "memory"}, time.Now())
	ds := make([]time.Duration, 1024)
	for i := range ds {
		ds[i] = time.Duration(300+i*7) * time.Nanosecond
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := ds[i&1023]
		r.Record(OpSparkGet, CodeOK, d)
		r.Record(OpBackendRead, CodeOK, d/2)
		r.RecordLimit("max_reads_per_invocation", false)
		r.RecordLimit("max_writes_per_invocation", false)
		r.Record(OpSparkSet, CodeOK, 2*d)
		r.Record(OpBackendWrite, CodeOK, d)
		r.Record(OpInvocation, CodeOK, 4*d)
		r.Record(OpResponse, CodeOK, 5*d)
		r.RecordStart(d, false)
		r.RecordStatus(200, true)
	}
}

func TestMeasureTimerOverhead(t *testing.T) {
	if d := MeasureTimerOverhead(); d <= 0 || d > time.Millisecond {
		t.Fatalf("MeasureTimerOverhead = %v", d)
	}
}

// TestCoarseClockSeries: with the real coarse clock, samples a second apart
// land in consecutive seconds of the series.
func TestCoarseClockSeries(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps 1.1s")
	}
	r := NewRecorder(Labels{Scenario: "s"}, time.Now())
	r.Record(OpSparkGet, CodeOK, time.Microsecond)
	time.Sleep(1100 * time.Millisecond)
	r.Record(OpSparkGet, CodeOK, time.Microsecond)
	s := Build(RunInfo{}, []*Recorder{r}).Groups[0].Series
	if len(s) != 2 || len(s[0].Ops) != 1 || len(s[1].Ops) != 1 || s[0].Ops[0].Hist.Count() != 1 || s[1].Ops[0].Hist.Count() != 1 {
		t.Fatalf("series %+v", s)
	}
}

// TestRecordStartAndBandsFastPath: start lateness and quota-band latencies
// are recorded in the recorder's dense histograms (the path Record uses;
// PackedHistogram.RecordValue cost ~14% of harness CPU) and Build turns
// them into exactly the histograms the sparse Hist would hold.
func TestRecordStartAndBandsFastPath(t *testing.T) {
	r := NewRecorder(Labels{Scenario: "s"}, time.Now())
	wantLate, wantBand := NewHist(), NewHist()
	r.RecordQuota("site", 95, 100)
	for i := 0; i < 20000; i++ {
		d := time.Duration(uint64(i)*2654435761%uint64(time.Second)) + time.Duration(i&3)*time.Hour // up to beyond 1h (clamped)
		r.RecordStart(d, false)
		wantLate.Record(d)
		r.Record(OpSparkSet, CodeOK, d)
		wantBand.Record(d)
	}
	r.RecordStart(0, true)
	if r.starts.lateness.empty() || r.bands[9].hist.empty() {
		t.Fatal("lateness or band samples did not reach the dense histograms")
	}
	run := Build(RunInfo{}, []*Recorder{r})
	st := run.Starts()
	if st.Total != 20001 || st.Dropped != 1 || !st.Lateness.Equal(wantLate) {
		t.Errorf("starts %+v: lateness count %d p99 %v, want count %d p99 %v", st, st.Lateness.Count(), st.Lateness.Quantile(.99), wantLate.Count(), wantLate.Quantile(.99))
	}
	if b := run.Pressure()[9]; b.Writes != 20000 || !b.Hist.Equal(wantBand) {
		t.Errorf("band 90%%: %d writes, hist count %d, want exactly the recorded samples", b.Writes, b.Hist.Count())
	}
}

// BenchmarkRecordStart is the per-start recording cost of the open loop.
func BenchmarkRecordStart(b *testing.B) {
	r := NewRecorder(Labels{Scenario: "bench"}, time.Now())
	ds := make([]time.Duration, 1024)
	for i := range ds {
		ds[i] = time.Duration(100+i*37) * time.Nanosecond
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.RecordStart(ds[i&1023], false)
	}
}

// TestRecordLimitID: a limit resolved once and recorded by ID counts in the
// same slot as the same limit recorded by name, per-invocation accounting
// included, and a resolved limit without decisions is not reported.
func TestRecordLimitID(t *testing.T) {
	r := NewRecorder(Labels{Scenario: "s"}, time.Now())
	writes := r.LimitID("max_writes_per_invocation")
	quota := r.LimitID("site_quota")
	_ = r.LimitID("max_memory_pages") // never decided
	if again := r.LimitID("max_writes_per_invocation"); again != writes {
		t.Fatalf("LimitID not stable: %d then %d", writes, again)
	}
	for inv := 0; inv < 10; inv++ {
		r.RecordLimitID(writes, false)
		r.RecordLimit("max_writes_per_invocation", false) // same slot by name
		r.RecordLimitID(quota, inv%2 == 0)
		r.Record(OpInvocation, CodeOK, time.Microsecond)
	}
	ls := Build(RunInfo{}, []*Recorder{r}).Groups[0].Limits
	want := []LimitCount{
		{Name: "max_writes_per_invocation", Decisions: 20, AllowedPerInvocation: [][2]int64{{2, 10}}},
		{Name: "site_quota", Decisions: 10, Refused: 5, AllowedPerInvocation: [][2]int64{{1, 5}}},
	}
	if len(ls) != len(want) {
		t.Fatalf("limits %+v, want %+v", ls, want)
	}
	for i, w := range want {
		g := ls[i]
		if g.Name != w.Name || g.Decisions != w.Decisions || g.Refused != w.Refused || len(g.AllowedPerInvocation) != 1 || g.AllowedPerInvocation[0] != w.AllowedPerInvocation[0] {
			t.Errorf("limit %d: %+v, want %+v", i, g, w)
		}
	}
}

// BenchmarkRecordLimit compares a limit decision recorded by name (a search
// over the recorder's limits) with one recorded by a resolved LimitID, with
// the six limits a counter invocation decides.
func BenchmarkRecordLimit(b *testing.B) {
	names := []string{"writes_spark_kv", "max_reads_per_invocation", "max_ttl_secs", "max_value_bytes", "max_writes_per_invocation", "site_quota"}
	b.Run("name", func(b *testing.B) {
		r := NewRecorder(Labels{}, time.Now())
		for i := 0; i < b.N; i++ {
			r.RecordLimit(names[i%6], false)
		}
	})
	b.Run("id", func(b *testing.B) {
		r := NewRecorder(Labels{}, time.Now())
		ids := make([]LimitID, len(names))
		for i, n := range names {
			ids[i] = r.LimitID(n)
		}
		for i := 0; i < b.N; i++ {
			r.RecordLimitID(ids[i%6], false)
		}
	})
}

// TestLateThreshold: each recorder counts late starts against its own
// threshold; sums say which threshold applied, or that several did, and a
// recorder of only dropped starts does not count as another threshold.
func TestLateThreshold(t *testing.T) {
	rec := func(scenario string, tol time.Duration, lates ...time.Duration) *Recorder {
		r := NewRecorder(Labels{Scenario: scenario}, time.Now())
		r.SetLateThreshold(tol)
		for _, l := range lates {
			r.RecordStart(l, false)
		}
		return r
	}
	drops := NewRecorder(Labels{Scenario: "a"}, time.Now()) // default threshold, dropped starts only
	drops.RecordStart(0, true)
	ms := time.Millisecond
	cases := []struct {
		name      string
		recs      []*Recorder
		late      int64
		threshold string
	}{
		{"default", []*Recorder{rec("a", 0, 500*time.Microsecond, 2*ms)}, 1, "1ms"},
		{"tolerance", []*Recorder{rec("a", 5*ms, 2*ms, 6*ms, 10*ms), drops}, 2, "5ms"},
		{"same in two scenarios", []*Recorder{rec("a", 5*ms, 6*ms), rec("b", 5*ms, 1*ms)}, 1, "5ms"},
		{"mixed", []*Recorder{rec("a", 5*ms, 2*ms), rec("b", 100*time.Microsecond, 2*ms)}, 1, "each scenario's late_tolerance"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := Build(RunInfo{Duration: time.Second}, c.recs)
			st := run.Starts()
			if st.Late != c.late || st.ThresholdString() != c.threshold {
				t.Errorf("%d late (> %s), want %d late (> %s)", st.Late, st.ThresholdString(), c.late, c.threshold)
			}
			var b strings.Builder
			if err := WriteText(&b, NewReport(run)); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("%d late (> %s)", c.late, c.threshold); !strings.Contains(b.String(), want) {
				t.Errorf("text report lacks %q:\n%s", want, b.String())
			}
		})
	}
}

// TestRecordBeforeStart: samples taken while the clock reads before start
// (the coarse clock lags time.Now, from which start is usually taken) are
// second 0's, like those of second 0 itself, and later seconds are
// unaffected, whatever order the clock reaches them in.
func TestRecordBeforeStart(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		at     []time.Duration // clock readings relative to start, one sample each
		perSec []int64         // samples per second of the series
	}{
		{"only before start", []time.Duration{-10 * time.Millisecond, -time.Nanosecond}, []int64{2}},
		{"before, then second 0", []time.Duration{-5 * time.Millisecond, 0, 999 * time.Millisecond}, []int64{3}},
		{"before, then second 1", []time.Duration{-5 * time.Millisecond, time.Second, 1500 * time.Millisecond}, []int64{1, 2}},
		{"second 0, then seconds 1 and 2", []time.Duration{-time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}, []int64{2, 1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var now int64
			r := newTestRecorder(Labels{Scenario: "s"}, start, func() int64 { return now })
			for _, at := range tc.at {
				now = start.Add(at).UnixNano()
				r.Record(OpSparkGet, CodeOK, time.Microsecond)
			}
			s := Build(RunInfo{}, []*Recorder{r}).Groups[0].Series
			if len(s) != len(tc.perSec) {
				t.Fatalf("%d seconds, want %d: %+v", len(s), len(tc.perSec), s)
			}
			for i, want := range tc.perSec {
				var got int64
				for _, o := range s[i].Ops {
					got += o.Hist.Count()
				}
				if got != want {
					t.Errorf("second %d: %d samples, want %d", i, got, want)
				}
			}
		})
	}
}

// BenchmarkRecordBeforeStart is BenchmarkRecord with the clock reading
// before start, as a recorder's first samples do until the coarse clock
// catches up with the time.Now that start was taken from.
func BenchmarkRecordBeforeStart(b *testing.B) {
	start := time.Now()
	now := start.Add(-5 * time.Millisecond).UnixNano()
	r := newTestRecorder(Labels{Scenario: "bench"}, start, func() int64 { return now })
	for i := 0; i < b.N; i++ {
		r.Record(OpSparkGet, CodeOK, time.Microsecond)
	}
}
