package reports

import (
	"time"

	"github.com/sparkbench/sparkbench/internal/clock"
)

// MeasureTimerOverhead measures, at start-up, what timing and recording one
// sample costs a worker: a pair of clock reads around the timed operation
// (internal/clock, the clock the host and the store time with) plus one
// Record. The runner puts the figure in RunInfo so that
// reports show it next to the latencies it inflates.
func MeasureTimerOverhead() time.Duration {
	// The best of 8 rounds of 10k samples (~14ms in all; it runs once
	// per run, inside a profiled command): short rounds are less often all
	// hit by a stall of a shared machine, so their best is as stable as
	// that of a few rounds ten times as long.
	const n, rounds = 10_000, 8
	r := NewRecorder(Labels{Scenario: "overhead"}, time.Now())
	// Warm up: allocate the histograms and the first second of the series.
	for i := 0; i < 1000; i++ {
		r.Record(OpSparkGet, CodeOK, time.Duration(i))
	}
	clock.Init()
	best := time.Duration(1<<63 - 1)
	for round := 0; round < rounds; round++ {
		t0 := clock.Now()
		for i := 0; i < n; i++ {
			s := clock.Now()
			r.Record(OpSparkGet, CodeOK, clock.Since(s)+time.Duration(i&1023)*time.Microsecond)
		}
		if d := clock.Since(t0) / n; d < best {
			best = d
		}
	}
	return best
}
