// Package executor issues invocations on a schedule: open loop
// (constant-arrival-rate, ramping-arrival-rate: every invocation has an
// intended start; one that comes due while every worker is busy is
// dropped; response time is measured from the intended start) or closed
// loop (N workers back to back).
//
// The invocation itself is a Worker supplied by the caller, so the
// scheduling can be tested and benchmarked with a cheap function.
//
// The open loop has no dispatcher: the worker that waits for the next
// start runs it (openLoop). It waits in clock_nanosleep with a 1ns timer
// slack, then spins what is left (spinner): starts are on time within
// tens of microseconds for the CPU of one kernel wake-up a start, up to
// the rate where the gap is shorter than that wake-up and spinning is
// cheaper.
package executor
