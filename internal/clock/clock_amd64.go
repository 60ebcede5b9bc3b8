package clock

import (
	"math/bits"
	"time"
)

const haveTSC = true

// rdtsc returns the time-stamp counter (clock_amd64.s).
func rdtsc() uint64

// tscNanos converts ticks to nanoseconds with the calibrated rate.
func tscNanos(ticks uint64) time.Duration {
	hi, lo := bits.Mul64(ticks, tscMult)
	return time.Duration(hi<<32 | lo>>32)
}
