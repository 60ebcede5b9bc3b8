package executor

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestSpinnerSleepOrSpin: which gaps a spinner sleeps through and which
// it spins, with a sleeper that overshoots by a steady 20µs (so that the
// adaptive spinner stays in sleep mode whatever the machine is doing; its
// lead becomes ~20µs). Sleep mode sleeps once a gap, waking the lead
// early, where the gap leaves room for a sleep; a gap shorter than the
// lead plus minSleep is spun at the default tolerance and slept through
// from batchTolerance on; spin: off never spins; a fixed window sleeps
// until the window before the start.
func TestSpinnerSleepOrSpin(t *testing.T) {
	const us = time.Microsecond
	const ms = time.Millisecond
	adaptive := func(tol time.Duration) spinner { return newAdaptiveSpinner(100*us, 20*us, tol) }
	tests := []struct {
		name     string
		sp       spinner
		gap      time.Duration
		starts   int
		sleeps   [2]int           // sleeps wanted: at least, at most
		median   [2]time.Duration // median sleep asked for: at least, at most
		wantLead time.Duration    // the lead afterwards, ±10µs (0: not checked)
	}{
		{"1ms gaps, adaptive: one sleep a gap, waking the lead early", adaptive(ms), ms, 100, [2]int{95, 110}, [2]time.Duration{900 * us, ms - 15*us}, 20 * us},
		{"200µs gaps, adaptive: one sleep a gap", adaptive(ms), 200 * us, 200, [2]int{190, 220}, [2]time.Duration{120 * us, 200*us - 15*us}, 20 * us},
		{"20µs gaps, 1ms tolerance: spun", adaptive(ms), 20 * us, 500, [2]int{0, 10}, [2]time.Duration{0, ms}, 0},
		{"20µs gaps, 3ms tolerance: slept through", adaptive(3 * ms), 20 * us, 500, [2]int{475, 525}, [2]time.Duration{1, 20 * us}, 0},
		{"20µs gaps, spin off: slept through", spinner{noSpin: true}, 20 * us, 500, [2]int{475, 525}, [2]time.Duration{1, 20 * us}, 0},
		{"1ms gaps, fixed 300µs: sleep until 300µs before", spinner{window: 300 * us}, ms, 100, [2]int{95, 110}, [2]time.Duration{600 * us, 700 * us}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := tt.sp
			var asked []time.Duration
			sp.sleepFn = func(d time.Duration) bool {
				asked = append(asked, d)
				for t0 := time.Now(); time.Since(t0) < d+20*us; {
				}
				return true
			}
			// Each start a gap after the previous one ended, so that a
			// stall of a busy machine leaves the next wait its gap.
			for range tt.starts {
				if _, ok := sp.waitUntil(context.Background(), time.Now().Add(tt.gap)); !ok {
					t.Fatal("waitUntil: cancelled")
				}
			}
			if n := len(asked); n < tt.sleeps[0] || n > tt.sleeps[1] {
				t.Errorf("%d sleeps for %d starts, want %d-%d", n, tt.starts, tt.sleeps[0], tt.sleeps[1])
			}
			if len(asked) > 0 {
				slices.Sort(asked)
				if m := asked[len(asked)/2]; m < tt.median[0] || m > tt.median[1] {
					t.Errorf("median sleep %v, want %v-%v", m, tt.median[0], tt.median[1])
				}
			}
			if tt.wantLead > 0 && (sp.lead < tt.wantLead-10*us || sp.lead > tt.wantLead+10*us) {
				t.Errorf("lead %v, want ~%v", sp.lead, tt.wantLead)
			}
		})
	}
}

// TestSpinnerLeadBounded: overshoots that grow with the machine's load do
// not grow the lead past maxLead, so a 100µs gap is still slept in.
func TestSpinnerLeadBounded(t *testing.T) {
	sp := newAdaptiveSpinner(100*time.Microsecond, 20*time.Microsecond, time.Millisecond)
	for range overRing {
		sp.learn(300 * time.Microsecond)
	}
	if sp.lead != maxLead || !sp.sleeping() {
		t.Errorf("lead %v sleeping %v after 300µs overshoots, want %v, sleeping", sp.lead, sp.sleeping(), maxLead)
	}
}

// TestCancelDuringLongGap: a run whose next start is 10s away stops soon
// after its context is cancelled (a precise sleep lasts at most maxSleep).
func TestCancelDuringLongGap(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	ws, _ := workers(2, 0, nil)
	t0 := time.Now()
	if err := Run(ctx, Config{Type: ConstantArrivalRate, Rate: 0.1, Duration: time.Hour, MaxInFlight: 2}, ws, nil, nil); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(t0); el > 50*time.Millisecond+10*maxSleep {
		t.Errorf("stopped %v after the start, cancelled at 50ms", el)
	}
}
