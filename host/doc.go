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
// Load bounds what a module can make the host do (internal/guard): it
// refuses modules that declare more than ModuleLimits allow and clamps
// their tables' growth, so that an instance costs at most about 1 MiB
// besides its memory (Limits.MaxMemoryPages) and call stack; it adds a
// stack guard so that deep recursion traps ("stack exhausted") within
// Limits.MaxStackBytes; and it detaches the module's start function, so
// that the start function and _initialize run as calls into the guest
// under the same timeout as handle_request. Compilation stops between
// functions when Load's context is done.
//
// A runaway guest is stopped after Limits.InvocationTimeout, within about
// a second of its caller's context being done, and by Close. The default
// TimeoutWatchdog mode instruments each flare at Load with a stop flag
// checked at every function entry and loop head (internal/guard) and runs
// one watchdog goroutine per Host that raises the flag of an overrunning
// instance: no goroutine, context or clock read per call. TimeoutContext
// and TimeoutClose use wazero's own termination checks, which cost a
// goroutine per call into the guest (nested alloc calls included) and an
// exit to Go per loop iteration; TimeoutNone has the watchdog mode's checks
// but no timeout on invocations.
//
// Host functions cap what a guest can make the host hold: plasma's
// capacity (Config.PlasmaBytes), an invocation's response headers
// (MaxResponseHeaderBytes), its log lines (Config.LogLinesPerInvocation).
//
// A failed call into the guest returns a *GuestError: its Kind (trap,
// timeout, abi_violation, alloc_failed, memory_limit) and a short, stable
// Detail ("integer divide by zero", `env.abort: "boom" at file.ts:7:5`,
// "stack exhausted") that reports count by.
//
// Spark (spark_*) follows the Spark contract of docs/ARCHITECTURE.md
// exactly: the capability gate, key, TTL
// and size rules, per-invocation read/write/pull limits, quota (enforced by
// the store) and pulls between nodes through a Transport. Each spark call
// and each invocation is timed into the request's Observer, and every limit
// decision is reported to it, so that reports can prove enforcement.
package host
