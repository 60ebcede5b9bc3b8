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

// The clock is monotonic: nanoseconds since base (time.Since uses the
// monotonic reading), so wall-clock steps (NTP) do not move samples between
// seconds.
var coarse struct {
	once  sync.Once
	base  time.Time
	nanos atomic.Int64
}

// startCoarseClock starts, once per process, the goroutine that refreshes
// the coarse clock. It runs for the life of the process (one wake-up every
// clockTick).
func startCoarseClock() {
	coarse.once.Do(func() {
		coarse.base = time.Now()
		go func() {
			t := time.NewTicker(clockTick)
			for range t.C {
				coarse.nanos.Store(int64(time.Since(coarse.base)))
			}
		}()
	})
}

// coarseNow returns the coarse clock: nanoseconds since coarse.base.
func coarseNow() int64 { return coarse.nanos.Load() }

// coarseOffset converts t to the coarse clock's scale (monotonic when t
// carries a monotonic reading, as time.Now's results do).
func coarseOffset(t time.Time) int64 { return int64(t.Sub(coarse.base)) }
