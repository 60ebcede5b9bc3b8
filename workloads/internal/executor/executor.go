package executor

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Types of executors.
const (
	ConstantArrivalRate = "constant-arrival-rate"
	RampingArrivalRate  = "ramping-arrival-rate"
	Closed              = "closed"
)

// Stage is one linear ramp to Target (per second) over Duration.
type Stage struct {
	Target   float64
	Duration time.Duration
}

// Config configures one scenario's executor.
type Config struct {
	Type          string
	Rate          float64 // per second
	StartRate     float64
	Stages        []Stage
	Duration      time.Duration // constant-arrival-rate, closed (0 with Iterations: unbounded)
	MaxInFlight   int           // open loop workers
	LateTolerance time.Duration // a later start counts as late
	VUs           int           // closed workers
	Iterations    int64         // closed: total over all workers
	// SpinBelow is how close to a start the worker waiting for it stops
	// sleeping and spins (yielding); 0 = adaptive (see spinner); < 0 =
	// never spin (sleep up to each start: starts as precise as the sleep,
	// tens of µs with clock_nanosleep; gaps shorter than a wake-up are
	// slept through and their starts run back to back).
	SpinBelow time.Duration
}

// Workers returns how many Workers Run needs.
func (c *Config) Workers() int {
	if c.Type == Closed {
		return c.VUs
	}
	return c.MaxInFlight
}

// Worker runs invocations; each Worker is used by one goroutine at a time.
type Worker interface {
	// Do runs invocation seq, scheduled for intended and begun at started
	// (closed loop: intended == started). It returns when the invocation
	// ended if it read the clock for that anyway (the open loop then reads
	// it once per start, not twice), or the zero Time.
	Do(ctx context.Context, seq int64, intended, started time.Time) (end time.Time)
}

// Stats are live counters, safe to read while Run is going (progress).
type Stats struct {
	Scheduled atomic.Int64 // starts that came due (open loop) or iterations begun (closed)
	Started   atomic.Int64
	Completed atomic.Int64
	Dropped   atomic.Int64 // open loop: no free worker at the intended start
	Late      atomic.Int64 // started later than LateTolerance after the intended start
	Wakes     atomic.Int64 // open loop: parked workers woken to take the lead (not one per start)
}

// DropFunc is told about each dropped start. It is called by the worker
// goroutine that holds the open-loop lead at the time, never concurrently.
type DropFunc func(seq int64, intended time.Time)

// Run drives workers according to cfg until the schedule ends, the
// duration passes or ctx is cancelled; in-flight invocations always finish
// (graceful stop). workers must have cfg.Workers() elements.
func Run(ctx context.Context, cfg Config, workers []Worker, stats *Stats, drop DropFunc) error {
	if len(workers) != cfg.Workers() || len(workers) == 0 {
		return fmt.Errorf("executor: %d workers for %d needed", len(workers), cfg.Workers())
	}
	if stats == nil {
		stats = &Stats{}
	}
	switch cfg.Type {
	case Closed:
		runClosed(ctx, cfg, workers, stats)
		return nil
	case ConstantArrivalRate, RampingArrivalRate:
		s, err := newSchedule(cfg)
		if err != nil {
			return err
		}
		runOpen(ctx, cfg, s, workers, stats, drop)
		return nil
	}
	return fmt.Errorf("executor: unknown type %q", cfg.Type)
}

func runClosed(ctx context.Context, cfg Config, workers []Worker, stats *Stats) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var deadline time.Time
	if cfg.Duration > 0 {
		deadline = time.Now().Add(cfg.Duration)
	}
	for _, w := range workers {
		wg.Add(1)
		go func(w Worker) {
			defer wg.Done()
			for ctx.Err() == nil {
				now := time.Now()
				if !deadline.IsZero() && !now.Before(deadline) {
					return
				}
				seq := next.Add(1) - 1
				if cfg.Iterations > 0 && seq >= cfg.Iterations {
					return
				}
				stats.Scheduled.Add(1)
				stats.Started.Add(1)
				w.Do(ctx, seq, now, now)
				stats.Completed.Add(1)
			}
		}(w)
	}
	wg.Wait()
}
