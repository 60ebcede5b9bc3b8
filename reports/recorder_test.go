package reports

import (
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
