package executor

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

func runOpen(ctx context.Context, cfg Config, s *schedule, workers []Worker, stats *Stats, drop DropFunc) {
	sp := spinner{window: max(cfg.SpinBelow, 0), noSpin: cfg.SpinBelow < 0}
	if cfg.SpinBelow == 0 {
		w := Calibrate()
		sp = newAdaptiveSpinner(w, calibratedLead, cfg.LateTolerance)
	}
	ol := &openLoop{ctx: ctx, cfg: cfg, s: s, stats: stats, drop: drop, sp: sp,
		budget: min(max(cfg.LateTolerance/4, minBudget), maxBudget)}
	ol.watch = time.AfterFunc(time.Hour, ol.watchdog)
	ol.watch.Stop()
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
// At any time at most one worker holds the lead: it waits (see spinner)
// for the next start, claims it and runs it itself. Before running it the
// lead is released, either to nobody (the next worker to finish an
// invocation takes it, without parking) or, when no worker is expected to
// be free by the next start, to a parked worker, which is woken. So a
// rate one worker can serve costs no goroutine wake-up per start (the
// same worker waits, runs, waits), a rate that needs several workers in
// flight is served by the workers finishing their invocations, and parked
// workers are a reserve, woken only when invocations take longer than the
// starts' spacing (slow writes, pulls, a slow origin). "Expected" uses a
// moving average of the service time; until the first invocation has
// ended nothing is expected, and parked workers are woken.
//
// A prediction can be wrong: the first slow write, a stall, a service
// time that jumps. So whenever the lead is released to nobody while
// workers are parked, a timer (watch) stands guard: if nobody has taken
// the lead by the next start, it wakes a parked worker to take it. It is
// set to fire shortly before the start when the releasing worker is
// expected back long before (the woken worker then waits for the start
// itself), else just after it (that start is then late by the Go
// timer's precision, up to about a millisecond); it is stopped when the
// lead is taken in time, so it costs no wake-up then.
//
// A start that came due while the worker that claims it was still running
// an invocation is dropped if no worker is parked (all max_in_flight
// busy); otherwise it is run, late. With the watch, a worker parked when
// a start came due is woken for it, so a start is dropped only when every
// worker was busy at its intended time.
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
	served      atomic.Bool  // an invocation has ended: service means something

	// The lead changes hands on every start, so releasing and retaking it
	// when no parked worker is involved is an atomic each, not a mutex
	// round trip; mu guards the parked workers. Only the holder of the
	// lead (and the watch, under mu) sets leadFree, and the holder always
	// tries to retake it after its invocation, so a released lead is never
	// left without a taker.
	mu       sync.Mutex
	idle     []*openSlot  // parked workers, most recently idle on top
	idleN    atomic.Int32 // len(idle), for reads without mu
	leadFree atomic.Bool  // nobody holds the lead: the next worker to finish takes it
	done     atomic.Bool  // the schedule ended or ctx was cancelled (set under mu)

	watch      *time.Timer  // runs watchdog; armed while the lead is free and workers are parked
	watchArmed atomic.Bool  // watch was set since the lead was last taken
	watchAt    atomic.Int64 // when the armed watch is due (ns from start)
}

// Bounds of how late the next start may be expected to be before a parked
// worker is woken for it (a quarter of the late tolerance within these).
const (
	minBudget = 2 * time.Microsecond
	maxBudget = 100 * time.Microsecond
)

// watchLead is how long before the next start the watch fires when the
// releasing worker is expected back well before it: more than a Go
// timer's usual lateness on an idle process (~1.1ms), so that the woken
// worker is in time.
const watchLead = 1500 * time.Microsecond

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
// with. The first sample is taken as it is. After that a sample longer
// than 4 times the average (plus 10µs) counts only if the previous one was
// as long: one stall (a descheduled thread, a GC pause) does not make the
// lead wake parked workers for many starts after, while invocations that
// are slow every time (a slow disk, a pull) move the average to their
// duration within a few starts.
func (ol *openLoop) observeService(d time.Duration) {
	if !ol.served.Load() && ol.served.CompareAndSwap(false, true) {
		ol.service.Store(int64(d))
		ol.lastService.Store(int64(d))
		return
	}
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
// due), else to whoever finishes first, with the watch set if workers are
// parked.
func (ol *openLoop) handOff(now time.Time) {
	at := int64(now.Sub(ol.start))
	off, more := ol.s.offset(ol.next)
	next := int64(off)
	svc := ol.service.Load()
	if more && ol.idleN.Load() > 0 && !ol.freeInTime(at, next, svc) && ol.wakeParked() {
		return
	}
	ol.leadFree.Store(true)
	// A worker that parks after this load finds the lead free (retake
	// looks again after parking) and takes it.
	if more && ol.idleN.Load() > 0 {
		ol.arm(at, next, svc)
	}
}

// freeInTime reports whether some worker, the holder included (free at
// at+svc), is expected to be free within the budget of the next start, by
// a margin of an eighth of the service time for its variation.
func (ol *openLoop) freeInTime(at, next, svc int64) bool {
	if !ol.served.Load() {
		return false
	}
	// A worker that finishes by then takes the next start about as soon
	// as a woken one could (waking costs tens of µs too).
	by := max(next, at) + int64(ol.budget) - svc/8
	if at+svc <= by {
		return true
	}
	for _, o := range ol.slots {
		// A worker already running for longer than the average does
		// not count: service times with a long tail (disk syncs) say
		// nothing about when it will finish.
		if b := o.busySince.Load(); b >= 0 && b+svc >= at && b+svc <= by {
			return true
		}
	}
	return false
}

// wakeParked hands the lead to the most recently parked worker; false if
// there is none.
func (ol *openLoop) wakeParked() bool {
	ol.mu.Lock()
	n := len(ol.idle)
	if n == 0 {
		ol.mu.Unlock()
		return false
	}
	w := ol.idle[n-1]
	ol.idle = ol.idle[:n-1]
	ol.idleN.Store(int32(n - 1))
	ol.mu.Unlock()
	ol.stats.Wakes.Add(1)
	w.wake <- struct{}{} // never blocks: a parked worker holds no token
	return true
}

// arm sets the watch for the next start (at next, ns from start) after
// the lead was released at at by a worker expected to run for svc.
func (ol *openLoop) arm(at, next, svc int64) {
	due := max(next, at) + int64(ol.budget)
	if early := next - int64(watchLead); early > at+2*svc+int64(50*time.Microsecond) {
		due = early
	}
	ol.watchAt.Store(due)
	ol.watchArmed.Store(true)
	ol.watch.Reset(time.Duration(due - at))
}

// watchdog runs when the watch fires: if the lead is still free and a
// worker is parked, it hands the lead to that worker.
func (ol *openLoop) watchdog() {
	ol.mu.Lock()
	if ol.done.Load() || len(ol.idle) == 0 ||
		// Fired for an earlier release; the watch is set again.
		int64(time.Since(ol.start)) < ol.watchAt.Load() ||
		!ol.leadFree.CompareAndSwap(true, false) {
		ol.mu.Unlock()
		return
	}
	ol.watchArmed.Store(false)
	n := len(ol.idle)
	w := ol.idle[n-1]
	ol.idle = ol.idle[:n-1]
	ol.idleN.Store(int32(n - 1))
	ol.mu.Unlock()
	ol.stats.Wakes.Add(1)
	w.wake <- struct{}{}
}

// retake gives sl the lead if nobody holds it; otherwise sl parks (it
// joins the idle stack, to be woken by a token on its channel).
func (ol *openLoop) retake(sl *openSlot) bool {
	if !ol.done.Load() && ol.leadFree.CompareAndSwap(true, false) {
		ol.disarm()
		return true
	}
	ol.mu.Lock()
	defer ol.mu.Unlock()
	if ol.done.Load() {
		close(sl.wake)
		return false
	}
	ol.idle = append(ol.idle, sl)
	ol.idleN.Store(int32(len(ol.idle)))
	// The holder may have released the lead since the first try, and
	// (having seen no parked worker) not set the watch: take it.
	if ol.leadFree.CompareAndSwap(true, false) {
		ol.idle = ol.idle[:len(ol.idle)-1]
		ol.idleN.Store(int32(len(ol.idle)))
		ol.disarm()
		return true
	}
	return false
}

// disarm stops the watch after the lead was taken in time.
func (ol *openLoop) disarm() {
	if ol.watchArmed.Load() && ol.watchArmed.Swap(false) {
		ol.watch.Stop()
	}
}

// finish ends the run: parked workers exit, running ones exit when their
// invocation ends.
func (ol *openLoop) finish() {
	ol.mu.Lock()
	ol.done.Store(true)
	ol.watch.Stop()
	for _, sl := range ol.idle {
		close(sl.wake)
	}
	ol.idle = nil
	ol.idleN.Store(0)
	ol.mu.Unlock()
}
