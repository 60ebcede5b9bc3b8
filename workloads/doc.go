// Package workloads is the sparkbench workload file format: it reads
// workload files, validates them with errors that name the file, line,
// column and field, and turns them into a Workload: the nodes, sites,
// limits, preload sets and scenarios of a run, with parsed request
// templates and distribution descriptions. It runs nothing; package
// workloads/engine runs a Workload.
//
// A Workload is not changed once parsed: Sharded(i, n) and WithDuration(d)
// return new workloads, so one parse serves every run of a file.
//
// Parsing walks a yaml.Node tree rather than decoding into structs, so that
// every error can say where it is ("ratelimit.yaml:12:5: scenarios.0.executor.rate:
// must be > 0") and so that --set overrides apply to any field by dotted path.
package workloads
