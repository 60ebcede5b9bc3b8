package reports

import (
	"sync"
	"sync/atomic"
	"time"
)

// clockTick is the resolution of the coarse clock that assigns samples to
// the per-second time series. Reading time.Now on every sample would cost
// about as much as the rest of Record; an atomic load costs ~1 ns.
const clockTick = 10 * time.Millisecond

var coarse struct {
	once  sync.Once
	nanos atomic.Int64
}

// startCoarseClock starts, once per process, the goroutine that refreshes
// the coarse clock. It runs for the life of the process (one wake-up every
// clockTick).
func startCoarseClock() {
	coarse.once.Do(func() {
		coarse.nanos.Store(time.Now().UnixNano())
		go func() {
			t := time.NewTicker(clockTick)
			for range t.C {
				coarse.nanos.Store(time.Now().UnixNano())
			}
		}()
	})
}

// coarseNow returns the coarse clock in Unix nanoseconds.
func coarseNow() int64 { return coarse.nanos.Load() }
