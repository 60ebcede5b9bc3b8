package engine

import (
	"sync/atomic"
	"time"

	"github.com/sparkbench/sparkbench/store"
	"github.com/sparkbench/sparkbench/workloads/internal/executor"
)

// Progress is the live state of a run's measured phase, for progress bars.
// Its counters are safe to read while the run goes on.
type Progress struct {
	Backend   store.Backend
	Repeat    int
	Start     time.Time
	Scenarios []*ScenarioProgress
	done      chan struct{}
}

// Done is closed when the measured phase ends.
func (p *Progress) Done() <-chan struct{} { return p.done }

// ScenarioProgress counts one scenario's invocations.
type ScenarioProgress struct {
	Name string
	// Planned is how long the scenario's executor runs (0 when it is bound
	// only by Iterations).
	Planned    time.Duration
	Iterations int64
	// Rate is the planned mean rate per second (open loop), 0 for closed.
	Rate     float64
	stats    executor.Stats
	errors   atomic.Int64
	finished atomic.Int64 // unix nanoseconds when the executor returned; 0 = running
}

// Finished reports whether the scenario's executor has returned, and when.
func (s *ScenarioProgress) Finished() (time.Time, bool) {
	ns := s.finished.Load()
	if ns == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// Completed counts finished invocations.
func (s *ScenarioProgress) Completed() int64 { return s.stats.Completed.Load() }

// Dropped counts open-loop starts that found no free worker.
func (s *ScenarioProgress) Dropped() int64 { return s.stats.Dropped.Load() }

// Late counts open-loop starts later than the executor's late tolerance.
func (s *ScenarioProgress) Late() int64 { return s.stats.Late.Load() }

// Errors counts failed invocations and unexpected statuses.
func (s *ScenarioProgress) Errors() int64 { return s.errors.Load() }
