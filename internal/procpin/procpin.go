// Package procpin pins a goroutine to its P (the scheduler's processor) for
// a short critical section, so that per-P data can be used without a lock:
// while pinned, no other goroutine can run on the P, so the section owns
// whatever belongs to the P's id. This is how sync.Pool keeps its per-P
// caches; sparkbench uses it where a sync.Pool Get and Put, or an
// uncontended mutex, would cost more than the work they guard.
//
// A pinned section must be short and must not block (no mutex, channel or
// system call that may park): the goroutine cannot be descheduled while
// pinned.
//
// The race detector does not know that pinning serialises the sections of
// one P, so code that relies on it brackets each section with Acquire and
// Release on the per-P data; they are no-ops in builds without -race.
package procpin

import _ "unsafe" // go:linkname

// Pin pins the calling goroutine to its P and returns the P's id, in
// [0, GOMAXPROCS). Every Pin must be followed by Unpin on the same
// goroutine.
//
//go:linkname Pin runtime.procPin
func Pin() int

// Unpin ends the section begun by Pin.
//
//go:linkname Unpin runtime.procUnpin
func Unpin()
