package engine

import (
	"io"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/store"
	"github.com/sparkbench/sparkbench/workloads"
)

// Options configure one run of a workload: one backend, one repeat, one
// shard. Zero fields take the defaults DefaultOptions lists.
type Options struct {
	// Backend is the store backend of the run; "" = the workload's first
	// (store.backend, or the first of store.backends).
	Backend store.Backend
	// Repeat is the run's 0-based index among repeats (run --count),
	// recorded in RunInfo.
	Repeat int
	// Shard, when Count > 1, runs that shard of the workload; Run derives
	// it (workloads.Workload.Sharded) and records it in RunInfo.
	Shard workloads.Shard
	// TimeoutMode is how the host enforces invocation timeouts; the zero
	// value is host.TimeoutWatchdog.
	TimeoutMode host.TimeoutMode
	// OnMeasure, if set, is called when the measured phase starts, with its
	// live progress; Progress.Done is closed when it ends.
	OnMeasure func(*Progress)
	// GuestLog receives the flares' log_* lines; nil discards them.
	GuestLog io.Writer
	// ShowResponses, when > 0, keeps the first ShowResponses responses of
	// each scenario and the first ShowResponses of each distinct failure
	// (error kind, unexpected status, failed check, verify item) in the
	// result (reports.Group.Samples).
	ShowResponses int
	// Warn receives warnings such as refused preload writes; nil discards
	// them.
	Warn io.Writer
}

// DefaultOptions returns the options of a plain run: the workload's first
// backend, repeat 0, the whole workload, watchdog timeouts, no progress
// callback, guest logs and warnings discarded.
func DefaultOptions() Options {
	return Options{TimeoutMode: host.TimeoutWatchdog}
}
