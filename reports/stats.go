package reports

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"sort"

	"github.com/aclements/go-moremath/stats"
)

// The statistics behind Compare. Everything is computed on log values: a
// latency or a rate changes by a factor, and log ratios make a +10% and a
// -9.1% change (the same factor either way) equally large.
//
// Paired runs (sparkbench ab) use the Wilcoxon signed-rank test on each
// pair's log ratio, with the family-wise error over the gated metrics
// controlled by a step-down minP permutation adjustment (Westfall & Young
// 1993, algorithm 2.8) over sign flips of whole pairs. Unpaired runs use the
// Mann-Whitney U test with Holm's step-down correction. Both estimate the
// change with the Hodges–Lehmann estimator and give its distribution-free
// confidence interval (the interval that inverts the same rank test).

// signedRankDist is the exact null distribution of the Wilcoxon signed-rank
// statistic for one set of ranks: with the order of each pair chosen at
// random, or more generally when each difference is as likely to be
// positive as negative, every one of the 2^n sign patterns is equally
// likely. Ranks are doubled so that midranks of tied magnitudes are
// integers; the distribution is then exact with ties too (it is the
// permutation distribution conditional on the tie pattern).
type signedRankDist struct {
	total int       // sum of the doubled ranks: W ranges over [0, total]
	cdf   []float64 // cdf[w] = P(W <= w); nil above exactSignedRankMax
	mean  float64   // for the normal approximation
	sd    float64
}

// exactSignedRankMax is the most nonzero differences for which the exact
// distribution is computed (O(n³) time): far more pairs than anyone runs.
const exactSignedRankMax = 400

// doubledRanks ranks |d| over the nonzero d (ties get their midrank) and
// returns twice the ranks, 0 for d == 0 (Wilcoxon's zero rule: a pair with
// no difference carries no evidence either way).
func doubledRanks(d []float64) []int {
	idx := make([]int, 0, len(d))
	for i, v := range d {
		if v != 0 {
			idx = append(idx, i)
		}
	}
	sort.Slice(idx, func(a, b int) bool { return math.Abs(d[idx[a]]) < math.Abs(d[idx[b]]) })
	r := make([]int, len(d))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && math.Abs(d[idx[j+1]]) == math.Abs(d[idx[i]]) {
			j++
		}
		// Ranks i+1..j+1 share their mean (i+j+2)/2; doubled: i+j+2.
		for k := i; k <= j; k++ {
			r[idx[k]] = i + j + 2
		}
		i = j + 1
	}
	return r
}

func newSignedRankDist(ranks2 []int) signedRankDist {
	var d signedRankDist
	n := 0
	var sumSq float64
	for _, a := range ranks2 {
		if a > 0 {
			d.total += a
			n++
			sumSq += float64(a) * float64(a)
		}
	}
	d.mean = float64(d.total) / 2
	d.sd = math.Sqrt(sumSq) / 2
	if n > exactSignedRankMax {
		return d
	}
	// pmf over W by adding one rank at a time: each is in W with
	// probability 1/2.
	pmf := make([]float64, d.total+1)
	pmf[0] = 1
	hi := 0
	for _, a := range ranks2 {
		if a == 0 {
			continue
		}
		hi += a
		for w := hi; w >= a; w-- {
			pmf[w] = (pmf[w] + pmf[w-a]) / 2
		}
		for w := a - 1; w >= 0; w-- {
			pmf[w] /= 2
		}
	}
	d.cdf = pmf
	for w := 1; w <= d.total; w++ {
		d.cdf[w] += d.cdf[w-1]
	}
	return d
}

// p is the two-sided p-value of observing W = w: twice the smaller tail,
// using the distribution's symmetry about total/2 (P(W >= w) = P(W <=
// total-w)) so that small tails keep their precision.
func (d signedRankDist) p(w int) float64 {
	if d.total == 0 {
		return 1
	}
	lo := min(w, d.total-w)
	var tail float64
	if d.cdf != nil {
		tail = d.cdf[lo]
	} else {
		// Normal approximation with continuity correction (doubled ranks
		// move in steps of at least 1).
		tail = stats.NormalDist{Mu: d.mean, Sigma: d.sd}.CDF(float64(lo) + 0.5)
	}
	return min(1, 2*tail)
}

// signedRankW is the doubled-rank sum of the positive differences.
func signedRankW(d []float64, ranks2 []int) int {
	w := 0
	for i, v := range d {
		if v > 0 {
			w += ranks2[i]
		}
	}
	return w
}

// SignedRankTest is the two-sided Wilcoxon signed-rank test of d (paired
// differences) against a distribution symmetric about 0. Zeros are dropped,
// tied magnitudes get midranks, and the p-value is exact (normal
// approximation above 400 nonzero differences).
func SignedRankTest(d []float64) float64 {
	r := doubledRanks(d)
	return newSignedRankDist(r).p(signedRankW(d, r))
}

// signedRankCritical is R's qsignrank(alpha/2, n) for the signed-rank
// statistic without ties (ranks 1..n): the smallest k with P(T <= k) >=
// alpha/2. The Hodges–Lehmann interval's bounds are the k-th smallest and
// k-th largest Walsh averages. 0 means that even the most extreme outcome
// is more likely than alpha/2: no finite interval.
func signedRankCritical(n int, alpha float64) int {
	r := make([]int, n)
	for i := range r {
		r[i] = 2 * (i + 1)
	}
	d := newSignedRankDist(r)
	for k := 0; 2*k <= d.total; k++ {
		var c float64
		if d.cdf != nil {
			c = d.cdf[2*k]
		} else {
			c = stats.NormalDist{Mu: d.mean, Sigma: d.sd}.CDF(float64(2*k) + 1)
		}
		if c >= alpha/2 {
			return k
		}
	}
	return 0
}

// PairedShift estimates the location of paired differences d with the
// Hodges–Lehmann estimator (the median of the n(n+1)/2 Walsh averages
// (d_i+d_j)/2, i <= j) and the distribution-free 1-alpha confidence
// interval that inverts the signed-rank test (Hollander & Wolfe; R's
// wilcox.test(conf.int=TRUE) for data without ties). lo and hi are -Inf and
// +Inf when there are too few differences for the interval (5 or fewer at
// alpha 0.05).
func PairedShift(d []float64, alpha float64) (est, lo, hi float64) {
	n := len(d)
	if n == 0 {
		return 0, math.Inf(-1), math.Inf(1)
	}
	w := make([]float64, 0, n*(n+1)/2)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			w = append(w, (d[i]+d[j])/2)
		}
	}
	sort.Float64s(w)
	est = medianSorted(w)
	k := signedRankCritical(n, alpha)
	if k == 0 {
		return est, math.Inf(-1), math.Inf(1)
	}
	return est, w[k-1], w[len(w)-k]
}

// TwoSampleShift estimates how much y is shifted from x with the
// Hodges–Lehmann estimator (the median of the n1·n2 differences y_j - x_i)
// and the distribution-free 1-alpha confidence interval that inverts the
// Mann-Whitney U test (R's wilcox.test(x, y, conf.int=TRUE) without ties).
func TwoSampleShift(x, y []float64, alpha float64) (est, lo, hi float64) {
	if len(x) == 0 || len(y) == 0 {
		return 0, math.Inf(-1), math.Inf(1)
	}
	diffs := make([]float64, 0, len(x)*len(y))
	for _, a := range x {
		for _, b := range y {
			diffs = append(diffs, b-a)
		}
	}
	sort.Float64s(diffs)
	est = medianSorted(diffs)
	// k: R's qwilcox(alpha/2, n1, n2), the smallest k with P(U <= k) >=
	// alpha/2 (binary search: each CDF costs O(n1·n2·k)).
	// Above 50 runs a side, the normal approximation (with continuity
	// correction) replaces the exact distribution, as for the test itself.
	cdf := stats.UDist{N1: len(x), N2: len(y)}.CDF
	if len(x) > 50 || len(y) > 50 {
		n1, n2 := float64(len(x)), float64(len(y))
		nd := stats.NormalDist{Mu: n1 * n2 / 2, Sigma: math.Sqrt(n1 * n2 * (n1 + n2 + 1) / 12)}
		cdf = func(q float64) float64 { return nd.CDF(q + 0.5) }
	}
	k := sort.Search(len(diffs)/2+1, func(q int) bool { return cdf(float64(q)) >= alpha/2 })
	if k == 0 || k > len(diffs)/2 {
		return est, math.Inf(-1), math.Inf(1)
	}
	return est, diffs[k-1], diffs[len(diffs)-k]
}

// UTest is the two-sided Mann-Whitney U test p-value (exact for small
// samples, with ties handled; go-moremath's implementation, which benchstat
// uses). Samples with every value equal give 1.
func UTest(x, y []float64) float64 {
	res, err := stats.MannWhitneyUTest(x, y, stats.LocationDiffers)
	if err != nil {
		return 1
	}
	return res.P
}

// Holm adjusts p-values for the family-wise error rate with Holm's
// step-down procedure: sorted ascending, the i-th smallest (0-based) of m
// is multiplied by m-i, and adjusted values are kept non-decreasing. A
// hypothesis is rejected at level alpha when its adjusted p < alpha; the
// chance that any true null in the family is rejected is then at most
// alpha, whatever the dependence between the tests.
func Holm(p []float64) []float64 {
	m := len(p)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	adj := make([]float64, m)
	run := 0.0
	for i, j := range idx {
		run = max(run, min(1, float64(m-i)*p[j]))
		adj[j] = run
	}
	return adj
}

// pairedMetric is one metric's paired differences prepared for the minP
// permutation adjustment: bitsets over pairs (bit i of word i/64).
type pairedMetric struct {
	ranks2 []int    // doubled ranks of |d|, 0 for d == 0
	pos    []uint64 // d > 0
	nz     []uint64 // d != 0
	dist   signedRankDist
	p      float64 // observed p-value
}

func newPairedMetric(d []float64) pairedMetric {
	words := (len(d) + 63) / 64
	m := pairedMetric{ranks2: doubledRanks(d), pos: make([]uint64, words), nz: make([]uint64, words)}
	for i, v := range d {
		if v > 0 {
			m.pos[i/64] |= 1 << (i % 64)
		}
		if v != 0 {
			m.nz[i/64] |= 1 << (i % 64)
		}
	}
	m.dist = newSignedRankDist(m.ranks2)
	m.p = m.dist.p(signedRankW(d, m.ranks2))
	return m
}

// pFlipped is the metric's p-value when the pairs whose bit is set in flip
// have their base and new runs swapped.
func (m *pairedMetric) pFlipped(flip []uint64) float64 {
	w := 0
	for k, pos := range m.pos {
		x := (pos ^ flip[k]) & m.nz[k]
		for x != 0 {
			i := bits.TrailingZeros64(x)
			w += m.ranks2[k*64+i]
			x &= x - 1
		}
	}
	return m.dist.p(w)
}

// exactFlipsMax is the most pairs for which every sign pattern is
// enumerated (2^16 patterns); above, MinPAdjust draws flipDraws at random.
const (
	exactFlipsMax = 16
	flipDraws     = 20000
)

// MinPAdjust adjusts the signed-rank p-values of metrics measured on the
// same n pairs (diffs[k][i]: metric k, pair i) for the family-wise error
// rate, by Westfall and Young's step-down minP procedure over the sign-flip
// permutations of whole pairs.
//
// Why this and not Holm: when the order within each pair is random (as
// sparkbench ab chooses it), swapping base and new in any set of pairs is
// exactly as likely under "no change" as what was observed, for all
// metrics at once. The distribution of the smallest p-value over the
// family under those swaps is therefore known exactly, including how
// strongly the metrics move together (response and invocation latencies
// nearly always do) and how discrete they are (with 10 pairs no signed-rank
// p-value can be below 2/1024, and a metric that is equal in every pair can
// never be significant). Holm assumes the worst on both counts and, with
// seven gated metrics, would demand p < 0.05/7 from a test whose smallest
// possible p is 0.002. The minP adjustment keeps the family-wise error at
// alpha and spends it only where a false alarm could come from.
//
// It returns the adjusted p-values (in the order of diffs), the number of
// permutations used and whether they were all of them (exact).
func MinPAdjust(diffs [][]float64) (adj []float64, perms int, exact bool) {
	k := len(diffs)
	adj = make([]float64, k)
	if k == 0 {
		return adj, 0, true
	}
	n := len(diffs[0])
	ms := make([]pairedMetric, k)
	for j, d := range diffs {
		ms[j] = newPairedMetric(d)
	}
	order := make([]int, k)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ms[order[a]].p < ms[order[b]].p })
	counts := make([]int, k)
	flip := make([]uint64, (n+63)/64)
	visit := func() {
		q := math.Inf(1)
		for r := k - 1; r >= 0; r-- {
			m := &ms[order[r]]
			q = min(q, m.pFlipped(flip))
			if q <= m.p {
				counts[r]++
			}
		}
	}
	if n <= exactFlipsMax {
		perms, exact = 1<<n, true
		for s := 0; s < perms; s++ {
			flip[0] = uint64(s)
			visit()
		}
	} else {
		// The observed assignment, then random ones: a permutation
		// p-value that counts the observation is never below 1/perms and
		// keeps its level (Phipson & Smyth 2010). The seed is fixed so
		// that the same results always give the same verdict.
		perms = flipDraws
		rng := rand.New(rand.NewPCG(uint64(n), uint64(k)))
		visit()
		for b := 1; b < perms; b++ {
			for w := range flip {
				flip[w] = rng.Uint64()
			}
			visit()
		}
	}
	run := 0.0
	for r, j := range order {
		run = max(run, float64(counts[r])/float64(perms))
		adj[j] = run
	}
	return adj, perms, exact
}

// MinPairsForSignificance is the fewest pairs with which a two-sided
// signed-rank test can reach p < alpha at all (2/2^n < alpha).
func MinPairsForSignificance(alpha float64) int {
	for n := 1; n < 64; n++ {
		if 2/math.Ldexp(1, n) < alpha {
			return n
		}
	}
	return 64
}

func medianSorted(s []float64) float64 {
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
