//go:build !linux

package executor

import "time"

// preciseSleeper says whether preciseSleep is more precise than a Go timer.
const preciseSleeper = false

// preciseSleep sleeps for d. Without clock_nanosleep and a per-thread timer
// slack it is time.Sleep, as precise as the Go timer.
func preciseSleep(d time.Duration) bool {
	time.Sleep(d)
	return true
}
