package reports

import (
	"fmt"
	"math"
	"path"
	"sort"
	"strings"
)

// CompareOptions configure Compare.
type CompareOptions struct {
	// Alpha is the family-wise significance level: the chance that any
	// metric of a family (the gated metrics; the informational ones) is
	// flagged when nothing changed is at most Alpha. Intervals are
	// 1-Alpha confidence intervals.
	Alpha float64
	// Threshold is the minimum effect size: a significant change whose
	// estimate is smaller than this fraction (0.05 = 5%) of the base is
	// reported as no change.
	Threshold float64
	// SingleRunThreshold, if > 0, is used when a side has too few runs
	// for any test to reach Alpha (MinRunsForSignificance,
	// MinPairsForSignificance); a metric whose medians differ by more than
	// this fraction is then flagged without a test. With 0 such metrics
	// are reported as not tested and never fail.
	SingleRunThreshold float64
	// Metrics are the patterns of the metrics that gate: only a
	// regression in one of them makes Regressions() > 0; the others are
	// informational. nil means DefaultGatedMetrics; "all" gates every
	// metric. Patterns use path.Match syntax over metric names, with '@'
	// and ':' separating like '/': "spark_*.p99" matches spark_get.p99
	// but not limiter@edge:spark_get.p99, "*@*:invocation.p99" matches
	// every scenario's. A pattern that matches no metric is an error.
	Metrics []string
	// Config declares a configuration comparison: the sides may have run
	// different workloads (file, seed, overrides, durability, timeout
	// mode) and, with one backend a side, different backends. Without it
	// Compare refuses sides that ran different workloads. A/B results
	// made with different settings per side are declared so by sparkbench
	// ab itself (ABInfo.Config).
	Config bool
	// AllowPartial accepts partial merges (merge --allow-partial), which
	// carry only part of the load and are refused otherwise.
	AllowPartial bool
	// Unpaired analyses paired A/B runs as if they were independent
	// batches (for diagnostics: the unpaired test ignores the pairing).
	Unpaired bool
}

// DefaultGatedMetrics are the metrics that gate by default: response and
// invocation p50 and p99, every Spark operation's p99, and throughput
// (completed invocations per second). Means, the backend's own
// operations, other rates and per-scenario metrics are informational.
var DefaultGatedMetrics = []string{"response.p50", "response.p99", "invocation.p50", "invocation.p99", "spark_*.p99", "invocation.rate"}

// DefaultCompareOptions: alpha 0.05, 5% minimum effect, no single-run
// gate, DefaultGatedMetrics.
func DefaultCompareOptions() CompareOptions {
	return CompareOptions{Alpha: 0.05, Threshold: 0.05}
}

// Verdict is the outcome of comparing one metric.
type Verdict uint8

const (
	Unchanged   Verdict = iota // not significant, or smaller than the threshold
	Regression                 // significant and worse by more than the threshold
	Improvement                // significant and better by more than the threshold
	NotTested                  // too few runs for a significance test (and no single-run threshold)
)

var verdictNames = [...]string{"unchanged", "regression", "improvement", "not_tested"}

// String returns the verdict as shown in tables: "~", "REGRESSION",
// "improvement" or "n/a".
func (v Verdict) String() string {
	return [...]string{"~", "REGRESSION", "improvement", "n/a"}[v]
}

// MarshalText encodes the verdict as "unchanged", "regression",
// "improvement" or "not_tested".
func (v Verdict) MarshalText() ([]byte, error) {
	if int(v) >= len(verdictNames) {
		return nil, fmt.Errorf("reports: verdict %d", v)
	}
	return []byte(verdictNames[v]), nil
}

// MetricDelta compares one metric of one backend.
type MetricDelta struct {
	Backend, Metric string
	// Gated metrics decide the comparison; the others are shown only.
	Gated bool
	// Base and New hold one value per run (nanoseconds, or per second for
	// rates); with paired runs, in pair order (Comparison.PairIDs).
	Base, New             []float64
	BaseCenter, NewCenter float64 // medians
	// Change is the estimated relative change, new/base - 1: the
	// Hodges–Lehmann estimate on log ratios (paired) or log values
	// (unpaired); with too few runs, the ratio of the medians.
	Change float64
	// CILow and CIHigh bound Change with confidence 1-Alpha (±Inf when
	// there are too few runs for an interval).
	CILow, CIHigh float64
	// P is the test's p-value (1 when not tested); PAdjusted is the
	// family-wise adjusted p-value the verdict is based on.
	P, PAdjusted  float64
	Verdict       Verdict
	Note          string `json:",omitempty"`
	LowerIsBetter bool
	Duration      bool // values are durations in nanoseconds, else rates per second
}

// Tested reports whether the metric was put to a significance test.
func (d MetricDelta) Tested() bool { return d.Verdict != NotTested && d.Note == "" }

// Comparison is the result of Compare.
type Comparison struct {
	Options CompareOptions
	// Paired is true when runs were analysed in A/B pairs.
	Paired bool
	// PairIDs are the pairs analysed (ABInfo.Pair), in order; Session is
	// their A/B session.
	PairIDs []int
	Session string
	// PairFirst says, per pair, which side ran first (SideBase or SideNew).
	PairFirst []string `json:",omitempty"`
	// Permutations is the number of sign-flip permutations the paired
	// family-wise adjustment used, Exact whether that was all of them.
	Permutations int
	Exact        bool
	// Config is true for a configuration comparison (declared by the
	// caller or by the A/B session).
	Config   bool
	BaseRuns int
	NewRuns  int
	Deltas   []MetricDelta
	Notes    []string // what differs between the sides, runs left out
}

// Regressions counts gated metrics flagged as regressions.
func (c *Comparison) Regressions() int {
	n := 0
	for _, d := range c.Deltas {
		if d.Gated && d.Verdict == Regression {
			n++
		}
	}
	return n
}

// MinRunsForSignificance is the smallest number of runs per side with which
// a two-sided Mann-Whitney U test can reach p < alpha at all.
func MinRunsForSignificance(alpha float64) int {
	for n := 1; n < 50; n++ {
		// The smallest possible two-sided p with n+n samples, no ties:
		// 2 / C(2n, n).
		if 2/binomial(2*n, n) < alpha {
			return n
		}
	}
	return 50
}

func binomial(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}

type metricDef struct {
	name          string
	lowerIsBetter bool
	isDur         bool
	value         func(run *Run) float64
}

func metricsOf(runs []*Run) []metricDef {
	var seen [NumOps]bool
	// groupsWith[op] lists the (scenario, node) labels that have op.
	var groupsWith [NumOps][]Labels
	for _, r := range runs {
		for _, g := range r.Groups {
			l := Labels{Scenario: g.Labels.Scenario, Node: g.Labels.Node}
			for _, o := range g.Ops {
				seen[o.Op] = true
				if !containsLabels(groupsWith[o.Op], l) {
					groupsWith[o.Op] = append(groupsWith[o.Op], l)
				}
			}
		}
	}
	// Every metric of an operation reads the same merged histogram: build
	// it once per run.
	type histKey struct {
		run *Run
		l   Labels
		op  Op
		all bool
	}
	cache := map[histKey]*Hist{}
	cached := func(k histKey) *Hist {
		h, ok := cache[k]
		if !ok {
			if k.all {
				h = k.run.Op(k.op)
			} else {
				h = k.run.groupOp(k.l, k.op)
			}
			cache[k] = h
		}
		return h
	}
	var defs []metricDef
	add := func(prefix string, hist func(*Run) *Hist, rate func(*Run) float64) {
		defs = append(defs,
			metricDef{prefix + ".p50", true, true, func(r *Run) float64 { return float64(hist(r).Quantile(.5)) }},
			metricDef{prefix + ".p99", true, true, func(r *Run) float64 { return float64(hist(r).Quantile(.99)) }},
			metricDef{prefix + ".mean", true, true, func(r *Run) float64 { return float64(hist(r).Mean()) }},
			metricDef{prefix + ".rate", false, false, rate},
		)
	}
	for _, op := range displayOps {
		if !seen[op] {
			continue
		}
		op := op
		all := func(r *Run) *Hist { return cached(histKey{run: r, op: op, all: true}) }
		add(op.String(), all, func(r *Run) float64 { return r.Rate(op) })
		// An operation measured in several scenarios or nodes is also
		// compared per scenario and node, so that a regression in one is
		// not diluted by the others.
		if len(groupsWith[op]) < 2 {
			continue
		}
		for _, l := range groupsWith[op] {
			l := l
			h := func(r *Run) *Hist { return cached(histKey{run: r, l: l, op: op}) }
			add(l.Scenario+"@"+l.Node+":"+op.String(), h, func(r *Run) float64 { return r.groupRate(l, op) })
		}
	}
	return defs
}

func containsLabels(ls []Labels, l Labels) bool {
	for _, m := range ls {
		if m == l {
			return true
		}
	}
	return false
}

// groupOp returns op's histogram in the groups with l's scenario and node.
func (run *Run) groupOp(l Labels, op Op) *Hist {
	h := NewHist()
	for _, g := range run.Groups {
		if g.Labels.Scenario == l.Scenario && g.Labels.Node == l.Node {
			if o := g.op(op, false); o != nil {
				h.Merge(o.All())
			}
		}
	}
	return h
}

// groupRate is op's rate in the groups with l's scenario and node (as
// Run.Rate is over the whole run).
func (run *Run) groupRate(l Labels, op Op) float64 {
	return run.rateIn(op, func(g *Group) bool { return g.Labels.Scenario == l.Scenario && g.Labels.Node == l.Node })
}

// metricPatternName makes '@' and ':' separators for path.Match.
func metricPatternName(s string) string {
	return strings.NewReplacer("@", "/", ":", "/").Replace(s)
}

// gatedBy reports whether metric matches one of the patterns.
func gatedBy(patterns []string, metric string) bool {
	name := metricPatternName(metric)
	for _, p := range patterns {
		if p == "all" {
			return true
		}
		if ok, _ := path.Match(metricPatternName(p), name); ok {
			return true
		}
	}
	return false
}

// sidePair is one backend's runs on both sides: unpaired, all runs; paired,
// one run per pair in Comparison.PairIDs order.
type sidePair struct {
	label      string
	base, news []*Run
}

// Compare decides, per backend and metric (each operation's p50, p99, mean
// and rate, and per scenario@node where an operation is measured in
// several), whether new differs from base.
//
// Paired runs (sparkbench ab: every run of both sides carries ABInfo of one
// session) are analysed pair by pair: for each metric, the log ratio
// new/base within each pair goes into a Wilcoxon signed-rank test, whose
// p-values are adjusted over each family of metrics by MinPAdjust (sign
// flips of whole pairs). Pairing removes what drifted between pairs (other
// load on the machine, thermal state, the page cache); the signed-rank test
// needs no distribution and shrugs off a pair hit by a burst of noise,
// which a t-test on means would not; the permutation adjustment is exact
// because sparkbench ab chooses the order within each pair at random.
//
// Other runs (result files made separately) are two independent samples:
// Mann-Whitney U test on each side's values (benchstat's test), Holm's
// correction over each family. Drift between the two batches is then
// indistinguishable from a change: prefer sparkbench ab.
//
// Either way the change is estimated by the Hodges–Lehmann estimator on log
// values with the confidence interval that inverts the same rank test. A
// gated metric (CompareOptions.Metrics) is a regression when its adjusted
// p-value is below Alpha and its estimated change is worse than Threshold;
// informational metrics form a second family and never fail a comparison.
//
// With too few runs per side for the test to ever reach Alpha (a single
// run, for instance), nothing is tested: metrics are NotTested unless
// SingleRunThreshold is set, in which case a change worse than it is a
// regression on the face of the medians. The per-second series of one run
// are autocorrelated and would make any difference look significant.
//
// Compare refuses (ErrCompare) single shards, partial merges (ErrPartial)
// unless AllowPartial, sides of different workloads unless Config, and
// sides with no backend in common.
func Compare(base, new *Report, opts CompareOptions) (*Comparison, error) {
	if !(opts.Alpha > 0 && opts.Alpha < 1) {
		return nil, fmt.Errorf("%w: alpha %v not in (0,1)", ErrCompare, opts.Alpha)
	}
	if opts.Threshold < 0 || opts.SingleRunThreshold < 0 || math.IsNaN(opts.Threshold) || math.IsNaN(opts.SingleRunThreshold) {
		return nil, fmt.Errorf("%w: negative threshold", ErrCompare)
	}
	if len(base.Runs) == 0 || len(new.Runs) == 0 {
		return nil, fmt.Errorf("%w: a side has no runs", ErrCompare)
	}
	if len(base.Runs)+len(new.Runs) > 2*MaxRuns {
		return nil, fmt.Errorf("%w: more than %d runs a side", ErrCompare, MaxRuns)
	}
	c := &Comparison{Options: opts, BaseRuns: len(base.Runs), NewRuns: len(new.Runs), Config: opts.Config}
	for _, side := range []*Report{base, new} {
		for _, r := range side.Runs {
			set, err := parseShardSet(r.Info.Shard)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrCompare, runWhere(r), err)
			}
			switch {
			case set.n > 0 && !set.merged:
				return nil, fmt.Errorf("%w: %s is one shard of a sharded run: merge the shards first (sparkbench merge)", ErrCompare, runWhere(r))
			case (r.Info.Partial || !set.complete()) && !opts.AllowPartial:
				return nil, fmt.Errorf("%w: %w: %s is a partial merge (%s): it carries only part of the load; pass --allow-partial to compare it anyway",
					ErrCompare, ErrPartial, runWhere(r), r.Info.Shard)
			}
		}
	}
	session, paired := abSession(base, new)
	if paired {
		// An A/B session declares its own kind of comparison, even when
		// its runs are analysed unpaired.
		c.Config = c.Config || base.Runs[0].Info.AB.Config
	}
	if opts.Unpaired {
		paired = false
	}
	if paired {
		c.Session = session
	}

	bNames, bRuns := groupRunsBy(base, false)
	nNames, nRuns := groupRunsBy(new, false)
	var sides []sidePair
	for _, b := range bNames {
		if nr, ok := nRuns[b]; ok {
			sides = append(sides, sidePair{label: b, base: bRuns[b], news: nr})
		} else {
			c.Notes = append(c.Notes, fmt.Sprintf("backend %s only in base", b))
		}
	}
	for _, n := range nNames {
		if _, ok := bRuns[n]; !ok {
			c.Notes = append(c.Notes, fmt.Sprintf("backend %s only in new", n))
		}
	}
	if len(sides) == 0 && c.Config && len(bNames) == 1 && len(nNames) == 1 {
		// A configuration comparison of one backend against another.
		sides = []sidePair{{label: bNames[0] + "→" + nNames[0], base: bRuns[bNames[0]], news: nRuns[nNames[0]]}}
		c.Notes = nil
	}
	if len(sides) == 0 {
		return nil, fmt.Errorf("%w: no backend in common (base %s, new %s)", ErrCompare, strings.Join(bNames, ","), strings.Join(nNames, ","))
	}
	for _, sp := range sides {
		for _, runs := range [][]*Run{sp.base, sp.news} {
			for _, r := range runs[1:] {
				if d := workloadDiff(runs[0].Info, r.Info); d != "" {
					return nil, fmt.Errorf("%w: %s and %s (one side) ran different workloads (%s)", ErrCompare, runWhere(runs[0]), runWhere(r), d)
				}
			}
		}
		if d := workloadDiff(sp.base[0].Info, sp.news[0].Info); d != "" {
			if !c.Config {
				return nil, fmt.Errorf("%w: base %s and new %s ran different workloads (%s); to compare two configurations, declare it (compare --config)",
					ErrCompare, runWhere(sp.base[0]), runWhere(sp.news[0]), d)
			}
			c.Notes = append(c.Notes, fmt.Sprintf("configurations differ (%s): %s", sp.label, d))
		}
	}
	if be, ne := base.Env, new.Env; be.CPU != ne.CPU || be.GOMAXPROCS != ne.GOMAXPROCS || be.NumCPU != ne.NumCPU {
		c.Notes = append(c.Notes, fmt.Sprintf("machines differ: base %s (%d CPUs, GOMAXPROCS %d), new %s (%d CPUs, GOMAXPROCS %d)",
			orDash(be.CPU), be.NumCPU, be.GOMAXPROCS, orDash(ne.CPU), ne.NumCPU, ne.GOMAXPROCS))
	}
	if bb, nb := sideBuild(base), sideBuild(new); bb != nb {
		c.Notes = append(c.Notes, fmt.Sprintf("builds differ: base %s, new %s", bb, nb))
	}
	if paired {
		if err := c.pairUp(sides); err != nil {
			return nil, err
		}
	}

	patterns := opts.Metrics
	if patterns == nil {
		patterns = DefaultGatedMetrics
	}
	for si := range sides {
		sp := &sides[si]
		newDefs := map[string]bool{}
		for _, d := range metricsOf(sp.news) {
			newDefs[d.name] = true
		}
		for _, def := range metricsOf(sp.base) {
			if !newDefs[def.name] {
				c.Notes = append(c.Notes, fmt.Sprintf("%s %s only in base", sp.label, def.name))
				continue
			}
			c.Deltas = append(c.Deltas, c.measure(sp, def, gatedBy(patterns, def.name)))
		}
	}
	if opts.Metrics != nil {
		for _, p := range opts.Metrics {
			if _, err := path.Match(metricPatternName(p), ""); err != nil {
				return nil, fmt.Errorf("%w: --metrics %q: %v", ErrCompare, p, err)
			}
			found := false
			for _, d := range c.Deltas {
				found = found || gatedBy([]string{p}, d.Metric)
			}
			if !found {
				return nil, fmt.Errorf("%w: --metrics %q matches no metric of these results (%s)", ErrCompare, p, c.metricNames())
			}
		}
	}
	c.decide()
	sort.Strings(c.Notes)
	return c, nil
}

// runWhere names a run and the file it came from.
func runWhere(r *Run) string {
	if r.Source != "" {
		return fmt.Sprintf("%s (run %s)", r.Source, r.Name())
	}
	return "run " + r.Name()
}

// sideBuild names the sparkbench build a side ran: the A/B label's, else
// the report's.
func sideBuild(rep *Report) string {
	if ab := rep.Runs[0].Info.AB; ab != nil && ab.Build != "" {
		return ab.Build
	}
	return strings.TrimSpace(buildOf(rep.Env))
}

// abSession returns the A/B session both sides belong to, if every run of
// both carries ABInfo of one session.
func abSession(base, new *Report) (string, bool) {
	session := ""
	for _, side := range []*Report{base, new} {
		for _, r := range side.Runs {
			if r.Info.AB == nil {
				return "", false
			}
			if session == "" {
				session = r.Info.AB.Session
			} else if r.Info.AB.Session != session {
				return "", false
			}
		}
	}
	return session, true
}

// pairUp orders each backend's runs by pair, keeping the pairs complete on
// both sides for every backend (one family of tests needs the same pairs).
func (c *Comparison) pairUp(sides []sidePair) error {
	type byPair map[int]*Run
	index := func(runs []*Run) (byPair, error) {
		m := byPair{}
		for _, r := range runs {
			if _, dup := m[r.Info.AB.Pair]; dup {
				return nil, fmt.Errorf("%w: %s: pair %d appears twice", ErrCompare, runWhere(r), r.Info.AB.Pair)
			}
			m[r.Info.AB.Pair] = r
		}
		return m, nil
	}
	var all []int
	count := map[int]int{}
	maps := make([][2]byPair, len(sides))
	for i, sp := range sides {
		var err error
		if maps[i][0], err = index(sp.base); err != nil {
			return err
		}
		if maps[i][1], err = index(sp.news); err != nil {
			return err
		}
		for _, m := range maps[i] {
			for p := range m {
				if count[p] == 0 {
					all = append(all, p)
				}
				count[p]++
			}
		}
	}
	sort.Ints(all)
	var dropped []int
	for _, p := range all {
		if count[p] == 2*len(sides) {
			c.PairIDs = append(c.PairIDs, p)
		} else {
			dropped = append(dropped, p)
		}
	}
	if len(dropped) > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("pairs %v left out: a side's run is missing", dropped))
	}
	for i := range sides {
		sides[i].base, sides[i].news = nil, nil
		for _, p := range c.PairIDs {
			sides[i].base = append(sides[i].base, maps[i][0][p])
			sides[i].news = append(sides[i].news, maps[i][1][p])
		}
	}
	for _, p := range c.PairIDs {
		first := SideNew
		if maps[0][0][p].Info.AB.First {
			first = SideBase
		}
		c.PairFirst = append(c.PairFirst, first)
	}
	c.Paired = true
	return nil
}

// logValues maps v to logs, zeros to the log of a floor far below the
// smallest positive value seen (so that a metric dropping to zero is a
// large change, not an undefined one).
func logValues(floor float64, vs ...[]float64) [][]float64 {
	out := make([][]float64, len(vs))
	for i, v := range vs {
		out[i] = make([]float64, len(v))
		for j, x := range v {
			out[i][j] = math.Log(max(x, floor))
		}
	}
	return out
}

func positiveFloor(vs ...[]float64) float64 {
	m := math.Inf(1)
	for _, v := range vs {
		for _, x := range v {
			if x > 0 {
				m = min(m, x)
			}
		}
	}
	if math.IsInf(m, 1) {
		return 1
	}
	return m / 1000
}

// measure computes one metric's values, estimate, interval and raw p.
func (c *Comparison) measure(sp *sidePair, def metricDef, gated bool) MetricDelta {
	d := MetricDelta{Backend: sp.label, Metric: def.name, Gated: gated, P: 1, PAdjusted: 1,
		CILow: math.Inf(-1), CIHigh: math.Inf(1), LowerIsBetter: def.lowerIsBetter, Duration: def.isDur}
	for _, r := range sp.base {
		d.Base = append(d.Base, def.value(r))
	}
	for _, r := range sp.news {
		d.New = append(d.New, def.value(r))
	}
	bs, ns := append([]float64(nil), d.Base...), append([]float64(nil), d.New...)
	sort.Float64s(bs)
	sort.Float64s(ns)
	d.BaseCenter, d.NewCenter = medianSorted(bs), medianSorted(ns)
	switch {
	case d.BaseCenter != 0:
		d.Change = d.NewCenter/d.BaseCenter - 1
	case d.NewCenter != 0:
		d.Change = math.Inf(1)
	}
	alpha := c.Options.Alpha
	enough := len(d.Base) >= MinRunsForSignificance(alpha) && len(d.New) >= MinRunsForSignificance(alpha)
	need := fmt.Sprintf("n=%d+%d: too few runs for a U test (need %d a side)", len(d.Base), len(d.New), MinRunsForSignificance(alpha))
	if c.Paired {
		enough = len(d.Base) >= MinPairsForSignificance(alpha)
		need = fmt.Sprintf("%d pairs: too few for a signed-rank test (need %d)", len(d.Base), MinPairsForSignificance(alpha))
	}
	if !enough {
		d.Note = need
		d.Verdict = NotTested
		if c.Options.SingleRunThreshold > 0 {
			d.Verdict = Unchanged
			if d.worse() > c.Options.SingleRunThreshold {
				d.Verdict = Regression
				d.Note += fmt.Sprintf("; worse than the single-run threshold %.0f%%", 100*c.Options.SingleRunThreshold)
			}
		}
		return d
	}
	floor := positiveFloor(d.Base, d.New)
	logs := logValues(floor, d.Base, d.New)
	var est, lo, hi float64
	if c.Paired {
		diff := make([]float64, len(d.Base))
		for i := range diff {
			diff[i] = logs[1][i] - logs[0][i]
		}
		d.P = SignedRankTest(diff)
		est, lo, hi = PairedShift(diff, alpha)
	} else {
		d.P = UTest(logs[0], logs[1])
		est, lo, hi = TwoSampleShift(logs[0], logs[1], alpha)
	}
	d.Change, d.CILow, d.CIHigh = math.Expm1(est), math.Expm1(lo), math.Expm1(hi)
	d.PAdjusted = d.P
	return d
}

// worse is the change in the direction that is bad for the metric.
func (d MetricDelta) worse() float64 {
	if d.LowerIsBetter {
		return d.Change
	}
	return -d.Change
}

// decide adjusts the p-values of each family (gated, informational) and
// gives every tested metric its verdict.
func (c *Comparison) decide() {
	for _, gated := range []bool{true, false} {
		var idx []int
		for i, d := range c.Deltas {
			if d.Gated == gated && d.Tested() {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			continue
		}
		var adj []float64
		if c.Paired {
			diffs := make([][]float64, len(idx))
			for k, i := range idx {
				d := c.Deltas[i]
				logs := logValues(positiveFloor(d.Base, d.New), d.Base, d.New)
				diffs[k] = make([]float64, len(d.Base))
				for j := range diffs[k] {
					diffs[k][j] = logs[1][j] - logs[0][j]
				}
			}
			var perms int
			var exact bool
			adj, perms, exact = MinPAdjust(diffs)
			if gated || c.Permutations == 0 {
				c.Permutations, c.Exact = perms, exact
			}
		} else {
			ps := make([]float64, len(idx))
			for k, i := range idx {
				ps[k] = c.Deltas[i].P
			}
			adj = Holm(ps)
		}
		for k, i := range idx {
			d := &c.Deltas[i]
			d.PAdjusted = adj[k]
			d.Verdict = Unchanged
			if d.PAdjusted < c.Options.Alpha {
				switch {
				case d.worse() > c.Options.Threshold:
					d.Verdict = Regression
				case -d.worse() > c.Options.Threshold:
					d.Verdict = Improvement
				}
			}
		}
	}
}

func (c *Comparison) metricNames() string {
	seen := map[string]bool{}
	var names []string
	for _, d := range c.Deltas {
		if !seen[d.Metric] {
			seen[d.Metric] = true
			names = append(names, d.Metric)
		}
	}
	if len(names) > 12 {
		names = append(names[:12], "...")
	}
	return strings.Join(names, ", ")
}

// GatedCount is the number of gated metrics that were tested: the size of
// the family the adjustment covers.
func (c *Comparison) GatedCount() int {
	n := 0
	for _, d := range c.Deltas {
		if d.Gated && d.Tested() {
			n++
		}
	}
	return n
}

// SplitSides splits a report holding both sides of an A/B session
// (sparkbench ab --out) into its base and new runs.
func SplitSides(rep *Report) (base, new *Report, err error) {
	base = &Report{Schema: rep.Schema, Env: rep.Env}
	new = &Report{Schema: rep.Schema, Env: rep.Env}
	for _, r := range rep.Runs {
		if r.Info.AB == nil {
			return nil, nil, fmt.Errorf("%w: %s is not part of an A/B session: give two sides (compare BASE NEW)", ErrCompare, runWhere(r))
		}
		if r.Info.AB.Side == SideBase {
			base.Runs = append(base.Runs, r)
		} else {
			new.Runs = append(new.Runs, r)
		}
	}
	if len(base.Runs) == 0 || len(new.Runs) == 0 {
		return nil, nil, fmt.Errorf("%w: the A/B result lacks a side (%d base, %d new runs)", ErrCompare, len(base.Runs), len(new.Runs))
	}
	return base, new, nil
}
