package host

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// exitCodeTimeout is the exit code the watchdog closes an overrunning
// instance with; the guest's call then fails with a sys.ExitError carrying it.
const exitCodeTimeout = 0xdead0001

// The watchdog word of an instance: the tick its call started at, shifted
// by wdShift, with wdArmed while the call runs (wdUntimed too if it has no
// timeout) and, once the watchdog stopped it, why.
const (
	wdArmed    = 1
	wdTimeout  = 2 // ran past Limits.InvocationTimeout
	wdCanceled = 4 // the caller's context is done
	wdClosed   = 8 // the host closed
	wdUntimed  = 16
	wdStopped  = wdTimeout | wdCanceled | wdClosed
	wdShift    = 5
)

// watchdog stops, for TimeoutWatchdog and TimeoutNone (raising the
// instance's stop flag) and TimeoutClose (closing its module), the calls
// into the guest that overrun the timeout, whose caller's context is done,
// or that run when the host closes (TimeoutNone's invocations have no
// timeout: armUntimed). It keeps a coarse clock (a tick counter) so that arming
// a call costs one atomic load and one atomic store, and disarming one
// compare-and-swap: no clock read, no goroutine, no allocation per call.
// A done context is seen within a tick (at most 100ms).
type watchdog struct {
	tick       atomic.Uint64
	period     time.Duration
	limitTicks uint64

	mu      sync.Mutex
	insts   map[*instance]struct{}
	closing bool // stopAll ran: register refuses

	quit chan struct{}
	done chan struct{}
}

// startWatchdog starts a watchdog for calls of the given timeout; 0: calls
// are stopped only when their context is done or at Close.
func startWatchdog(timeout time.Duration) *watchdog {
	period := timeout / 8
	if timeout <= 0 {
		period = 100 * time.Millisecond
	}
	if period < time.Millisecond {
		period = time.Millisecond
	}
	if period > 100*time.Millisecond {
		period = 100 * time.Millisecond
	}
	w := &watchdog{
		period:     period,
		limitTicks: uint64((timeout + period - 1) / period),
		insts:      make(map[*instance]struct{}),
		quit:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	if timeout <= 0 {
		w.limitTicks = math.MaxUint64
	}
	w.tick.Store(1)
	go w.run()
	return w
}

func (w *watchdog) run() {
	defer close(w.done)
	t := time.NewTicker(w.period)
	defer t.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-t.C:
		}
		now := w.tick.Add(1)
		w.mu.Lock()
		for inst := range w.insts {
			s := inst.wd.Load()
			if s&wdArmed == 0 || s&wdStopped != 0 {
				continue
			}
			// A call armed at tick t0 has run more than (now-t0-1)
			// periods; stop it only when that exceeds the timeout.
			why := uint64(0)
			if s&wdUntimed == 0 && now-(s>>wdShift) > w.limitTicks {
				why = wdTimeout
			} else if d, _ := inst.done.Load().(<-chan struct{}); d != nil {
				select {
				case <-d:
					why = wdCanceled
				default:
				}
			}
			if why != 0 && inst.wd.CompareAndSwap(s, s|why) {
				stopGuest(inst)
			}
		}
		w.mu.Unlock()
	}
}

// stopGuest makes inst's call fail soon. An instrumented guest: zero fuel
// makes its next function-entry check take the slow path and trap; a loop
// reads the flag within guard.LoopStride iterations. Otherwise its module
// is closed, which wazero's termination checks see.
func stopGuest(inst *instance) {
	if inst.stop != nil {
		inst.stop.Set(1)
		inst.fuel.Set(0)
	} else {
		_ = inst.mod.CloseWithExitCode(context.Background(), exitCodeTimeout)
	}
}

// stopAll stops every call in progress, as the host closes; the idle
// instances are stopped too (they are discarded anyway).
func (w *watchdog) stopAll() {
	w.mu.Lock()
	w.closing = true
	for inst := range w.insts {
		for {
			s := inst.wd.Load()
			if s&wdArmed == 0 || s&wdStopped != 0 || inst.wd.CompareAndSwap(s, s|wdClosed) {
				break
			}
		}
		stopGuest(inst)
	}
	w.mu.Unlock()
}

func (w *watchdog) stop() {
	close(w.quit)
	<-w.done
}

// register adds inst to the instances the watchdog stops; false once the
// host is closing (stopAll ran): the instance must not run.
func (w *watchdog) register(inst *instance) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closing {
		return false
	}
	w.insts[inst] = struct{}{}
	return true
}

func (w *watchdog) unregister(inst *instance) {
	w.mu.Lock()
	delete(w.insts, inst)
	w.mu.Unlock()
}

// arm marks inst as running from now and returns the word to disarm with.
func (w *watchdog) arm(inst *instance) uint64 {
	s := w.tick.Load()<<wdShift | wdArmed
	inst.wd.Store(s)
	return s
}

// armUntimed is arm for a call with no timeout (TimeoutNone's
// invocations): only its context and Close stop it.
func (w *watchdog) armUntimed(inst *instance) uint64 {
	s := w.tick.Load()<<wdShift | wdArmed | wdUntimed
	inst.wd.Store(s)
	return s
}

// disarm marks inst idle and returns 0, or why the watchdog stopped the
// call (wdTimeout, wdCanceled or wdClosed).
func (w *watchdog) disarm(inst *instance, s uint64) uint64 {
	if inst.wd.CompareAndSwap(s, 0) {
		return 0
	}
	return inst.wd.Load() & wdStopped
}
