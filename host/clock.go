package host

import "github.com/sparkbench/sparkbench/internal/clock"

// ClockSource names the clock the host times calls with: "tsc" or
// "monotonic" (see internal/clock). SPARKBENCH_CLOCK=monotonic forces the
// monotonic clock.
func ClockSource() string { return clock.Source() }
