package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Integer distribution kinds.
const (
	Constant    = "constant"
	Uniform     = "uniform"
	Zipfian     = "zipfian"
	Latest      = "latest"
	Hotspot     = "hotspot"
	Sequential  = "sequential"
	Normal      = "normal"
	Exponential = "exponential"
)

// IntKinds lists the integer/key distributions.
var IntKinds = []string{Constant, Uniform, Zipfian, Latest, Hotspot, Sequential, Normal, Exponential}

// IntSpec describes an integer or key distribution. Key distributions
// (uniform with N, zipfian, latest, hotspot, sequential) draw from the key
// space [Start, Start+N).
type IntSpec struct {
	Kind        string
	Value       int64   // constant
	Min, Max    int64   // uniform (inclusive) when N == 0
	N           int64   // key space size
	Start       int64   // first key of the key space
	Theta       float64 // zipfian, latest; default 0.99
	Scrambled   bool    // zipfian: spread popular keys over the space (YCSB's scrambled zipfian)
	HotFraction float64 // hotspot: fraction of keys that are hot; default 0.2
	HotOps      float64 // hotspot: fraction of draws that hit the hot keys; default 0.8
	Mean        float64 // normal, exponential
	StdDev      float64 // normal

	// Shard restricts a key space to the keys ≡ ShardIndex (mod ShardCount).
	ShardIndex, ShardCount int64
}

// IsKeySpace reports whether the distribution draws from [Start, Start+N).
func (s *IntSpec) IsKeySpace() bool {
	switch s.Kind {
	case Zipfian, Latest, Hotspot, Sequential:
		return true
	case Uniform:
		return s.N > 0
	}
	return false
}

// shardN is the size of this shard's part of the key space.
func (s *IntSpec) shardN() int64 {
	if s.ShardCount <= 1 {
		return s.N
	}
	n := (s.N - s.ShardIndex + s.ShardCount - 1) / s.ShardCount
	if n < 1 {
		n = 1 // a shard with no key of its own still needs one to draw
	}
	return n
}

// key maps an index into the shard's part of the key space to a key.
func (s *IntSpec) key(k int64) int64 {
	if s.ShardCount <= 1 {
		return s.Start + k
	}
	return s.Start + k*s.ShardCount + s.ShardIndex
}

// IntSource is a distribution prepared for drawing: the spec and what is
// costly to derive from it (a zipfian's constants: zeta(n) is O(n)),
// computed once and shared, read-only, by the generators of every worker.
type IntSource struct {
	spec *IntSpec
	zipf *Zipf // zipfian and latest only
}

// Prepare computes what the generators of spec share.
func Prepare(spec *IntSpec) *IntSource {
	src := &IntSource{spec: spec}
	if spec.Kind == Zipfian || spec.Kind == Latest {
		theta := spec.Theta
		if theta == 0 {
			theta = 0.99
		}
		src.zipf = NewZipf(spec.shardN(), theta)
	}
	return src
}

// Zipf returns the zipfian constants (nil for other distributions).
func (src *IntSource) Zipf() *Zipf { return src.zipf }

// Validate checks the parameters; the error names the offending field.
func (s *IntSpec) Validate() (field string, err error) {
	switch s.Kind {
	case Constant:
	case Uniform:
		if s.N < 0 {
			return "n", fmt.Errorf("must be > 0")
		}
		if s.N == 0 && s.Max < s.Min {
			return "max", fmt.Errorf("must be >= min (%d)", s.Min)
		}
	case Zipfian, Latest, Hotspot, Sequential:
		if s.N <= 0 {
			return "n", fmt.Errorf("must be > 0 (size of the key space)")
		}
		if (s.Kind == Zipfian || s.Kind == Latest) && s.Theta != 0 && (s.Theta <= 0 || s.Theta >= 1) {
			return "theta", fmt.Errorf("must be in (0, 1)")
		}
		if s.Kind == Hotspot {
			if s.HotFraction < 0 || s.HotFraction > 1 {
				return "hot_fraction", fmt.Errorf("must be in [0, 1]")
			}
			if s.HotOps < 0 || s.HotOps > 1 {
				return "hot_ops", fmt.Errorf("must be in [0, 1]")
			}
		}
	case Normal:
		if s.StdDev < 0 {
			return "stddev", fmt.Errorf("must be >= 0")
		}
	case Exponential:
		if s.Mean <= 0 {
			return "mean", fmt.Errorf("must be > 0")
		}
	default:
		return "dist", fmt.Errorf("unknown distribution %q (want one of %v)", s.Kind, IntKinds)
	}
	return "", nil
}

// Int is one worker's generator.
type Int struct {
	spec   *IntSpec
	r      *rand.Rand
	n      int64 // shard key space size
	next   int64 // sequential cursor
	stride int64 // sequential: number of workers
	zipf   *Zipf
	hotN   int64
}

// NewInt prepares spec and builds one generator from it; a run with
// several workers prepares once and calls IntSource.NewInt per worker.
func NewInt(spec *IntSpec, r *rand.Rand, worker, workers int) *Int {
	return Prepare(spec).NewInt(r, worker, workers)
}

// NewInt builds worker's generator. worker and workers make sequential
// distributions disjoint across workers (worker w emits w, w+workers, ...).
func (src *IntSource) NewInt(r *rand.Rand, worker, workers int) *Int {
	if workers < 1 {
		workers = 1
	}
	spec := src.spec
	g := &Int{spec: spec, r: r, n: spec.shardN(), next: int64(worker), stride: int64(workers), zipf: src.zipf}
	switch spec.Kind {
	case Hotspot:
		hf := spec.HotFraction
		if hf == 0 {
			hf = 0.2
		}
		g.hotN = int64(float64(g.n) * hf)
		if g.hotN < 1 {
			g.hotN = 1
		}
		if g.hotN > g.n {
			g.hotN = g.n
		}
	}
	return g
}

// Next draws the next value.
func (g *Int) Next() int64 {
	s := g.spec
	switch s.Kind {
	case Constant:
		return s.Value
	case Uniform:
		if s.N > 0 {
			return s.key(g.r.Int64N(g.n))
		}
		return s.Min + g.r.Int64N(s.Max-s.Min+1)
	case Zipfian:
		k := g.zipf.Next(g.r)
		if s.Scrambled {
			k = int64(fnv64(uint64(k)) % uint64(g.n))
		}
		return s.key(k)
	case Latest:
		return s.key(g.n - 1 - g.zipf.Next(g.r))
	case Hotspot:
		hotOps := s.HotOps
		if hotOps == 0 {
			hotOps = 0.8
		}
		if g.r.Float64() < hotOps || g.hotN == g.n {
			return s.key(g.r.Int64N(g.hotN))
		}
		return s.key(g.hotN + g.r.Int64N(g.n-g.hotN))
	case Sequential:
		k := g.next % g.n
		g.next += g.stride
		return s.key(k)
	case Normal:
		v := s.Mean + g.r.NormFloat64()*s.StdDev
		return clampInt(math.Round(v), float64(s.Min), s.Max)
	case Exponential:
		return clampInt(math.Round(g.r.ExpFloat64()*s.Mean), 0, 0)
	}
	return 0
}

func clampInt(v, lo float64, hi int64) int64 {
	if v < lo {
		v = lo
	}
	if hi > 0 && v > float64(hi) {
		v = float64(hi)
	}
	if v > math.MaxInt64/2 {
		v = math.MaxInt64 / 2
	}
	return int64(v)
}
