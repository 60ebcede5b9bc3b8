package reports

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/perf/benchmath"
)

// CompareOptions configure Compare.
type CompareOptions struct {
	// Alpha is the significance level of the Mann-Whitney U test.
	Alpha float64
	// Threshold is the minimum effect size: a significant change smaller
	// than this fraction (0.05 = 5%) of the base is reported as no change.
	Threshold float64
	// SingleRunThreshold, if > 0, is used when a side has fewer runs than
	// the U test needs to reach Alpha (at alpha 0.05: 4 runs a side, see
	// MinRunsForSignificance); a metric worse by more than this fraction
	// is then flagged as a regression without a significance test. With 0
	// such metrics are reported as not tested and never fail.
	SingleRunThreshold float64
}

// DefaultCompareOptions: alpha 0.05, 5% minimum effect, no single-run gate.
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

// String returns the verdict as shown in tables: "~", "REGRESSION", "improvement" or "n/a".
func (v Verdict) String() string {
	return [...]string{"~", "REGRESSION", "improvement", "n/a"}[v]
}

// MetricDelta compares one metric of one backend.
type MetricDelta struct {
	Backend, Metric     string
	Base, New           []float64 // one value per run
	BaseCenter, NewCent float64   // medians
	Change              float64   // NewCent/BaseCenter - 1
	P                   float64   // U test p-value (1 when not tested)
	Verdict             Verdict
	Note                string
	lowerIsBetter       bool
	isDur               bool
}

// Comparison is the result of Compare.
type Comparison struct {
	Options  CompareOptions
	BaseRuns int
	NewRuns  int
	Deltas   []MetricDelta
	Notes    []string // backends or metrics present on one side only
}

// Regressions counts metrics flagged as regressions.
func (c *Comparison) Regressions() int {
	n := 0
	for _, d := range c.Deltas {
		if d.Verdict == Regression {
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
	var defs []metricDef
	add := func(prefix string, hist func(*Run) *Hist, count func(*Run) int64) {
		defs = append(defs,
			metricDef{prefix + ".p50", true, true, func(r *Run) float64 { return float64(hist(r).Quantile(.5)) }},
			metricDef{prefix + ".p99", true, true, func(r *Run) float64 { return float64(hist(r).Quantile(.99)) }},
			metricDef{prefix + ".mean", true, true, func(r *Run) float64 { return float64(hist(r).Mean()) }},
			metricDef{prefix + ".rate", false, false, func(r *Run) float64 {
				if r.Info.Duration <= 0 {
					return 0
				}
				return float64(count(r)) / r.Info.Duration.Seconds()
			}},
		)
	}
	for _, op := range displayOps {
		if !seen[op] {
			continue
		}
		op := op
		add(op.String(), func(r *Run) *Hist { return r.Op(op) }, func(r *Run) int64 { return r.Op(op).Count() })
		// An operation measured in several scenarios or nodes is also
		// compared per scenario and node, so that a regression in one is
		// not diluted by the others.
		if len(groupsWith[op]) < 2 {
			continue
		}
		for _, l := range groupsWith[op] {
			l := l
			h := func(r *Run) *Hist { return r.groupOp(l, op) }
			add(l.Scenario+"@"+l.Node+":"+op.String(), h, func(r *Run) int64 { return h(r).Count() })
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

// Compare decides, per backend and metric (each operation's p50, p99, mean
// and rate), whether new differs from base. Each side's runs (Report.Runs
// with the same backend: run --count N, or several files concatenated) are
// one sample per metric; the test is Mann-Whitney U (benchmath's
// AssumeNothing, as benchstat). A metric is a regression only if the test
// is significant at Alpha and it is worse by more than Threshold.
//
// With too few runs per side for the test to ever reach Alpha (a single
// run, for instance), nothing is tested: metrics are NotTested unless
// SingleRunThreshold is set, in which case a change worse than it is a
// regression on the face of the single values. This is deliberate: the
// per-second series of one run are autocorrelated and would make any
// difference look significant.
func Compare(base, new *Report, opts CompareOptions) (*Comparison, error) {
	if opts.Alpha <= 0 || opts.Alpha >= 1 {
		return nil, fmt.Errorf("%w: alpha %v not in (0,1)", ErrCompare, opts.Alpha)
	}
	if opts.Threshold < 0 || opts.SingleRunThreshold < 0 {
		return nil, fmt.Errorf("%w: negative threshold", ErrCompare)
	}
	// Sides are matched by backend alone: comparing two versions of a
	// workload file is allowed, and noted.
	bNames, bRuns := groupRunsBy(base, false)
	_, nRuns := groupRunsBy(new, false)
	c := &Comparison{Options: opts, BaseRuns: len(base.Runs), NewRuns: len(new.Runs)}
	if len(base.Runs) == 0 || len(new.Runs) == 0 {
		return nil, fmt.Errorf("%w: a side has no runs", ErrCompare)
	}
	for _, side := range []*Report{base, new} {
		for _, r := range side.Runs {
			if r.Info.Shard != "" && !strings.HasPrefix(r.Info.Shard, "merged") {
				return nil, fmt.Errorf("%w: run %q is one shard of a sharded run: merge the shards first (sparkbench merge)", ErrCompare, r.Name())
			}
		}
	}
	common := 0
	for _, b := range bNames {
		nr, ok := nRuns[b]
		if !ok {
			c.Notes = append(c.Notes, fmt.Sprintf("backend %s only in base", b))
			continue
		}
		common++
		br := bRuns[b]
		bi, ni := br[0].Info, nr[0].Info
		if bi.FileSHA256 != ni.FileSHA256 {
			c.Notes = append(c.Notes, fmt.Sprintf("backend %s: workload files differ (sha256 %.12s vs %.12s)", b, bi.FileSHA256, ni.FileSHA256))
		}
		if bi.Durability != ni.Durability || bi.TimeoutMode != ni.TimeoutMode {
			c.Notes = append(c.Notes, fmt.Sprintf("backend %s: durability/timeout mode differ (%s/%s vs %s/%s)", b, bi.Durability, bi.TimeoutMode, ni.Durability, ni.TimeoutMode))
		}
		newDefs := map[string]bool{}
		for _, d := range metricsOf(nr) {
			newDefs[d.name] = true
		}
		for _, def := range metricsOf(br) {
			if !newDefs[def.name] {
				c.Notes = append(c.Notes, fmt.Sprintf("%s %s only in base", b, def.name))
				continue
			}
			c.Deltas = append(c.Deltas, compareMetric(b, def, br, nr, opts))
		}
	}
	for b := range nRuns {
		if _, ok := bRuns[b]; !ok {
			c.Notes = append(c.Notes, fmt.Sprintf("backend %s only in new", b))
		}
	}
	if be, ne := base.Env, new.Env; be.CPU != ne.CPU || be.GOMAXPROCS != ne.GOMAXPROCS || be.NumCPU != ne.NumCPU {
		c.Notes = append(c.Notes, fmt.Sprintf("machines differ: base %s (%d CPUs, GOMAXPROCS %d), new %s (%d CPUs, GOMAXPROCS %d)",
			orDash(be.CPU), be.NumCPU, be.GOMAXPROCS, orDash(ne.CPU), ne.NumCPU, ne.GOMAXPROCS))
	}
	sort.Strings(c.Notes)
	if common == 0 {
		return nil, fmt.Errorf("%w: no backend in common", ErrCompare)
	}
	return c, nil
}

func compareMetric(backend string, def metricDef, base, new []*Run, opts CompareOptions) MetricDelta {
	d := MetricDelta{Backend: backend, Metric: def.name, P: 1, lowerIsBetter: def.lowerIsBetter, isDur: def.isDur}
	for _, r := range base {
		d.Base = append(d.Base, def.value(r))
	}
	for _, r := range new {
		d.New = append(d.New, def.value(r))
	}
	th := benchmath.DefaultThresholds
	th.CompareAlpha = opts.Alpha
	bs := benchmath.NewSample(append([]float64(nil), d.Base...), &th)
	ns := benchmath.NewSample(append([]float64(nil), d.New...), &th)
	d.BaseCenter = median(bs.Values)
	d.NewCent = median(ns.Values)
	switch {
	case d.BaseCenter != 0:
		d.Change = d.NewCent/d.BaseCenter - 1
	case d.NewCent != 0:
		d.Change = math.Inf(1)
	}
	worse := d.Change
	if !def.lowerIsBetter {
		worse = -d.Change
	}
	min := MinRunsForSignificance(opts.Alpha)
	if len(d.Base) < min || len(d.New) < min {
		d.Note = fmt.Sprintf("n=%d+%d: too few runs for a U test (need %d a side)", len(d.Base), len(d.New), min)
		d.Verdict = NotTested
		if opts.SingleRunThreshold > 0 {
			d.Verdict = Unchanged
			if worse > opts.SingleRunThreshold {
				d.Verdict = Regression
				d.Note += fmt.Sprintf("; worse than the single-run threshold %.0f%%", 100*opts.SingleRunThreshold)
			}
		}
		return d
	}
	cmp := benchmath.AssumeNothing.Compare(bs, ns)
	d.P = cmp.P
	if cmp.P < opts.Alpha {
		switch {
		case worse > opts.Threshold:
			d.Verdict = Regression
		case -worse > opts.Threshold:
			d.Verdict = Improvement
		}
	}
	return d
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func (d MetricDelta) format(v float64) string {
	if d.isDur {
		return fmtDur(time.Duration(v))
	}
	return formatRate(v)
}

func (d MetricDelta) changeString() string {
	if math.IsInf(d.Change, 0) {
		return "+inf"
	}
	return fmt.Sprintf("%+.1f%%", 100*d.Change)
}

func (c *Comparison) header() string {
	o := c.Options
	s := fmt.Sprintf("compare: %d base run(s), %d new run(s); Mann-Whitney U, alpha %.3g, minimum effect %.1f%%", c.BaseRuns, c.NewRuns, o.Alpha, 100*o.Threshold)
	if o.SingleRunThreshold > 0 {
		s += fmt.Sprintf(", single-run threshold %.1f%%", 100*o.SingleRunThreshold)
	}
	return s
}

// WriteCompareText writes the comparison as a terminal table.
func WriteCompareText(w io.Writer, c *Comparison) error {
	var b strings.Builder
	fmt.Fprintln(&b, c.header())
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "backend\tmetric\tbase\tnew\tchange\tp\tverdict\t")
	for _, d := range c.Deltas {
		p := "-"
		if d.Note == "" { // tested
			p = formatP(d.P)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", d.Backend, d.Metric, d.format(d.BaseCenter), d.format(d.NewCent), d.changeString(), p, d.Verdict)
	}
	tw.Flush()
	writeCompareNotes(&b, c)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeCompareNotes(b *strings.Builder, c *Comparison) {
	notes := append([]string(nil), c.Notes...)
	seen := map[string]bool{}
	for _, d := range c.Deltas {
		if d.Note != "" && !seen[d.Note] {
			seen[d.Note] = true
			notes = append(notes, d.Note)
		}
	}
	for _, n := range notes {
		fmt.Fprintf(b, "note: %s\n", n)
	}
	fmt.Fprintf(b, "%d regression(s)\n", c.Regressions())
}

// WriteCompareMarkdown writes the comparison for a pull-request comment:
// regressions and improvements first, unchanged metrics folded.
func WriteCompareMarkdown(w io.Writer, c *Comparison) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### sparkbench compare: %d regression(s)\n\n<sub>%s</sub>\n\n", c.Regressions(), c.header())
	row := func(d MetricDelta) string {
		p := "-"
		if d.Note == "" {
			p = formatP(d.P)
		}
		return fmt.Sprintf("| %s | `%s` | %s | %s | %s | %s | %s |\n", d.Backend, d.Metric, d.format(d.BaseCenter), d.format(d.NewCent), d.changeString(), p, d.Verdict)
	}
	head := "| backend | metric | base | new | change | p | verdict |\n|---|---|---:|---:|---:|---:|---|\n"
	var flagged, rest strings.Builder
	for _, d := range c.Deltas {
		if d.Verdict == Regression || d.Verdict == Improvement {
			flagged.WriteString(row(d))
		} else {
			rest.WriteString(row(d))
		}
	}
	if flagged.Len() > 0 {
		b.WriteString(head + flagged.String() + "\n")
	} else {
		b.WriteString("No significant change beyond the threshold.\n\n")
	}
	if rest.Len() > 0 {
		fmt.Fprintf(&b, "<details><summary>other metrics</summary>\n\n%s%s\n</details>\n\n", head, rest.String())
	}
	var notes strings.Builder
	writeCompareNotes(&notes, c)
	for _, l := range strings.Split(strings.TrimSpace(notes.String()), "\n") {
		if strings.HasPrefix(l, "note: ") {
			fmt.Fprintf(&b, "- %s\n", strings.TrimPrefix(l, "note: "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func formatP(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return fmt.Sprintf("%.3f", p)
}
