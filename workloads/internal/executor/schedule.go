package executor

import (
	"fmt"
	"math"
	"time"
)

// schedule maps a start index to its offset from the beginning.
type schedule struct {
	segs []segment
}

// segment: rate goes linearly from r0 to r1 over dur, starting at offset
// at, with n0 starts before it and n starts in it.
type segment struct {
	at, dur time.Duration
	r0, r1  float64
	n0, n   float64
}

func newSchedule(cfg Config) (*schedule, error) {
	s := &schedule{}
	var at time.Duration
	var n0 float64
	add := func(r0, r1 float64, d time.Duration) {
		n := (r0 + r1) / 2 * d.Seconds()
		s.segs = append(s.segs, segment{at: at, dur: d, r0: r0, r1: r1, n0: n0, n: n})
		at += d
		n0 += n
	}
	switch cfg.Type {
	case ConstantArrivalRate:
		if cfg.Rate <= 0 || cfg.Duration <= 0 {
			return nil, fmt.Errorf("executor: constant-arrival-rate needs rate > 0 and duration > 0")
		}
		add(cfg.Rate, cfg.Rate, cfg.Duration)
	case RampingArrivalRate:
		r := cfg.StartRate
		for _, st := range cfg.Stages {
			if st.Duration <= 0 || st.Target < 0 {
				return nil, fmt.Errorf("executor: bad stage %+v", st)
			}
			add(r, st.Target, st.Duration)
			r = st.Target
		}
	}
	return s, nil
}

// offset returns when start i (0-based) is due: the time t at which the
// cumulative count of starts reaches i. ok is false past the end.
func (s *schedule) offset(i int64) (time.Duration, bool) {
	x := float64(i)
	for k := range s.segs {
		g := &s.segs[k]
		if x >= g.n0+g.n {
			continue
		}
		m := x - g.n0 // starts into this segment
		sec := g.dur.Seconds()
		a := (g.r1 - g.r0) / (2 * sec) // N(t) = r0 t + a t^2
		var t float64
		if math.Abs(a) < 1e-12 {
			t = m / g.r0
		} else {
			disc := g.r0*g.r0 + 4*a*m
			if disc < 0 {
				disc = 0
			}
			t = (-g.r0 + math.Sqrt(disc)) / (2 * a)
		}
		return g.at + time.Duration(t*1e9), true
	}
	return 0, false
}
