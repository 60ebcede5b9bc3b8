// Package executor issues invocations on a schedule: open loop
// (constant-arrival-rate, ramping-arrival-rate: every invocation has an
// intended start; one that finds no free worker is dropped; response time is
// measured from the intended start) or closed loop (N workers back to back).
//
// The invocation itself is a Worker supplied by the caller, so the
// scheduling can be tested and benchmarked with a cheap function.
package executor

import (
	"context"
	"fmt"
	"math"
	"runtime"
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
	// SpinBelow is how close to a start the dispatcher stops sleeping and
	// spins (yielding); 0 = Calibrate's value; < 0 = never spin (sleep
	// only: much less CPU, starts only as precise as the Go timer).
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
	// (closed loop: intended == started).
	Do(ctx context.Context, seq int64, intended, started time.Time)
}

// Stats are live counters, safe to read while Run is going (progress).
type Stats struct {
	Scheduled atomic.Int64 // starts that came due (open loop) or iterations begun (closed)
	Started   atomic.Int64
	Completed atomic.Int64
	Dropped   atomic.Int64 // open loop: no free worker at the intended start
	Late      atomic.Int64 // started later than LateTolerance after the intended start
}

// DropFunc is told about each dropped start (called by the dispatcher goroutine).
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

type job struct {
	seq      int64
	intended time.Time
}

func runOpen(ctx context.Context, cfg Config, s *schedule, workers []Worker, stats *Stats, drop DropFunc) {
	// Each worker parks on its own channel; idle ones wait on a stack. The
	// dispatcher hands a start to the most recently idle worker, so at a
	// rate a few workers can serve, the same few run again and again with
	// their stacks, recorders and histograms warm in cache, instead of the
	// start going round all max_in_flight workers as a shared channel's FIFO
	// of receivers would make it. A start that comes due while every worker
	// is busy is dropped.
	pool := newIdleStack(len(workers))
	var wg sync.WaitGroup
	tol := cfg.LateTolerance
	slots := make([]*workerSlot, len(workers))
	for i, w := range workers {
		sl := &workerSlot{jobs: make(chan job, 1)}
		slots[i] = sl
		pool.push(sl)
		wg.Add(1)
		go func(w Worker, sl *workerSlot) {
			defer wg.Done()
			for j := range sl.jobs {
				started := time.Now()
				stats.Started.Add(1)
				if started.Sub(j.intended) > tol {
					stats.Late.Add(1)
				}
				w.Do(ctx, j.seq, j.intended, started)
				stats.Completed.Add(1)
				pool.push(sl)
			}
		}(w, sl)
	}
	sp := spinner{window: cfg.SpinBelow}
	if cfg.SpinBelow == 0 {
		sp = spinner{window: Calibrate(), adaptive: true}
	}
	sp.window = max(sp.window, 0)
	start := time.Now()
	for seq := int64(0); ; seq++ {
		off, ok := s.offset(seq)
		if !ok {
			break
		}
		due := start.Add(off)
		if !sp.waitUntil(ctx, due) {
			break
		}
		stats.Scheduled.Add(1)
		sl := pool.pop()
		if sl == nil {
			// Workers that finished may not have been scheduled yet to
			// report it (the dispatcher shares the processors): yield once
			// before deciding that no worker is free.
			runtime.Gosched()
			sl = pool.pop()
		}
		if sl == nil {
			stats.Dropped.Add(1)
			if drop != nil {
				drop(seq, due)
			}
			continue
		}
		sl.jobs <- job{seq: seq, intended: due} // never blocks: the slot was idle
	}
	for _, sl := range slots {
		close(sl.jobs)
	}
	wg.Wait()
}

// workerSlot is one open-loop worker's private job channel.
type workerSlot struct{ jobs chan job }

// idleStack holds the idle workers, most recently idle on top.
type idleStack struct {
	mu    sync.Mutex
	slots []*workerSlot
}

func newIdleStack(n int) *idleStack { return &idleStack{slots: make([]*workerSlot, 0, n)} }

func (st *idleStack) push(sl *workerSlot) {
	st.mu.Lock()
	st.slots = append(st.slots, sl)
	st.mu.Unlock()
}

func (st *idleStack) pop() *workerSlot {
	st.mu.Lock()
	defer st.mu.Unlock()
	n := len(st.slots)
	if n == 0 {
		return nil
	}
	sl := st.slots[n-1]
	st.slots = st.slots[:n-1]
	return sl
}

// spinner waits for start times: it sleeps until window before a start,
// then spins (yielding the processor) until the start. Adaptive spinners
// learn the window from how much their own sleeps overshoot: an idle
// process wakes from time.Sleep with millisecond granularity (so it must
// spin through most gaps), a busy one within microseconds (so it can sleep
// through them and save the CPU).
type spinner struct {
	window   time.Duration
	adaptive bool
}

// Bounds of the adaptive spin window.
const (
	minSpin = 20 * time.Microsecond
	maxSpin = 2 * time.Millisecond
)

// waitUntil returns at due, or false if ctx ends first.
func (sp *spinner) waitUntil(ctx context.Context, due time.Time) bool {
	for {
		d := time.Until(due)
		if d <= 0 {
			return ctx.Err() == nil
		}
		switch {
		case d > 20*time.Millisecond:
			t := time.NewTimer(d - sp.window)
			select {
			case <-ctx.Done():
				t.Stop()
				return false
			case <-t.C:
			}
		case d > sp.window:
			target := d - sp.window
			t0 := time.Now()
			time.Sleep(target)
			if sp.adaptive {
				sp.learn(time.Since(t0) - target)
			}
		default:
			runtime.Gosched()
		}
		if ctx.Err() != nil {
			return false
		}
	}
}

// learn moves the window towards twice the observed overshoot: up at once
// (a late wake-up costs precision now), down slowly (1/64 per sleep).
func (sp *spinner) learn(over time.Duration) {
	want := min(max(2*over, minSpin), maxSpin)
	if want > sp.window {
		sp.window = want
	} else {
		sp.window -= (sp.window - want) / 64
	}
}

var (
	calibrateOnce sync.Once
	calibrated    time.Duration
)

// Calibrate measures how much time.Sleep overshoots short sleeps on this
// machine (p90 of 50 sleeps of 50µs) and returns the spin window to use:
// twice that, within [50µs, 2ms]. It is measured once per process.
func Calibrate() time.Duration {
	calibrateOnce.Do(func() {
		const n = 50
		over := make([]time.Duration, n)
		for i := range over {
			t0 := time.Now()
			time.Sleep(50 * time.Microsecond)
			over[i] = time.Since(t0) - 50*time.Microsecond
		}
		sortDurations(over)
		c := 2 * over[n*9/10]
		calibrated = min(max(c, 50*time.Microsecond), 2*time.Millisecond)
	})
	return calibrated
}

func sortDurations(d []time.Duration) {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
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

// schedule maps a start index to its offset from the beginning.
type schedule struct {
	segs []segment
}

// segment: rate goes linearly from r0 to r1 over dur, starting at offset
// at, with n0 starts before it and n starts in it.
type segment struct {
	at, dur time.Duration
	r0, r1  float64
	n0, n   float64
}

func newSchedule(cfg Config) (*schedule, error) {
	s := &schedule{}
	var at time.Duration
	var n0 float64
	add := func(r0, r1 float64, d time.Duration) {
		n := (r0 + r1) / 2 * d.Seconds()
		s.segs = append(s.segs, segment{at: at, dur: d, r0: r0, r1: r1, n0: n0, n: n})
		at += d
		n0 += n
	}
	switch cfg.Type {
	case ConstantArrivalRate:
		if cfg.Rate <= 0 || cfg.Duration <= 0 {
			return nil, fmt.Errorf("executor: constant-arrival-rate needs rate > 0 and duration > 0")
		}
		add(cfg.Rate, cfg.Rate, cfg.Duration)
	case RampingArrivalRate:
		r := cfg.StartRate
		for _, st := range cfg.Stages {
			if st.Duration <= 0 || st.Target < 0 {
				return nil, fmt.Errorf("executor: bad stage %+v", st)
			}
			add(r, st.Target, st.Duration)
			r = st.Target
		}
	}
	return s, nil
}

// offset returns when start i (0-based) is due: the time t at which the
// cumulative count of starts reaches i. ok is false past the end.
func (s *schedule) offset(i int64) (time.Duration, bool) {
	x := float64(i)
	for k := range s.segs {
		g := &s.segs[k]
		if x >= g.n0+g.n {
			continue
		}
		m := x - g.n0 // starts into this segment
		sec := g.dur.Seconds()
		a := (g.r1 - g.r0) / (2 * sec) // N(t) = r0 t + a t^2
		var t float64
		if math.Abs(a) < 1e-12 {
			t = m / g.r0
		} else {
			disc := g.r0*g.r0 + 4*a*m
			if disc < 0 {
				disc = 0
			}
			t = (-g.r0 + math.Sqrt(disc)) / (2 * a)
		}
		return g.at + time.Duration(t*1e9), true
	}
	return 0, false
}
