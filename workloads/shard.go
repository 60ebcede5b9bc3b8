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
// preload keys i, i+n, ...). w is not changed; n <= 1 gives a copy of w.
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
			e.VUs = max(1, int(splitInt(int64(e.VUs), i, n)))
			if e.Iterations > 0 {
				e.Iterations = max(1, splitInt(e.Iterations, i, n))
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
