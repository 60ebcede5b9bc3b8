// Package workloads reads sparkbench workload files, validates them with
// errors that name the file, line, column and field, and turns them into a
// Plan: the nodes, sites, preload sets and scenarios of a run, with compiled
// request templates and seeded generators.
//
// The runner (Run) wires a Plan to the real parts: one store.Store per node,
// one host.Host over all nodes, flares compiled once, and an executor per
// scenario (constant-arrival-rate, ramping-arrival-rate or closed) whose
// workers each own a reports.Recorder.
//
// Parsing walks a yaml.Node tree rather than decoding into structs, so that
// every error can say where it is ("ratelimit.yaml:12:5: scenarios.0.executor.rate:
// must be > 0") and so that --set overrides apply to any field by dotted path.
package workloads
