package reports

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Name identifies a run among others: its backend, shard and repeat.
func (run *Run) Name() string {
	s := run.Info.Backend
	if s == "" {
		s = "run"
	}
	if run.Info.Shard != "" {
		s += " shard " + run.Info.Shard
	}
	if run.Info.Repeat > 0 {
		s += fmt.Sprintf(" #%d", run.Info.Repeat+1)
	}
	if ab := run.Info.AB; ab != nil {
		s += fmt.Sprintf(" %s pair %d", ab.Side, ab.Pair)
	}
	return s
}

// Op returns a new histogram of op over all groups and outcomes.
func (run *Run) Op(op Op) *Hist {
	h := NewHist()
	for _, g := range run.Groups {
		if o := g.op(op, false); o != nil {
			for _, c := range o.Codes {
				h.Merge(c.Hist)
			}
		}
	}
	return h
}

// OpErrors counts op's error outcomes over all groups.
func (run *Run) OpErrors(op Op) int64 {
	var n int64
	for _, g := range run.Groups {
		if o := g.op(op, false); o != nil {
			n += o.Errors()
		}
	}
	return n
}

// Rate is op's samples per second of the time the scenarios that did op
// were active: every group's samples over the longest active time of those
// groups (scenarios start together, so that is the span in which op
// happened). A scenario that ran 2 s of a 4 s run is rated over its 2 s;
// results without active times are rated over the measured phase.
func (run *Run) Rate(op Op) float64 {
	return run.rateIn(op, func(*Group) bool { return true })
}

// rateIn is op's count in the groups that in selects, over the longest active
// time among those that did op.
func (run *Run) rateIn(op Op, in func(*Group) bool) float64 {
	var n int64
	var span time.Duration
	for _, g := range run.Groups {
		if !in(g) {
			continue
		}
		if o := g.op(op, false); o != nil {
			if c := o.Count(); c > 0 {
				n += c
				span = max(span, g.ActiveTime(run))
			}
		}
	}
	if span <= 0 {
		return 0
	}
	return float64(n) / span.Seconds()
}

// Ops lists the operations with samples in any group.
func (run *Run) Ops() []Op {
	var seen [NumOps]bool
	for _, g := range run.Groups {
		for _, o := range g.Ops {
			seen[o.Op] = true
		}
	}
	var ops []Op
	for op, ok := range seen {
		if ok {
			ops = append(ops, Op(op))
		}
	}
	return ops
}

// LimitRow is one row of the limit-enforcement table.
type LimitRow struct {
	LimitCount
	Configured int64 // -1 when the run did not say
}

// Violations counts operations allowed beyond the configured value (-1: not
// judged; see LimitCount.Violations).
func (r LimitRow) Violations() int64 { return r.LimitCount.Violations(r.Configured) }

// AttemptsOver counts decisions over the limit: refusals plus violations.
func (r LimitRow) AttemptsOver() int64 {
	if v := r.Violations(); v > 0 {
		return r.Refused + v
	}
	return r.Refused
}

// LimitTable merges limit decisions over groups and joins the configured
// values; configured limits without decisions are listed with zeros.
func (run *Run) LimitTable() []LimitRow {
	idx := map[string]int{}
	var rows []LimitRow
	for _, l := range run.Info.Limits {
		idx[l.Name] = len(rows)
		rows = append(rows, LimitRow{LimitCount: LimitCount{Name: l.Name}, Configured: l.Value})
	}
	for _, g := range run.Groups {
		for _, l := range g.Limits {
			i, ok := idx[l.Name]
			if !ok {
				i = len(rows)
				idx[l.Name] = i
				rows = append(rows, LimitRow{LimitCount: LimitCount{Name: l.Name}, Configured: -1})
			}
			rows[i].Decisions += l.Decisions
			rows[i].Refused += l.Refused
			rows[i].AllowedPerInvocation = addPerInvocation(rows[i].AllowedPerInvocation, l.AllowedPerInvocation)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	return rows
}

// Violations sums the judged limit violations of the run.
func (run *Run) Violations() int64 {
	var n int64
	for _, l := range run.LimitTable() {
		if v := l.Violations(); v > 0 {
			n += v
		}
	}
	return n
}

// Starts sums open-loop starts over groups.
func (run *Run) Starts() Starts {
	s := Starts{Lateness: NewHist()}
	for _, g := range run.Groups {
		s.add(g.Starts)
	}
	return s
}

// Pressure sums the quota-pressure bands over groups.
func (run *Run) Pressure() []Band {
	bands := make([]Band, numBands)
	for i := range bands {
		bands[i] = Band{Lo: i * 100 / numBands, Hist: NewHist()}
	}
	for _, g := range run.Groups {
		for i, b := range g.Pressure {
			if i < numBands {
				bands[i].Writes += b.Writes
				bands[i].QuotaExceeded += b.QuotaExceeded
				bands[i].Hist.Merge(b.Hist)
			}
		}
	}
	return bands
}

// Status sums HTTP status counts over groups.
func (run *Run) Status() []StatusCount {
	g := newGroup(Labels{})
	for _, o := range run.Groups {
		g.merge(&Group{Status: o.Status, Starts: Starts{Lateness: NewHist()}})
	}
	return g.Status
}

// Series merges every group's time series: second by second.
func (run *Run) Series() []Second {
	g := newGroup(Labels{})
	for _, o := range run.Groups {
		g.merge(&Group{Series: o.Series, Starts: Starts{Lateness: NewHist()}})
	}
	return g.Series
}

// fmtDur formats a latency with 3 significant digits and a unit suited to it.
func fmtDur(d time.Duration) string {
	v := float64(d)
	switch {
	case d == 0:
		return "0"
	case v < 1e3:
		return fmt.Sprintf("%dns", d)
	case v < 1e6:
		return sig3(v/1e3) + "µs"
	case v < 1e9:
		return sig3(v/1e6) + "ms"
	default:
		return sig3(v/1e9) + "s"
	}
}

func sig3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func formatRate(v float64) string {
	switch {
	case v >= 1e6:
		return sig3(v/1e6) + "M/s"
	case v >= 1e3:
		return sig3(v/1e3) + "k/s"
	default:
		return sig3(v) + "/s"
	}
}

func formatCount(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%g", v)
}

// cells returns the printable columns of a limit row: configured value,
// decisions, attempts over, refused, violations ("n/a" when not judged).
func (r LimitRow) cells() (conf, decisions, over, refused, violations string) {
	conf = formatLimitValue(r.Name, r.Configured)
	violations = "n/a"
	if v := r.Violations(); v >= 0 {
		violations = fmt.Sprint(v)
	}
	return conf, fmt.Sprint(r.Decisions), fmt.Sprint(r.AttemptsOver()), fmt.Sprint(r.Refused), violations
}

const limitsHeader = "limit\tconfigured\tdecisions\tattempts over\trefused\tviolations"

// formatLimitValue shows a configured limit in the unit its name implies:
// durations for timeouts, KiB/MiB for sizes and quotas, days or seconds for
// TTLs, plain numbers for counts.
func formatLimitValue(name string, v int64) string {
	switch {
	case v < 0:
		return "-"
	case strings.Contains(name, "timeout"):
		return time.Duration(v).String()
	case strings.HasSuffix(name, "_bytes") || strings.HasSuffix(name, "quota"):
		switch {
		case v >= 1<<20 && v%(1<<20) == 0:
			return fmt.Sprintf("%d MiB", v>>20)
		case v >= 1<<10 && v%(1<<10) == 0:
			return fmt.Sprintf("%d KiB", v>>10)
		}
		return fmt.Sprintf("%d B", v)
	case strings.HasSuffix(name, "_secs"):
		if v >= 86400 && v%86400 == 0 {
			return fmt.Sprintf("%dd", v/86400)
		}
		return fmt.Sprintf("%ds", v)
	}
	return fmt.Sprint(v)
}
