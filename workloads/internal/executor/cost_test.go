package executor

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOpenLoopCost runs a constant-arrival-rate schedule at
// SPARKBENCH_RATE (default 1000/s) for b.N starts with default settings
// (adaptive spinner, 1ms late tolerance, 64 workers; SPARKBENCH_SPIN sets
// a fixed spin window, "off" none) and a cheap worker, and reports the
// process CPU per start and as a share of one core (the executor's cost:
// the worker does next to nothing), and the start error's percentiles.
func BenchmarkOpenLoopCost(b *testing.B) {
	rate := 1000.0
	if s := os.Getenv("SPARKBENCH_RATE"); s != "" {
		var r float64
		if _, err := fmtSscan(s, &r); err == nil && r > 0 {
			rate = r
		}
	}
	hist := hdrhistogram.New(1, int64(time.Second), 3)
	ws, _ := workers(64, 0, hist)
	cfg := Config{Type: ConstantArrivalRate, Rate: rate, Duration: time.Duration(float64(b.N) / rate * 1e9), MaxInFlight: 64, LateTolerance: time.Millisecond}
	if cfg.Duration < time.Millisecond {
		cfg.Duration = time.Millisecond
	}
	if s := os.Getenv("SPARKBENCH_SPIN"); s == "off" {
		cfg.SpinBelow = -1
	} else if s != "" {
		cfg.SpinBelow, _ = time.ParseDuration(s)
	}
	Calibrate()
	var st Stats
	b.ResetTimer()
	c0, t0 := cpuTime(), time.Now()
	Run(context.Background(), cfg, ws, &st, nil)
	cpu, wall := cpuTime()-c0, time.Since(t0)
	b.StopTimer()
	if n := st.Started.Load(); n > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/start")
	}
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "%core")
	b.ReportMetric(float64(hist.ValueAtQuantile(50))/1e3, "p50-start-err-µs")
	b.ReportMetric(float64(hist.ValueAtQuantile(99))/1e3, "p99-start-err-µs")
	b.ReportMetric(float64(hist.Max())/1e3, "max-start-err-µs")
	if n := st.Scheduled.Load(); n > 0 {
		b.ReportMetric(float64(st.Dropped.Load())/float64(n), "dropped/op")
		b.ReportMetric(float64(st.Late.Load())/float64(n), "late/op")
		b.ReportMetric(float64(st.Wakes.Load())/float64(n), "wakes/op")
	}
}

// BenchmarkSleep measures the two ways to sleep until a start, back to
// back at a fixed gap (each sleep until the next multiple of it, as the
// open loop does): a Go timer (time.Sleep) and preciseSleep (yielding
// once a millisecond as the spinner does). It reports the process CPU per
// sleep and the overshoot's percentiles.
func BenchmarkSleep(b *testing.B) {
	sleepers := []struct {
		name  string
		sleep func(time.Duration)
	}{
		{"go-timer", time.Sleep},
		{"precise", func(d time.Duration) { preciseSleep(d) }},
	}
	for _, gap := range []time.Duration{time.Millisecond, 100 * time.Microsecond} {
		for _, s := range sleepers {
			b.Run(fmt.Sprintf("%s/gap=%v", s.name, gap), func(b *testing.B) {
				hist := hdrhistogram.New(1, int64(time.Second), 3)
				c0, t0 := cpuTime(), time.Now()
				yieldAt := t0
				for i := 1; i <= b.N; i++ {
					due := t0.Add(time.Duration(i) * gap)
					now := time.Now()
					if now.Sub(yieldAt) >= yieldEvery {
						runtime.Gosched()
						yieldAt = now
					}
					if d := time.Until(due); d > 0 {
						s.sleep(d)
					}
					hist.RecordValue(int64(time.Since(due)))
				}
				cpu, wall := cpuTime()-c0, time.Since(t0)
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/sleep")
				b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "%core")
				b.ReportMetric(float64(hist.ValueAtQuantile(50))/1e3, "p50-over-µs")
				b.ReportMetric(float64(hist.ValueAtQuantile(99))/1e3, "p99-over-µs")
			})
		}
	}
}
