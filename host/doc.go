// Package host runs flaron/v1 guest modules ("flares") on wazero.
//
// A Host owns one wazero runtime. Load compiles a flare once, checks its
// imports against the flaron/v1 ABI table and its exports (memory, alloc,
// handle_request), and pre-warms a pool of instances. Invoke takes an idle
// instance, binds the request, node and site to it, calls handle_request
// through a cached function handle and a reused stack, and returns the
// instance to the pool, or discards it after a trap, timeout, ABI violation
// or excessive memory growth.
//
// Every flaron/v1 host function is defined once (WithGoModuleFunction) and
// shared by all instances; a host function finds the per-invocation state
// through the context each instance carries, built once at instantiation.
//
// A runaway guest is stopped after Limits.InvocationTimeout. The default
// TimeoutWatchdog mode instruments each flare at Load with a stop flag
// checked at every function entry and loop head (internal/stopcheck) and
// runs one watchdog goroutine per Host that raises the flag of an
// overrunning instance: no goroutine, context or clock read per call.
// TimeoutContext and TimeoutClose use wazero's own termination checks, which
// cost a goroutine per call into the guest (nested alloc calls included)
// and an exit to Go per loop iteration; TimeoutNone enforces nothing.
//
// Spark (spark_*) follows the Spark contract of docs/ARCHITECTURE.md
// exactly: the capability gate, key, TTL
// and size rules, per-invocation read/write/pull limits, quota (enforced by
// the store) and pulls between nodes through a Transport. Each spark call
// and each invocation is timed into the request's Observer, and every limit
// decision is reported to it, so that reports can prove enforcement.
package host
