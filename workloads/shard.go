package workloads

import (
	"fmt"
	"math"
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

// ApplyShard turns w (in place) into shard s of itself, so that Count
// machines running their shards together run the whole workload: rates,
// workers and iterations are divided (remainders go to the first shards),
// and every key space is split into disjoint slices (keys ≡ Index mod Count;
// sequential and preload keys Index, Index+Count, ...).
func (w *Workload) ApplyShard(s Shard) {
	if s.Count <= 1 {
		return
	}
	i, n := s.Index, s.Count
	w.shard = s
	for k := range w.Scenarios {
		sc := &w.Scenarios[k]
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
		for _, v := range sc.Vars {
			if v.Dist.IsKeySpace() {
				v.Dist.ShardIndex, v.Dist.ShardCount = int64(i), int64(n)
			}
		}
	}
}

// SetDuration changes the measured phase to d: the workload duration and
// every executor's own duration (closed executors bound only by iterations
// stay so; ramping stages are scaled to fit).
func (w *Workload) SetDuration(d time.Duration) {
	w.Duration = d
	for k := range w.Scenarios {
		e := &w.Scenarios[k].Executor
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
}
