//go:build race

package procpin

import (
	"runtime"
	"unsafe"
)

// Acquire tells the race detector that the pinned section starting now
// happens after every earlier section that ended with Release(addr).
func Acquire(addr unsafe.Pointer) { runtime.RaceAcquire(addr) }

// Release ends a pinned section on addr for the race detector (see
// Acquire).
func Release(addr unsafe.Pointer) { runtime.RaceReleaseMerge(addr) }
