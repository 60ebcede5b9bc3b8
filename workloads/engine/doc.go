// Package engine runs a parsed workload (package workloads) against the
// real parts and returns its measurements: one store.Store per node, one
// host.Host over all nodes, each flare compiled once, and an executor per
// scenario (constant-arrival-rate, ramping-arrival-rate or closed) whose
// workers each render their own requests and record into their own
// reports.Recorder.
//
// Run takes a validated workload and Options (backend, repeat, shard,
// timeout mode, progress and log sinks) and derives what it needs: the
// shard of the workload, the stores' directory, the host's limits. It goes
// through named phases (open stores, start host, compile flares, preload,
// prepare scenarios, warmup, measure, close, merge) and never changes the
// workload, so one parse serves every run. Check loads the flares into a
// store-less host to find a module this host cannot run before anything
// starts. docs/ARCHITECTURE.md follows a run from file to report.
package engine
