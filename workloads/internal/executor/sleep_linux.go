//go:build linux

package executor

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// preciseSleeper says whether preciseSleep is more precise than a Go timer.
const preciseSleeper = true

// preciseSleep sleeps for d in clock_nanosleep on the calling goroutine's
// OS thread, with that thread's timer slack set to 1ns. It reports false
// if the sleep was cut short (a signal: Go's preemption, the profiler).
//
// A Go timer of less than a millisecond fires about 1ms late while the
// process is otherwise idle (the runtime then waits in epoll_wait, whose
// timeout is in milliseconds); this wakes tens of microseconds late, for
// the CPU of one kernel wake-up (20-35µs here, testdata/exec-2026-12-03.txt).
// The thread keeps its P during the sleep, as in any blocking system call
// (the runtime's sysmon hands it to another thread if work waits), and the
// caller yields now and then (see spinner.waitUntil).
func preciseSleep(d time.Duration) bool {
	ts := unix.NsecToTimespec(int64(d))
	// The slack is per thread and the goroutine may be on another thread
	// than last time: set it on every sleep (prctl costs well under a µs).
	runtime.LockOSThread()
	unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
	err := unix.ClockNanosleep(unix.CLOCK_MONOTONIC, 0, &ts, nil)
	runtime.UnlockOSThread()
	return err == nil
}
