// Package executor issues invocations on a schedule: open loop
// (constant-arrival-rate, ramping-arrival-rate: every invocation has an
// intended start; one that comes due while every worker is busy is
// dropped; response time is measured from the intended start) or closed
// loop (N workers back to back).
//
// The invocation itself is a Worker supplied by the caller, so the
// scheduling can be tested and benchmarked with a cheap function.
package executor
