package host

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// exitCodeTimeout is the exit code the watchdog closes an overrunning
// instance with; the guest's call then fails with a sys.ExitError carrying it.
const exitCodeTimeout = 0xdead0001

const (
	wdArmed  = 1
	wdKilled = 2
)

// watchdog stops overrunning invocations for TimeoutWatchdog (raising the
// instance's stop flag) and TimeoutClose (closing its module). It keeps a
// coarse clock (a tick counter) so that arming an invocation costs one
// atomic load and one atomic store, and disarming one compare-and-swap: no
// clock read, no goroutine, no allocation per invocation.
type watchdog struct {
	tick       atomic.Uint64
	period     time.Duration
	limitTicks uint64

	mu    sync.Mutex
	insts map[*instance]struct{}

	quit chan struct{}
	done chan struct{}
}

func startWatchdog(timeout time.Duration) *watchdog {
	period := timeout / 8
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
			if s&wdArmed == 0 || s&wdKilled != 0 {
				continue
			}
			// An invocation armed at tick t0 has run more than
			// (now-t0-1) periods; kill only when that exceeds the timeout.
			if now-(s>>2) > w.limitTicks && inst.wd.CompareAndSwap(s, s|wdKilled) {
				if inst.stop != nil {
					// Instrumented guest: zero fuel makes its next
					// function-entry check take the slow path and trap; a
					// loop reads the flag within stopcheck.LoopStride
					// iterations.
					inst.stop.Set(1)
					inst.fuel.Set(0)
				} else {
					_ = inst.mod.CloseWithExitCode(context.Background(), exitCodeTimeout)
				}
			}
		}
		w.mu.Unlock()
	}
}

func (w *watchdog) stop() {
	close(w.quit)
	<-w.done
}

func (w *watchdog) register(inst *instance) {
	w.mu.Lock()
	w.insts[inst] = struct{}{}
	w.mu.Unlock()
}

func (w *watchdog) unregister(inst *instance) {
	w.mu.Lock()
	delete(w.insts, inst)
	w.mu.Unlock()
}

// arm marks inst as running from now and returns the word to disarm with.
func (w *watchdog) arm(inst *instance) uint64 {
	s := w.tick.Load()<<2 | wdArmed
	inst.wd.Store(s)
	return s
}

// disarm marks inst idle; false means the watchdog killed it.
func (w *watchdog) disarm(inst *instance, s uint64) bool {
	return inst.wd.CompareAndSwap(s, 0)
}
