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
