package executor

import (
	"context"
	"math/bits"
	"runtime"
	"sync"
	"time"
)

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
