// Package clock is the monotonic clock sparkbench times operations with:
// the host's spark_* calls and invocations, the store's index reads and
// durable writes, and the start-up measurement of what timing one sample
// costs. Timing a ~40 ns index read with two ~60 ns clock_gettime calls
// would mostly measure the clock; where the kernel itself keeps time with
// an invariant TSC, Now reads the TSC directly (~17 ns here) and converts
// ticks to nanoseconds with a rate calibrated against the monotonic clock
// once per process; elsewhere it reads the monotonic clock.
//
// Init must run before the first Now whose result is compared with a
// later one (it may switch the clock): every constructor that times
// (host.New, store.Open with an observer, the runner) calls it.
package clock

import (
	"os"
	"strings"
	"sync"
	"time"
)

// The host times every spark_* call and every invocation: six clock reads
// per counter invocation were ~10% of its CPU time with the vDSO's
// clock_gettime.

// clockBase anchors the monotonic fallback: time.Since of a time carrying a
// monotonic reading reads only the monotonic clock, half the cost of
// time.Now.
var clockBase = time.Now()

var (
	clockOnce sync.Once
	useTSC    bool   // set once by Init, before the first timed operation
	tscBase   uint64 // TSC at calibration
	tscMult   uint64 // nanoseconds per tick, 32.32 fixed point
	clockName = "monotonic"
)

// Source names the clock Now reads: "tsc" or "monotonic".
// SPARKBENCH_CLOCK=monotonic forces the monotonic clock.
func Source() string {
	Init()
	return clockName
}

// Init decides the clock and calibrates the TSC (~5 ms, once per
// process).
func Init() {
	clockOnce.Do(func() {
		if !tscUsable() || os.Getenv("SPARKBENCH_CLOCK") == "monotonic" {
			return
		}
		t0, n0 := tscPair()
		time.Sleep(5 * time.Millisecond)
		t1, n1 := tscPair()
		if t1 <= t0 || n1 <= n0 {
			return
		}
		ghz := float64(t1-t0) / float64(n1-n0)
		if ghz < 0.2 || ghz > 20 {
			return
		}
		tscMult = uint64(float64(n1-n0) / float64(t1-t0) * (1 << 32))
		tscBase = t0
		useTSC = true
		clockName = "tsc"
	})
}

// tscPair reads the TSC and the monotonic clock at (nearly) the same
// instant: the pair least bracketed by two TSC reads out of a few.
func tscPair() (tsc uint64, nanos int64) {
	best := ^uint64(0)
	for range 8 {
		a := rdtsc()
		n := int64(time.Since(clockBase))
		b := rdtsc()
		if b >= a && b-a < best {
			best, tsc, nanos = b-a, a+(b-a)/2, n
		}
	}
	return tsc, nanos
}

// tscUsable: amd64 Linux whose kernel clocksource is the TSC (it judged the
// TSC stable and synchronized across CPUs) and whose CPU flags say it is
// invariant (constant rate, running in every C-state).
func tscUsable() bool {
	if !haveTSC {
		return false
	}
	cs, err := os.ReadFile("/sys/devices/system/clocksource/clocksource0/current_clocksource")
	if err != nil || strings.TrimSpace(string(cs)) != "tsc" {
		return false
	}
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(info), "\n") {
		if strings.HasPrefix(line, "flags") {
			f := " " + line + " "
			return strings.Contains(f, " constant_tsc ") && strings.Contains(f, " nonstop_tsc ")
		}
	}
	return false
}

// Now returns a monotonic timestamp; only differences are meaningful.
func Now() time.Duration {
	if useTSC {
		return tscNanos(rdtsc() - tscBase)
	}
	return time.Since(clockBase)
}

// Since returns the time since t0 (a Now timestamp), never negative.
func Since(t0 time.Duration) time.Duration {
	if d := Now() - t0; d > 0 {
		return d
	}
	return 0
}
