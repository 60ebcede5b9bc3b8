package gen

import (
	"math"
	"math/rand/v2"
)

// Zipf holds the constants of YCSB's ZipfianGenerator for n items and a
// given theta. Computing zeta(n) is O(n), so one Zipf is built per prepared
// spec (Prepare) and shared (read-only) by all workers.
type Zipf struct {
	n         int64
	theta     float64
	zetan     float64
	alpha     float64
	eta       float64
	halfPowTh float64
}

// Zeta returns sum_{i=1..n} 1/i^theta.
func Zeta(n int64, theta float64) float64 {
	var s float64
	for i := int64(1); i <= n; i++ {
		s += 1 / math.Pow(float64(i), theta)
	}
	return s
}

// NewZipf prepares a zipfian over [0, n) with 0 < theta < 1 (YCSB default 0.99).
func NewZipf(n int64, theta float64) *Zipf {
	zetan := Zeta(n, theta)
	zeta2 := Zeta(2, theta)
	return &Zipf{
		n:         n,
		theta:     theta,
		zetan:     zetan,
		alpha:     1 / (1 - theta),
		eta:       (1 - math.Pow(2/float64(n), 1-theta)) / (1 - zeta2/zetan),
		halfPowTh: 1 + math.Pow(0.5, theta),
	}
}

// Next returns a rank in [0, n): 0 is the most popular item.
func (z *Zipf) Next(r *rand.Rand) int64 {
	u := r.Float64()
	uz := u * z.zetan
	if uz < 1 {
		return 0
	}
	if uz < z.halfPowTh {
		return 1
	}
	v := int64(float64(z.n) * math.Pow(z.eta*u-z.eta+1, z.alpha))
	if v >= z.n {
		v = z.n - 1
	}
	if v < 0 {
		v = 0
	}
	return v
}

// Prob returns the theoretical probability of rank k (0-based).
func (z *Zipf) Prob(k int64) float64 {
	return 1 / math.Pow(float64(k+1), z.theta) / z.zetan
}
