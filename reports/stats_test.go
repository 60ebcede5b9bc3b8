package reports

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// bruteSignedRankP enumerates all 2^n sign patterns of |d| (zeros dropped,
// midranks for ties) and returns the two-sided p-value of the observed W.
func bruteSignedRankP(d []float64) float64 {
	r := doubledRanks(d)
	var nz []int
	total := 0
	for _, a := range r {
		if a > 0 {
			nz = append(nz, a)
			total += a
		}
	}
	w := signedRankW(d, r)
	lo := min(w, total-w)
	count := 0
	for s := 0; s < 1<<len(nz); s++ {
		x := 0
		for i, a := range nz {
			if s>>i&1 == 1 {
				x += a
			}
		}
		if x <= lo || x >= total-lo {
			count++
		}
	}
	return min(1, float64(count)/float64(int(1)<<len(nz)))
}

func TestSignedRankTestKnown(t *testing.T) {
	// Hollander & Wolfe (1973), p. 29: Hamilton depression scale before
	// and after; R: wilcox.test(x, y, paired = TRUE) gives V = 40,
	// p-value = 0.03906.
	x := []float64{1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30}
	y := []float64{0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29}
	d := make([]float64, len(x))
	for i := range x {
		d[i] = x[i] - y[i]
	}
	if p := SignedRankTest(d); math.Abs(p-0.0390625) > 1e-12 {
		t.Fatalf("p = %v, want 20/512", p)
	}
	if w := signedRankW(d, doubledRanks(d)); w != 80 {
		t.Fatalf("doubled W = %d, want 80 (V = 40)", w)
	}
	for _, tc := range []struct {
		d []float64
		p float64
	}{
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 2.0 / 1024},
		{[]float64{-1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 4.0 / 1024},
		{[]float64{0, 0, 0}, 1},
		{nil, 1},
	} {
		if p := SignedRankTest(tc.d); math.Abs(p-tc.p) > 1e-12 {
			t.Errorf("SignedRankTest(%v) = %v, want %v", tc.d, p, tc.p)
		}
	}
}

// TestSignedRankExact: the dynamic-programming distribution equals full
// enumeration, with ties and zeros.
func TestSignedRankExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 300; trial++ {
		n := 1 + rng.IntN(12)
		d := make([]float64, n)
		for i := range d {
			d[i] = float64(rng.IntN(7) - 3) // many ties and zeros
			if trial%2 == 0 {
				d[i] = rng.NormFloat64()
			}
		}
		if got, want := SignedRankTest(d), bruteSignedRankP(d); math.Abs(got-want) > 1e-12 {
			t.Fatalf("%v: p = %v, enumeration %v", d, got, want)
		}
	}
}

func TestSignedRankNormalApprox(t *testing.T) {
	// Above exactSignedRankMax the normal approximation takes over; just
	// below, both must agree closely.
	rng := rand.New(rand.NewPCG(3, 4))
	d := make([]float64, exactSignedRankMax)
	for i := range d {
		d[i] = rng.NormFloat64() + 0.1
	}
	r := doubledRanks(d)
	dist := newSignedRankDist(r)
	exact := dist.p(signedRankW(d, r))
	dist.cdf = nil
	approx := dist.p(signedRankW(d, r))
	if math.Abs(exact-approx) > 0.002 {
		t.Fatalf("exact %v, normal %v", exact, approx)
	}
}

func TestSignedRankCritical(t *testing.T) {
	// R: qsignrank(0.025, n).
	for _, tc := range []struct{ n, k int }{{5, 0}, {6, 1}, {8, 4}, {10, 9}, {20, 53}} {
		if k := signedRankCritical(tc.n, 0.05); k != tc.k {
			t.Errorf("n=%d: %d, want %d", tc.n, k, tc.k)
		}
	}
	if MinPairsForSignificance(0.05) != 6 {
		t.Fatalf("MinPairsForSignificance(0.05) = %d", MinPairsForSignificance(0.05))
	}
}

// TestPairedShiftInvertsTest: a shift inside the interval is not rejected
// by the signed-rank test at alpha, one outside is.
func TestPairedShiftInvertsTest(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 50; trial++ {
		n := 6 + rng.IntN(15)
		d := make([]float64, n)
		for i := range d {
			d[i] = 0.3 + rng.NormFloat64()
		}
		est, lo, hi := PairedShift(d, 0.05)
		if !(lo <= est && est <= hi) {
			t.Fatalf("estimate %v outside [%v, %v]", est, lo, hi)
		}
		shifted := func(th float64) []float64 {
			s := make([]float64, n)
			for i := range d {
				s[i] = d[i] - th
			}
			return s
		}
		eps := 1e-9
		if p := SignedRankTest(shifted(lo + eps)); p < 0.05 {
			t.Fatalf("just inside lo: p %v", p)
		}
		if p := SignedRankTest(shifted(hi - eps)); p < 0.05 {
			t.Fatalf("just inside hi: p %v", p)
		}
		if p := SignedRankTest(shifted(lo - eps)); p >= 0.05 {
			t.Fatalf("just outside lo: p %v", p)
		}
		if p := SignedRankTest(shifted(hi + eps)); p >= 0.05 {
			t.Fatalf("just outside hi: p %v", p)
		}
	}
	if _, lo, hi := PairedShift([]float64{1, 2, 3, 4, 5}, 0.05); !math.IsInf(lo, -1) || !math.IsInf(hi, 1) {
		t.Fatalf("5 pairs: [%v, %v], want infinite", lo, hi)
	}
}

func TestTwoSampleShift(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	y := make([]float64, len(x))
	for i := range x {
		y[i] = x[i] + 10
	}
	if est, lo, hi := TwoSampleShift(x, y, 0.05); est != 10 || lo >= 10 || hi <= 10 {
		t.Fatalf("shift 10: %v [%v, %v]", est, lo, hi)
	}
	// The interval inverts the U test.
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 30; trial++ {
		a, b := make([]float64, 4+rng.IntN(10)), make([]float64, 4+rng.IntN(10))
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		for i := range b {
			b[i] = 0.5 + rng.NormFloat64()
		}
		_, lo, hi := TwoSampleShift(a, b, 0.05)
		if math.IsInf(lo, 0) {
			continue
		}
		sh := func(th float64) []float64 {
			s := make([]float64, len(b))
			for i := range b {
				s[i] = b[i] - th
			}
			return s
		}
		eps := 1e-9
		if UTest(a, sh(lo+eps)) < 0.05 || UTest(a, sh(hi-eps)) < 0.05 {
			t.Fatalf("n=%d+%d: inside [%v, %v] rejected", len(a), len(b), lo, hi)
		}
		if UTest(a, sh(lo-eps)) >= 0.05 || UTest(a, sh(hi+eps)) >= 0.05 {
			t.Fatalf("n=%d+%d: outside [%v, %v] not rejected", len(a), len(b), lo, hi)
		}
	}
	if _, lo, _ := TwoSampleShift([]float64{1, 2}, []float64{3, 4}, 0.05); !math.IsInf(lo, -1) {
		t.Fatal("2+2 runs: finite interval")
	}
}

// TestShiftCoverage: over many normal samples, the 95% intervals cover the
// true shift at least 95% of the time (less a binomial margin).
func TestShiftCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const trials = 2000
	pairedHit, twoHit := 0, 0
	for i := 0; i < trials; i++ {
		d := make([]float64, 10)
		x, y := make([]float64, 10), make([]float64, 10)
		for j := range d {
			d[j] = 0.7 + rng.NormFloat64()
			x[j] = rng.NormFloat64()
			y[j] = 0.7 + rng.NormFloat64()
		}
		if _, lo, hi := PairedShift(d, 0.05); lo <= 0.7 && 0.7 <= hi {
			pairedHit++
		}
		if _, lo, hi := TwoSampleShift(x, y, 0.05); lo <= 0.7 && 0.7 <= hi {
			twoHit++
		}
	}
	// 3 standard errors below 0.95 with 2000 trials: 0.935.
	for name, hit := range map[string]int{"paired": pairedHit, "two-sample": twoHit} {
		if c := float64(hit) / trials; c < 0.935 {
			t.Errorf("%s coverage %.3f < 0.935", name, c)
		}
	}
}

func TestHolm(t *testing.T) {
	got := Holm([]float64{0.01, 0.04, 0.03, 0.005})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("Holm = %v, want %v", got, want)
		}
	}
	if got := Holm([]float64{0.5, 0.9}); got[0] != 1 || got[1] != 1 {
		t.Fatalf("Holm caps at 1: %v", got)
	}
}

func TestMinPAdjust(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	d := make([]float64, 10)
	for i := range d {
		d[i] = 0.5 + rng.NormFloat64()
	}
	// One metric: the adjusted p is the exact p.
	adj, perms, exact := MinPAdjust([][]float64{d})
	if !exact || perms != 1024 || math.Abs(adj[0]-SignedRankTest(d)) > 1e-12 {
		t.Fatalf("one metric: adj %v (perms %d exact %v), p %v", adj, perms, exact, SignedRankTest(d))
	}
	// A copy of it costs nothing: perfectly correlated metrics are one.
	adj, _, _ = MinPAdjust([][]float64{d, append([]float64(nil), d...)})
	if math.Abs(adj[0]-SignedRankTest(d)) > 1e-12 || adj[0] != adj[1] {
		t.Fatalf("duplicated metric: %v, p %v", adj, SignedRankTest(d))
	}
	// A metric equal in every pair can never be significant and costs
	// nothing either (Holm would count it).
	adj, _, _ = MinPAdjust([][]float64{d, make([]float64, 10)})
	if math.Abs(adj[0]-SignedRankTest(d)) > 1e-12 || adj[1] != 1 {
		t.Fatalf("with a constant metric: %v", adj)
	}
	// Never below the raw p, never above 1, and monotone in the raw order.
	ds := make([][]float64, 6)
	for k := range ds {
		ds[k] = make([]float64, 12)
		for i := range ds[k] {
			ds[k][i] = float64(k)*0.2 + rng.NormFloat64()
		}
	}
	adj, _, _ = MinPAdjust(ds)
	type pa struct{ p, a float64 }
	var ps []pa
	for k := range ds {
		p := SignedRankTest(ds[k])
		if adj[k] < p-1e-12 || adj[k] > 1 {
			t.Fatalf("metric %d: adjusted %v, raw %v", k, adj[k], p)
		}
		ps = append(ps, pa{p, adj[k]})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].p < ps[j].p })
	for i := 1; i < len(ps); i++ {
		if ps[i].a < ps[i-1].a {
			t.Fatalf("not monotone: %v", ps)
		}
	}
	// Above exactFlipsMax pairs, random flips: still at least the raw p
	// for a single metric, within Monte Carlo error.
	big := make([]float64, 30)
	for i := range big {
		big[i] = 0.2 + rng.NormFloat64()
	}
	adj, perms, exact = MinPAdjust([][]float64{big})
	if exact || perms != flipDraws || math.Abs(adj[0]-SignedRankTest(big)) > 0.01 {
		t.Fatalf("30 pairs: adj %v perms %d exact %v, p %v", adj, perms, exact, SignedRankTest(big))
	}
}

// TestMinPFamilyWiseError: under no change, with correlated metrics, the
// chance that any metric of the family is significant stays at most alpha.
func TestMinPFamilyWiseError(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	const trials = 2000
	anyMinP, anyHolm := 0, 0
	for i := 0; i < trials; i++ {
		ds := make([][]float64, 7)
		common := make([]float64, 10)
		for j := range common {
			common[j] = rng.NormFloat64()
		}
		for k := range ds {
			ds[k] = make([]float64, 10)
			for j := range ds[k] {
				ds[k][j] = common[j] + 0.7*rng.NormFloat64()
			}
		}
		adj, _, _ := MinPAdjust(ds)
		raw := make([]float64, len(ds))
		for k := range ds {
			raw[k] = SignedRankTest(ds[k])
		}
		for k := range adj {
			if adj[k] < 0.05 {
				anyMinP++
				break
			}
		}
		for _, a := range Holm(raw) {
			if a < 0.05 {
				anyHolm++
				break
			}
		}
	}
	fwe := float64(anyMinP) / trials
	t.Logf("family-wise error: minP %.4f, Holm %.4f", fwe, float64(anyHolm)/trials)
	if fwe > 0.05+3*math.Sqrt(0.05*0.95/trials) {
		t.Fatalf("minP family-wise error %.4f > 0.05", fwe)
	}
}
