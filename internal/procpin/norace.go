//go:build !race

package procpin

import "unsafe"

// Acquire tells the race detector that the pinned section starting now
// happens after every earlier section that ended with Release(addr); it
// does nothing without -race.
func Acquire(addr unsafe.Pointer) {}

// Release ends a pinned section on addr for the race detector (see
// Acquire); it does nothing without -race.
func Release(addr unsafe.Pointer) {}
