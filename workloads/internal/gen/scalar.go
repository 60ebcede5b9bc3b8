package gen

import (
	"fmt"
	"math/rand/v2"
)

// ScalarKinds lists the distributions of sizes and durations.
var ScalarKinds = []string{Constant, Uniform, Normal, Exponential}

// Scalar describes a non-negative size (bytes) or duration (nanoseconds)
// distribution. Normal draws are clamped to [Min, Max] when Max > 0, else to
// [Min, +inf); Min defaults to 0.
type Scalar struct {
	Kind     string
	Value    float64 // constant
	Min, Max float64 // uniform (inclusive); clamps for normal
	Mean     float64 // normal, exponential
	StdDev   float64 // normal
}

// Validate checks the parameters; the error names the offending field.
func (s *Scalar) Validate(allowed []string) (field string, err error) {
	ok := false
	for _, k := range allowed {
		ok = ok || k == s.Kind
	}
	if !ok {
		return "dist", fmt.Errorf("unknown distribution %q (want one of %v)", s.Kind, allowed)
	}
	switch s.Kind {
	case Uniform:
		if s.Max < s.Min {
			return "max", fmt.Errorf("must be >= min")
		}
	case Normal:
		if s.StdDev < 0 {
			return "stddev", fmt.Errorf("must be >= 0")
		}
	case Exponential:
		if s.Mean <= 0 {
			return "mean", fmt.Errorf("must be > 0")
		}
	}
	return "", nil
}

// Next draws one value with r.
func (s *Scalar) Next(r *rand.Rand) float64 {
	var v float64
	switch s.Kind {
	case Constant:
		return s.Value
	case Uniform:
		v = s.Min + r.Float64()*(s.Max-s.Min+1)
		if v > s.Max {
			v = s.Max
		}
	case Normal:
		v = s.Mean + r.NormFloat64()*s.StdDev
		if s.Max > 0 && v > s.Max {
			v = s.Max
		}
	case Exponential:
		v = r.ExpFloat64() * s.Mean
	}
	if v < s.Min {
		v = s.Min
	}
	if v < 0 {
		v = 0
	}
	return v
}

// Mean returns the expected value (before clamping), for summaries.
func (s *Scalar) Expected() float64 {
	switch s.Kind {
	case Constant:
		return s.Value
	case Uniform:
		return (s.Min + s.Max) / 2
	}
	return s.Mean
}
