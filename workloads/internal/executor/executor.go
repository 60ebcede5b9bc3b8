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
	"math/bits"
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
	// SpinBelow is how close to a start the worker waiting for it stops
	// sleeping and spins (yielding); 0 = Calibrate's value; < 0 = never spin (sleep
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

func runOpen(ctx context.Context, cfg Config, s *schedule, workers []Worker, stats *Stats, drop DropFunc) {
	sp := spinner{window: cfg.SpinBelow}
	if cfg.SpinBelow == 0 {
		w := Calibrate()
		sp = newAdaptiveSpinner(w, cfg.LateTolerance)
	}
	sp.window = max(sp.window, 0)
	ol := &openLoop{ctx: ctx, cfg: cfg, s: s, stats: stats, drop: drop, sp: sp,
		budget: min(max(cfg.LateTolerance/4, minBudget), maxBudget)}
	ol.slots = make([]*openSlot, len(workers))
	for i, w := range workers {
		ol.slots[i] = &openSlot{w: w, wake: make(chan struct{}, 1)}
	}
	ol.start = time.Now()
	// Worker 0 starts with the lead; the others start parked (idle, most
	// recently idle on top: worker 1 is the first to be woken).
	for i := len(ol.slots) - 1; i >= 1; i-- {
		sl := ol.slots[i]
		sl.freeAt = ol.start
		ol.idle = append(ol.idle, sl)
	}
	ol.idleN.Store(int32(len(ol.idle)))
	var wg sync.WaitGroup
	for i, sl := range ol.slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ol.work(sl, i == 0)
		}()
	}
	wg.Wait()
}

// openLoop runs an open-loop schedule without a dispatcher: the workers
// claim the starts themselves, in order.
//
// At any time at most one worker holds the lead: it waits (spins or sleeps,
// see spinner) for the next start, claims it and runs it itself. Before
// running it the lead is released, either to nobody (the next worker to
// finish an invocation takes it, without parking) or, when no worker is
// expected to be free by the next start, to a parked worker, which is woken.
// So a rate one worker can serve costs no goroutine wake-up per start (the
// same worker waits, runs, waits), a rate that needs several workers in
// flight is served by the workers finishing their invocations, and parked
// workers are a reserve, woken only when invocations take longer than the
// starts' spacing (slow writes, pulls). "Expected" uses a moving average of
// the service time. A start that came due while the worker that claims it
// was still running an invocation is dropped if every other worker is
// running one too (all max_in_flight busy); if some worker is parked it is
// run, late.
//
// Nothing watches the schedule while the lead is released and every worker
// is running: an invocation that takes far longer than the average (a
// stall, a first slow write) delays the starts after it until it, or
// another worker, finishes; they are then late, not dropped, if workers
// were parked. Once invocations are slow every time, the average makes the
// lead wake parked workers ahead of time.
type openLoop struct {
	ctx    context.Context
	cfg    Config
	s      *schedule
	stats  *Stats
	drop   DropFunc
	start  time.Time
	slots  []*openSlot
	budget time.Duration // how late a start may be expected to be before a parked worker is woken for it

	// Held by the lead (handed over under mu): the next start and the spinner.
	next int64
	sp   spinner

	service     atomic.Int64 // moving average of the service time (ns)
	lastService atomic.Int64 // the last sample (ns)

	// The lead changes hands on every start, so releasing and retaking it
	// when no parked worker is involved is an atomic each, not a mutex
	// round trip; mu guards the parked workers. Only the holder of the
	// lead sets leadFree, and it always tries to retake it after its
	// invocation, so a released lead is never left without a taker.
	mu       sync.Mutex
	idle     []*openSlot  // parked workers, most recently idle on top
	idleN    atomic.Int32 // len(idle), for reads without mu
	leadFree atomic.Bool  // nobody holds the lead: the next worker to finish takes it
	done     atomic.Bool  // the schedule ended or ctx was cancelled (set under mu)
}

// Bounds of how late the next start may be expected to be before a parked
// worker is woken for it (a quarter of the late tolerance within these).
const (
	minBudget = 2 * time.Microsecond
	maxBudget = 100 * time.Microsecond
)

// openSlot is one open-loop worker.
type openSlot struct {
	w      Worker
	wake   chan struct{} // a token: take the lead (closed: exit)
	freeAt time.Time     // when the worker last became free (owned by the worker)
	// busySince: offset from ol.start (ns) at which the worker's current
	// invocation began; -1 when it runs none.
	busySince atomic.Int64
}

func (ol *openLoop) work(sl *openSlot, lead bool) {
	sl.busySince.Store(-1)
	for {
		if !lead {
			if _, ok := <-sl.wake; !ok {
				return
			}
		}
		var ok bool
		if lead, ok = ol.lead(sl); !ok {
			return
		}
	}
}

// lead runs starts while sl holds the lead. It returns whether sl holds the
// lead again after its last invocation (lead) or must park (!lead), and
// false ok when the run is over.
func (ol *openLoop) lead(sl *openSlot) (lead, ok bool) {
	st := ol.stats
	for {
		i := ol.next
		off, more := ol.s.offset(i)
		due := ol.start.Add(off)
		var now time.Time
		if more {
			now, more = ol.sp.waitUntil(ol.ctx, due)
		}
		if !more {
			ol.finish()
			return false, false
		}
		ol.next = i + 1
		st.Scheduled.Add(1)
		if sl.freeAt.After(due) && ol.noneIdle() {
			// The start came due while this worker was running an
			// invocation, and every other worker still is.
			st.Dropped.Add(1)
			if ol.drop != nil {
				ol.drop(i, due)
			}
			continue
		}
		ol.handOff(now)
		sl.busySince.Store(int64(now.Sub(ol.start)))
		st.Started.Add(1)
		if now.Sub(due) > ol.cfg.LateTolerance {
			st.Late.Add(1)
		}
		end := sl.w.Do(ol.ctx, i, due, now)
		if end.IsZero() {
			end = time.Now()
		}
		sl.busySince.Store(-1)
		sl.freeAt = end
		st.Completed.Add(1)
		ol.observeService(end.Sub(now))
		if !ol.retake(sl) {
			return false, true
		}
	}
}

// observeService updates the service-time average that handOff predicts
// with. A sample longer than 4 times the average (plus 10µs) counts only if
// the previous one was as long: one stall (a descheduled thread, a GC
// pause) does not make the lead wake parked workers for many starts after,
// while invocations that are slow every time (a slow disk, a pull) move
// the average to their duration within a few starts.
func (ol *openLoop) observeService(d time.Duration) {
	avg := ol.service.Load()
	prev := ol.lastService.Swap(int64(d))
	v := min(int64(d), max(prev, 4*avg+int64(10*time.Microsecond)))
	ol.service.Store(avg + (v-avg)/8)
}

// noneIdle reports whether every other worker is running an invocation.
func (ol *openLoop) noneIdle() bool {
	return ol.idleN.Load() == 0
}

// handOff releases the lead before its holder runs a start that began at
// now: to a parked worker if no worker is expected to be free within the
// budget of the next start (or of now, when the next start is already
// due), else to whoever finishes first.
func (ol *openLoop) handOff(now time.Time) {
	wake := false
	if off, more := ol.s.offset(ol.next); more {
		svc := ol.service.Load()
		// A worker that finishes by then takes the next start about as
		// soon as a woken one could (waking costs tens of µs too).
		at := int64(now.Sub(ol.start))
		by := max(int64(off), at) + int64(ol.budget)
		// The holder itself is expected to be free at now+svc.
		if at+svc > by {
			wake = true
			for _, o := range ol.slots {
				// A worker already running for longer than the average
				// does not count: service times with a long tail (disk
				// syncs) say nothing about when it will finish.
				if b := o.busySince.Load(); b >= 0 && b+svc >= at && b+svc <= by {
					wake = false // a running worker is expected to finish in time
					break
				}
			}
		}
	}
	if wake && ol.idleN.Load() > 0 {
		ol.mu.Lock()
		if n := len(ol.idle); n > 0 {
			w := ol.idle[n-1]
			ol.idle = ol.idle[:n-1]
			ol.idleN.Store(int32(n - 1))
			ol.mu.Unlock()
			ol.stats.Wakes.Add(1)
			w.wake <- struct{}{} // never blocks: a parked worker holds no token
			return
		}
		ol.mu.Unlock()
	}
	ol.leadFree.Store(true)
}

// retake gives sl the lead if nobody holds it; otherwise sl parks (it
// joins the idle stack, to be woken by a token on its channel).
func (ol *openLoop) retake(sl *openSlot) bool {
	if !ol.done.Load() && ol.leadFree.CompareAndSwap(true, false) {
		return true
	}
	ol.mu.Lock()
	defer ol.mu.Unlock()
	if ol.done.Load() {
		close(sl.wake)
		return false
	}
	// The holder may have released the lead since the first try.
	if ol.leadFree.CompareAndSwap(true, false) {
		return true
	}
	ol.idle = append(ol.idle, sl)
	ol.idleN.Store(int32(len(ol.idle)))
	return false
}

// finish ends the run: parked workers exit, running ones exit when their
// invocation ends.
func (ol *openLoop) finish() {
	ol.mu.Lock()
	ol.done.Store(true)
	for _, sl := range ol.idle {
		close(sl.wake)
	}
	ol.idle = nil
	ol.idleN.Store(0)
	ol.mu.Unlock()
}

// spinner waits for start times: it sleeps until window before a start,
// then spins (yielding the processor) until the start. Adaptive spinners
// learn the window from how much their own sleeps overshoot: an idle
// process wakes from time.Sleep with millisecond granularity (so it must
// spin through most gaps), a busy one within microseconds (so it can sleep
// through them and save the CPU).
//
// An adaptive spinner does not spin at all while its recent sleeps would
// have made no start late: while at most one of the last 32 overshot by
// more than three quarters of the late tolerance (lateOver). Spinning would
// then only burn CPU (at 100k starts/s it is most of a core). An idle Go
// process wakes from back-to-back sub-millisecond sleeps ~1ms late one
// time in three, so with the default 1ms tolerance it spins.
//
// The decision counts would-be-late sleeps rather than averaging
// overshoots because overshoots are bimodal: a timer caught by a processor
// that is looking for work fires within microseconds, one left to the
// netpoller ~1ms late. An average of the two drifts below the tolerance
// while a third of the sleeps are still late. One stall is forgiven, so a
// single preemption does not switch to spinning for thousands of starts.
type spinner struct {
	window    time.Duration
	adaptive  bool
	tolerance time.Duration // adaptive: sleeping must not make starts later than this
	lateBits  uint32        // bit i: recent sleep i overshot by more than lateOver
	recentAt  int           // next bit of lateBits to overwrite
	// floor is the calibrated overshoot of back-to-back sleeps: what
	// sleeping through every gap will see, unlike a probe (below).
	floor      time.Duration
	goodProbes int       // precise probes in a row
	probeAt    time.Time // adaptive, spinning: when to sleep through a gap to re-measure
	probing    bool
}

// Sleep-or-spin decision: of the last overRing sleeps, at most
// maxLateSleeps may have overshot by more than lateOver.
const (
	overRing      = 32 // the bits of lateBits
	maxLateSleeps = 1
)

// newAdaptiveSpinner returns a spinner that starts with spin window w
// (from Calibrate: twice the calibrated overshoot) and learns from its
// sleeps.
func newAdaptiveSpinner(w, tolerance time.Duration) spinner {
	sp := spinner{window: w, adaptive: true, tolerance: tolerance, floor: w / 2}
	sp.fill(sp.floor)
	return sp
}

// lateOver is the overshoot beyond which a sleep may make its start late.
func (sp *spinner) lateOver() time.Duration { return sp.tolerance * 3 / 4 }

// fill replaces every recent overshoot with over.
func (sp *spinner) fill(over time.Duration) {
	sp.lateBits = 0
	if over > sp.lateOver() {
		sp.lateBits = ^uint32(0)
	}
}

// lateSleeps is how many of the recent sleeps overshot by more than
// lateOver.
func (sp *spinner) lateSleeps() int { return bits.OnesCount32(sp.lateBits) }

// probeEvery is how often a spinning adaptive spinner sleeps through one
// gap to see whether sleeps have become precise enough for the tolerance.
// A probe that oversleeps by ~1ms makes the starts of that millisecond
// late: every 100ms that was 1% of the starts at any rate (the p99 of the
// start error); every second it is 0.1%.
//
// A probe is not a sample of sleeping, though: a sleep after spinning
// wakes within ~50µs nearly every time on an idle machine, where sleeps
// back to back (sleep mode) wake ~1ms late one time in three. So probes
// resume sleeping only where the calibrated overshoot of back-to-back
// sleeps fits the tolerance (the spinner spins because of recent stalls,
// not because of the machine's timers): there, after probesToResume
// precise probes quickProbe apart, it sleeps again. Elsewhere (the idle
// default of 1ms) a probe is one sample among the last 32 sleeps, so
// precise probes switch to sleeping at most every half minute, each switch
// costing the ~2ms of late starts that the next sleeps take to switch back.
const (
	probeEvery     = time.Second
	quickProbe     = 20 * time.Millisecond
	probesToResume = 4
)

// Bounds of the adaptive spin window.
const (
	minSpin = 20 * time.Microsecond
	maxSpin = 2 * time.Millisecond
)

// spinYield is how many clock reads a spinning wait makes between
// yields of the processor (and checks of ctx): ~50µs at ~50ns a read.
// runtime.Gosched on every iteration would make each one a trip through
// the scheduler, which also wakes an idle processor to look for work
// (wakep): spinning that way kept both processors busy.
const spinYield = 1024

// waitUntil returns at due, with the time it read then, or false if ctx
// ends first.
func (sp *spinner) waitUntil(ctx context.Context, due time.Time) (time.Time, bool) {
	w := sp.spinWindow()
	if sp.adaptive && w > 0 && sp.tolerance > 0 {
		// While spinning there are no sleeps to learn from: now and
		// then sleep through one gap (see probeEvery). That start may be
		// late by the overshoot.
		if sp.probeAt.IsZero() {
			sp.probeAt = due.Add(probeEvery)
		} else if due.After(sp.probeAt) {
			w, sp.probing = 0, true
		}
	}
	for n := 1; ; n++ {
		// time.Until reads only the monotonic clock (due has a
		// monotonic reading): cheaper than time.Now, which also reads the
		// wall clock.
		d := time.Until(due)
		now := due.Add(-d)
		if d <= 0 {
			return now, ctx.Err() == nil
		}
		switch {
		case d > 20*time.Millisecond:
			t := time.NewTimer(d - w)
			select {
			case <-ctx.Done():
				t.Stop()
				return now, false
			case <-t.C:
			}
		case d > w:
			target := d - w
			time.Sleep(target)
			if sp.adaptive {
				over := time.Since(now) - target
				sp.learn(over)
				if sp.probing {
					sp.probing = false
					sp.probeAt = due.Add(sp.nextProbe(over))
				}
			}
		default:
			if n%spinYield != 0 {
				continue
			}
			runtime.Gosched()
		}
		if ctx.Err() != nil {
			return now, false
		}
	}
}

// spinWindow is how close to a start waitUntil stops sleeping and spins.
func (sp *spinner) spinWindow() time.Duration {
	if sp.adaptive && sp.tolerance > 0 && sp.lateSleeps() <= maxLateSleeps {
		return 0
	}
	return sp.window
}

// nextProbe takes a probe that overshot by over (already learned) and
// returns how long after it the next one is due.
func (sp *spinner) nextProbe(over time.Duration) time.Duration {
	if sp.floor > sp.lateOver() || over > sp.lateOver() {
		sp.goodProbes = 0
		return probeEvery
	}
	if sp.goodProbes++; sp.goodProbes >= probesToResume {
		sp.goodProbes = 0
		sp.fill(over) // sleep again
	}
	return quickProbe
}

// learn records an overshoot for the sleep-or-spin decision and moves the
// window towards twice it: up at once (a late wake-up costs precision
// now), down slowly (1/64 per sleep).
func (sp *spinner) learn(over time.Duration) {
	bit := uint32(1) << sp.recentAt
	if over > sp.lateOver() {
		sp.lateBits |= bit
	} else {
		sp.lateBits &^= bit
	}
	sp.recentAt = (sp.recentAt + 1) % overRing
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
