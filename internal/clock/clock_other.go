//go:build !amd64

package clock

import "time"

const haveTSC = false

func rdtsc() uint64 { return 0 }

func tscNanos(uint64) time.Duration { return 0 }
