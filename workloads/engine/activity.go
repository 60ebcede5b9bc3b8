package engine

import (
	"time"

	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/workloads"
)

// activity is how one scenario's executor ran in the measured phase: how
// long it was active, what ended it and its configured duration.
type activity struct {
	active, planned time.Duration
	end             string
}

// activity says how rt's executor ran, from its first request's intended
// start (r.start if it made none) until it returned. An open-loop schedule
// that ended on its own is active for its planned duration at least (its
// last start comes one gap before the end); a closed executor for as long
// as it ran, which for one bound by its iterations can be far less than
// its duration. stoppedAt is when the run was stopped (zero if it was
// not): an executor that was still running then was interrupted.
func (r *run) activity(rt *scenarioRT, stoppedAt time.Time) activity {
	e := rt.spec.Executor
	finished, ok := rt.progress.Finished()
	if !ok {
		finished = r.start.Add(r.elapsed)
	}
	begin := r.start
	if t := rt.firstStart.Load(); t != nil && t.After(begin) {
		begin = *t
	}
	a := activity{active: max(0, finished.Sub(begin)), planned: e.TotalDuration(), end: reports.EndDuration}
	switch {
	case e.Type == workloads.Closed && e.Iterations > 0 && rt.progress.Completed() >= e.Iterations && (stoppedAt.IsZero() || finished.Before(stoppedAt)):
		a.end = reports.EndIterations
	case !stoppedAt.IsZero() && !finished.Before(stoppedAt):
		a.end = reports.EndInterrupted
	case rt.openLoop:
		a.active = max(a.active, a.planned)
	}
	return a
}

// setActivity records each scenario's activity in its group of the run's
// result, and gives the stores' group of each node the longest activity of
// the node's scenarios (the time the node's store was in use).
func (r *run) setActivity(res *reports.Run, stoppedAt time.Time) {
	byScenario := map[reports.Labels]activity{}
	byNode := map[string]time.Duration{}
	for _, rt := range r.scenarios {
		a := r.activity(rt, stoppedAt)
		byScenario[reports.Labels{Scenario: rt.spec.Name, Node: rt.spec.Node, Backend: r.backend.String()}] = a
		byNode[rt.spec.Node] = max(byNode[rt.spec.Node], a.active)
	}
	for _, g := range res.Groups {
		if a, ok := byScenario[g.Labels]; ok {
			g.Active, g.End, g.Planned = a.active, a.end, a.planned
		} else if d, ok := byNode[g.Labels.Node]; ok {
			g.Active = d
		}
	}
}
