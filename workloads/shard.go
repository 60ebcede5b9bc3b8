package workloads

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Shard is this machine's part of a workload split over Count machines.
type Shard struct{ Index, Count int }

// String renders "i/N", or "" for an unsharded run.
func (s Shard) String() string {
	if s.Count <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// ParseShard parses "i/N" with 0 <= i < N.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want i/N with 0 <= i < N", s)
	}
	return Shard{Index: i, Count: n}, nil
}

// splitInt gives shard i its part of total: total/n plus one of the remainder.
func splitInt(total int64, i, n int) int64 {
	q, r := total/int64(n), total%int64(n)
	if int64(i) < r {
		q++
	}
	return q
}

// splitRate gives shard i its part of a rate: an integral rate is split like
// an integer (remainder spread over the first shards), others evenly.
func splitRate(rate float64, i, n int) float64 {
	if rate == math.Trunc(rate) && rate < 1e15 {
		return float64(splitInt(int64(rate), i, n))
	}
	return rate / float64(n)
}

// Sharded returns shard i of n of w (0 <= i < n), so that n machines
// running their shards together run the whole workload: rates, workers and
// iterations are divided (remainders go to the first shards), and every key
// space is split into disjoint slices (keys ≡ i mod n; sequential and
// preload keys i, i+n, ...). What makes the load (rates, iterations, the
// vus of a closed executor bound by its duration) is never rounded up, so
// that the shards together run exactly the workload: a count smaller than
// n leaves the last shards none, and CheckShard reports such a shard. What
// only bounds concurrency (max_in_flight, the vus of a closed executor with
// iterations) is at least 1, so that a shard can run its part. w is not
// changed; n <= 1 gives a copy of w.
func (w *Workload) Sharded(i, n int) *Workload {
	c := w.clone()
	if n <= 1 {
		return c
	}
	c.shard = Shard{Index: i, Count: n}
	for k := range c.Scenarios {
		sc := &c.Scenarios[k]
		e := &sc.Executor
		e.Rate = splitRate(e.Rate, i, n)
		e.StartRate = splitRate(e.StartRate, i, n)
		for j := range e.Stages {
			e.Stages[j].Target = splitRate(e.Stages[j].Target, i, n)
		}
		e.MaxInFlight = max(1, int(splitInt(int64(e.MaxInFlight), i, n)))
		if e.Type == Closed {
			e.VUs = int(splitInt(int64(e.VUs), i, n))
			if e.Iterations > 0 {
				e.Iterations = splitInt(e.Iterations, i, n)
				e.VUs = max(1, e.VUs)
			}
		}
		for j, v := range sc.Vars {
			if v.Dist.IsKeySpace() {
				d := *v.Dist
				d.ShardIndex, d.ShardCount = int64(i), int64(n)
				sc.Vars[j].Dist = &d
			}
		}
	}
	return c
}

// CheckShard reports a scenario that shard s of w leaves with nothing to
// do, as a *FieldError naming the executor field: an arrival rate of N/s
// split over more than N shards leaves the last ones no start, iterations
// no iteration, the vus of a closed executor bound by its duration no
// worker. Such a shard would measure nothing of that scenario while saying
// it ran it, so running it is a usage error, found before the run (run
// --shard, engine.Run).
func (w *Workload) CheckShard(s Shard) error {
	if s.Count <= 1 {
		return nil
	}
	sh := w.Sharded(s.Index, s.Count)
	for k := range sh.Scenarios {
		sc, orig := &sh.Scenarios[k], w.Scenarios[k].Executor
		e := sc.Executor
		fail := func(field, format string, args ...any) error {
			return &FieldError{File: w.File, Line: sc.ExecutorPos.Line, Column: sc.ExecutorPos.Column,
				Path: fmt.Sprintf("scenarios.%d.executor.%s", k, field),
				Msg:  fmt.Sprintf("--shard %s leaves scenario %s nothing to do: ", s, sc.Name) + fmt.Sprintf(format, args...)}
		}
		switch e.Type {
		case ConstantArrivalRate:
			if e.Rate <= 0 {
				return fail("rate", "%s split %d ways gives this shard no start (use at most %d shards)", formatRate(orig.Rate), s.Count, int64(orig.Rate))
			}
		case RampingArrivalRate:
			peak := e.StartRate
			for _, st := range e.Stages {
				peak = max(peak, st.Target)
			}
			if peak <= 0 {
				return fail("stages", "every rate split %d ways is 0 in this shard (use fewer shards or higher rates)", s.Count)
			}
		case Closed:
			if orig.Iterations > 0 && e.Iterations < 1 {
				return fail("iterations", "%d split %d ways gives this shard no iteration (use at most %d shards)", orig.Iterations, s.Count, orig.Iterations)
			}
			if e.VUs < 1 {
				return fail("vus", "%d split %d ways gives this shard no worker (use at most %d shards)", orig.VUs, s.Count, orig.VUs)
			}
		}
	}
	return nil
}

// formatRate shows a rate as a workload file writes it: "5/s".
func formatRate(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) + "/s" }

// WithDuration returns w with its measured phase set to d: the workload
// duration and every executor's own duration (closed executors bound only
// by iterations stay so; ramping stages are scaled to fit). w is not
// changed.
func (w *Workload) WithDuration(d time.Duration) *Workload {
	c := w.clone()
	c.Duration = d
	for k := range c.Scenarios {
		e := &c.Scenarios[k].Executor
		switch e.Type {
		case RampingArrivalRate:
			total := e.TotalDuration()
			if total <= 0 {
				continue
			}
			f := float64(d) / float64(total)
			for j := range e.Stages {
				e.Stages[j].Duration = max(time.Millisecond, time.Duration(float64(e.Stages[j].Duration)*f))
			}
		case Closed:
			if e.Duration > 0 || e.Iterations == 0 {
				e.Duration = d
			}
		default:
			e.Duration = d
		}
	}
	return c
}

// clone copies w deeply enough that changing the copy's fields, slices and
// maps leaves w as it was. Distributions and templates are shared: nothing
// changes them after parsing (Sharded replaces a distribution it shards).
func (w *Workload) clone() *Workload {
	c := *w
	c.Store.Backends = slices.Clone(w.Store.Backends)
	c.Limits.set = maps.Clone(w.Limits.set)
	c.Nodes = slices.Clone(w.Nodes)
	c.Sites = slices.Clone(w.Sites)
	for i := range c.Sites {
		s := &c.Sites[i]
		s.Capabilities = slices.Clone(s.Capabilities)
		s.Secrets = maps.Clone(s.Secrets)
	}
	c.Preload = slices.Clone(w.Preload)
	c.Scenarios = slices.Clone(w.Scenarios)
	for i := range c.Scenarios {
		sc := &c.Scenarios[i]
		sc.Executor.Stages = slices.Clone(sc.Executor.Stages)
		sc.Vars = slices.Clone(sc.Vars)
		sc.Request.Headers = slices.Clone(sc.Request.Headers)
		sc.Expect = slices.Clone(sc.Expect)
	}
	c.Thresholds = maps.Clone(w.Thresholds)
	c.ThresholdOrder = slices.Clone(w.ThresholdOrder)
	return &c
}
