package executor

import (
	"context"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"time"
)

// spinner waits for start times: it sleeps until shortly before a start,
// then spins (yielding the processor now and then) until the start.
//
// It sleeps with preciseSleep, in pieces of at most maxSleep: on Linux a
// clock_nanosleep that wakes tens of microseconds late for one kernel
// wake-up's CPU, where spinning through the gap would burn all of it. A
// wait shorter than the sleep's own lead plus minSleep is spun: there a
// sleep costs as much CPU as spinning and wakes too late (from 15-22k
// starts/s with cheap invocations on this VM, testdata/exec-2026-12-03.txt).
//
// An adaptive spinner learns from the overshoots of its precise sleeps.
// In sleep mode it wakes the lower quartile of the last 32 overshoots
// (at most 50µs) before a start (lead) and spins the rest when it wakes
// early: most starts are on time within microseconds, the CPU spent
// spinning is a few microseconds a start, and a late wake-up is late by
// the spread of the overshoots, not by all of it.
//
// Where the machine's sleeps cannot fit the late tolerance, it spins: it
// stops sleeping window before a start (twice the p90 of the last 32
// overshoots, 20µs to 2ms). That is decided on the calibrated overshoot
// of back-to-back sleeps (floor): when it exceeds three quarters of the
// tolerance (lateOver), as with Go timers only (no clock_nanosleep) at the
// default 1ms, or precise sleeps at a tolerance under ~50µs, the spinner
// spins while more than 32 of its last 256 sleeps (1 in 8) overshot by
// more than lateOver, and sleeps otherwise (a busy process's Go timers
// are precise). Where the floor fits, it always sleeps: late wake-ups then
// come from the machine's load, which spinning does not cure (a spinning
// thread is descheduled as well: at 1,000 starts/s and load 2, spinning
// gave a lateness p99 of 1.5ms for 70% of a core, sleeping 2.2ms for 5%)
// and which a spinning core makes worse for the flares under test.
//
// The decision counts would-be-late sleeps rather than averaging
// overshoots because overshoots are bimodal: a Go timer caught by a
// processor that is looking for work fires within microseconds, one left
// to the netpoller ~1ms late. An average of the two drifts below the
// tolerance while a third of the sleeps are still late.
type spinner struct {
	window    time.Duration // spin mode, or fixed: how close to a start sleeping stops
	adaptive  bool
	noSpin    bool                  // spin: off: sleep right up to the start
	tolerance time.Duration         // adaptive: sleeping must not make starts later than this
	lateBits  [lateRing / 64]uint64 // bit i: recent sleep i overshot by more than lateOver
	lateAt    int                   // next bit of lateBits to overwrite
	overs     [overRing]time.Duration
	overAt    int           // next slot of overs to overwrite
	lead      time.Duration // sleep mode: lower quartile of overs
	// floor is the calibrated overshoot of back-to-back sleeps: what
	// sleeping through every gap will see, unlike a probe (below).
	floor   time.Duration
	probeAt time.Time // adaptive, spinning: when to sleep through a gap to re-measure
	probing bool
	yieldAt time.Time // when waitUntil last let other goroutines run
	// sleepFn replaces preciseSleep in tests.
	sleepFn func(time.Duration) bool
}

// Sleep-or-spin decision: of the last lateRing sleeps, at most
// maxLateSleeps may have overshot by more than lateOver. The lead and
// the window are quantiles of the last overRing overshoots.
const (
	lateRing      = 256
	maxLateSleeps = 32
	overRing      = 32
)

// maxSleep bounds one precise sleep, so that a cancelled run stops
// within it. Long gaps are slept in such pieces rather than on a Go timer:
// an idle Go process spends ~18µs of CPU per millisecond slept on a timer
// here (time.Sleep(20ms): 360µs; 8ms: 170-220µs), against ~50µs for a
// whole clock_nanosleep (at 100 starts/s: 82µs a start instead of
// 370-530µs). A piece stays under 10ms: the runtime's sysmon takes the P
// of a system call that lasts 10ms, then polls every 20µs for a while
// (20ms pieces cost 0.3s of CPU in a 4s run at 1 start/s, 9ms pieces
// 0.08-0.10s, as much as the Go timer before).
const maxSleep = 9 * time.Millisecond

// minSleep is the shortest precise sleep worth taking rather than
// spinning: a kernel wake-up costs 20-35µs of CPU here, so spinning less
// than the lead plus this is no dearer, and on time.
const minSleep = 10 * time.Microsecond

// batchTolerance is the late tolerance from which a sleeping spinner
// never spins a whole gap: a gap shorter than the lead plus minSleep is
// slept through, and the starts that came due meanwhile run back to back
// on waking, late by about the overshoot (tens of µs; with Go timers
// only, ~0.5ms) for a fraction of a wake-up's CPU each. Below it, such
// gaps are spun: precise, for at most a wake-up's CPU per start.
const batchTolerance = 2 * time.Millisecond

// yieldEvery bounds how long the waiting goroutine goes without passing
// through the scheduler. A goroutine that never yields for 10ms has its
// processor taken away by the runtime's sysmon while it sleeps in the
// system call, and sysmon then polls every 20µs for a while (measured:
// +20µs of CPU a start at 1000/s). Yielding is not free either:
// runtime.Gosched wakes an idle processor's thread to look for work
// (wakep), which may take the goroutine over (~10µs of CPU here). A
// goroutine readied onto the sleeping worker's processor is taken by the
// other processor when it looks for work, or waits for the yield.
const yieldEvery = 5 * time.Millisecond

// newAdaptiveSpinner returns a spinner that starts with spin window w and
// sleep lead lead (from calibrate) and learns from its sleeps.
func newAdaptiveSpinner(w, lead, tolerance time.Duration) spinner {
	sp := spinner{window: w, adaptive: true, tolerance: tolerance, floor: w / 2}
	sp.fill(sp.floor)
	for i := range sp.overs {
		sp.overs[i] = lead
	}
	sp.lead = lead
	return sp
}

// lateOver is the overshoot beyond which a sleep may make its start late.
func (sp *spinner) lateOver() time.Duration { return sp.tolerance * 3 / 4 }

// fill replaces every recent overshoot with over in the sleep-or-spin
// decision.
func (sp *spinner) fill(over time.Duration) {
	v := uint64(0)
	if over > sp.lateOver() {
		v = ^uint64(0)
	}
	for i := range sp.lateBits {
		sp.lateBits[i] = v
	}
}

// lateSleeps is how many of the recent sleeps overshot by more than
// lateOver.
func (sp *spinner) lateSleeps() int {
	n := 0
	for _, b := range sp.lateBits {
		n += bits.OnesCount64(b)
	}
	return n
}

// sleeping reports whether an adaptive spinner is in sleep mode.
func (sp *spinner) sleeping() bool {
	if !sp.adaptive || sp.tolerance <= 0 {
		return false
	}
	return sp.floor <= sp.lateOver() || sp.lateSleeps() <= maxLateSleeps
}

// probeEvery is how often a spinning adaptive spinner sleeps through one
// gap to see whether sleeps have become precise enough for the tolerance.
// A probe that oversleeps by ~1ms makes the starts of that millisecond
// late: every 100ms that was 1% of the starts at any rate (the p99 of the
// start error); every second it is 0.1%.
//
// A probe is not a sample of sleeping, though: a Go timer after spinning
// wakes within ~50µs nearly every time on an idle machine, where sleeps
// back to back wake ~1ms late one time in three. So a probe is one sample
// among the last 256 sleeps, not a reason to resume sleeping.
const probeEvery = time.Second

// Bounds of the adaptive spin window.
const (
	minSpin = 20 * time.Microsecond
	maxSpin = 2 * time.Millisecond
)

// maxLead bounds the sleep-mode lead. On a loaded machine the overshoots
// grow (a p25 of 100µs and more at load 8), and a lead that large made a
// 100µs gap (10,000 starts/s) too short to sleep in, so it was spun:
// three times the CPU, for starts that the load made late anyway. Quiet,
// the lead is 20-60µs.
const maxLead = 50 * time.Microsecond

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
	// through: a gap too short for a sleep that wakes the lead early is
	// slept through, not spun.
	through := sp.noSpin || (sp.sleeping() && sp.tolerance >= batchTolerance)
	slept := false
	if sp.adaptive && sp.tolerance > 0 && !sp.sleeping() {
		// While spinning there are no sleeps to learn from: now and
		// then sleep through one gap (see probeEvery). That start may be
		// late by the overshoot.
		if sp.probeAt.IsZero() {
			sp.probeAt = due.Add(probeEvery)
		} else if due.After(sp.probeAt) {
			w, sp.probing, through = 0, true, true
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
		sleep, thru := d-w, false
		if sleep < minSleep && through && (!slept || sp.noSpin) {
			sleep, thru = d, true
		}
		switch {
		case sleep >= minSleep || thru:
			if now.Sub(sp.yieldAt) >= yieldEvery {
				runtime.Gosched()
				sp.yieldAt = now
				continue // the yield may have taken a while
			}
			if sleep > maxSleep {
				sp.sleep(maxSleep)
				break
			}
			full := sp.sleep(sleep)
			slept = true
			if sp.adaptive && full {
				over := time.Since(now) - sleep
				sp.learn(over)
				if sp.probing {
					sp.probing = false
					sp.probeAt = due.Add(probeEvery)
				}
			}
		default:
			if n%spinYield != 0 {
				continue
			}
			runtime.Gosched()
			sp.yieldAt = now
		}
		if ctx.Err() != nil {
			return now, false
		}
	}
}

// sleep sleeps precisely for d (preciseSleep); false if cut short.
func (sp *spinner) sleep(d time.Duration) bool {
	if sp.sleepFn != nil {
		return sp.sleepFn(d)
	}
	return preciseSleep(d)
}

// spinWindow is how close to a start waitUntil stops sleeping and spins:
// the lead in sleep mode, else the window.
func (sp *spinner) spinWindow() time.Duration {
	if sp.sleeping() {
		return sp.lead
	}
	return sp.window
}

// learn records an overshoot: for the sleep-or-spin decision, and in the
// ring of overshoots whose lower quartile is the sleep-mode lead and
// whose p90, doubled, the spin window (both recomputed once per turn of
// the ring, 32 sleeps).
func (sp *spinner) learn(over time.Duration) {
	word, bit := sp.lateAt/64, uint64(1)<<(sp.lateAt%64)
	if over > sp.lateOver() {
		sp.lateBits[word] |= bit
	} else {
		sp.lateBits[word] &^= bit
	}
	sp.lateAt = (sp.lateAt + 1) % lateRing
	sp.overs[sp.overAt] = over
	sp.overAt = (sp.overAt + 1) % overRing
	if sp.overAt == 0 && sp.adaptive {
		s := sp.overs
		slices.Sort(s[:])
		sp.lead = min(max(s[overRing/4-1], 0), maxLead)
		sp.window = min(max(2*s[overRing*9/10-1], minSpin), maxSpin)
	}
}

var (
	calibrateOnce  sync.Once
	calibrated     time.Duration
	calibratedLead time.Duration
)

// Calibrate measures how much a precise sleep (see preciseSleep)
// overshoots short sleeps on this machine (50 sleeps of 50µs) and returns
// the spin window to use when sleeps do not fit the late tolerance: twice
// the p90, within [50µs, 2ms]. It is measured once per process.
func Calibrate() time.Duration {
	calibrateOnce.Do(func() {
		const n = 50
		over := make([]time.Duration, 0, n)
		for len(over) < n {
			t0 := time.Now()
			if preciseSleep(50 * time.Microsecond) {
				over = append(over, time.Since(t0)-50*time.Microsecond)
			}
		}
		slices.Sort(over)
		calibrated = min(max(2*over[n*9/10], 50*time.Microsecond), maxSpin)
		calibratedLead = min(max(over[n/4], 0), maxLead)
	})
	return calibrated
}
