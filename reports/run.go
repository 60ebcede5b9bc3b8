package reports

import (
	"sort"
	"strings"
	"time"
)

// RunInfo is what the runner knows about one run (one backend, one repeat).
type RunInfo struct {
	Workload, File, FileSHA256 string
	Backend, Durability        string
	Durable                    bool
	TimeoutMode                string
	Seed                       int64
	Shard                      string // "i/N" or ""
	Repeat                     int    // 0-based index with run --count N
	Started                    time.Time
	Duration                   time.Duration // measured phase
	Limits                     []LimitConfig // name + configured value, for the enforcement table
	TimerOverhead              time.Duration // measured per-sample recording cost
	// CodeNames optionally names outcome codes the package does not know,
	// such as invocation error kinds (100+kind).
	CodeNames map[int32]string `json:",omitempty"`
	// Overrides are the run's --set overrides ("path=value"), in order:
	// with FileSHA256 and Seed they identify the workload that ran.
	Overrides []string `json:",omitempty"`
	// Partial marks a merge of shards that lacked some (merge
	// --allow-partial): it carries only part of the load.
	Partial bool `json:",omitempty"`
	// AB places the run in a paired A/B session (sparkbench ab).
	AB *ABInfo `json:",omitempty"`
}

// ABInfo places a run in a paired A/B session: sparkbench ab runs the two
// sides alternately, one run of each per pair, so that drift on the machine
// hits both alike; Compare then analyses the pairs.
type ABInfo struct {
	Session string // identifies one sparkbench ab invocation
	Side    string // SideBase or SideNew
	Pair    int    // 1-based pair index
	First   bool   // this run came first in its pair
	// Config is true for a configuration comparison (the sides ran
	// different workload files, overrides or backends), false when only
	// the sparkbench builds may differ.
	Config bool `json:",omitempty"`
	// Variant says what defines the side: its binary and run arguments.
	Variant string
	// Build is the side's sparkbench build (its Env.Build, or Version for
	// builds that did not record one).
	Build string `json:",omitempty"`
}

// The two sides of a comparison.
const (
	SideBase = "base"
	SideNew  = "new"
)

// LimitConfig is a limit's name and configured value.
type LimitConfig struct {
	Name  string
	Value int64
}

// Run is the merged result of one run: one backend, one repeat or shard.
type Run struct {
	Info   RunInfo
	Groups []*Group // one per (scenario, node, backend), sorted
	// Source is the file the run was read from (ReadFile), for messages
	// that must name it; not written.
	Source string `json:"-"`
}

// Group is everything measured for one (scenario, node, backend).
type Group struct {
	Labels   Labels
	Ops      []*OpResult // only operations with samples, by Op
	Series   []Second    // one per second of the measured phase, from 0
	Pressure []Band      // quota-pressure bands, 0-10% .. 90-100%
	Limits   []LimitCount
	Starts   Starts
	Status   []StatusCount
	// Failures are the distinct reasons requests failed, the first
	// MaxFailureMessages to happen, by when they first happened;
	// OtherFailures counts the failed requests whose reason is not among
	// them.
	Failures      []Failure `json:",omitempty"`
	OtherFailures int64     `json:",omitempty"`
	// Active is how long the group's scenario ran in the measured phase,
	// from its start until its executor ended (an open-loop schedule that
	// ended on time: its planned duration): its rates are over this time.
	// For the stores' group, the longest of its node's scenarios. 0 in
	// results written before it was recorded: ActiveTime falls back to the
	// run's duration.
	Active time.Duration `json:",omitempty"`
	// End says what ended the scenario's executor: EndDuration,
	// EndIterations or EndInterrupted ("" for groups that are not a
	// scenario's); Planned is its configured duration (0 when bound only
	// by iterations).
	End     string        `json:",omitempty"`
	Planned time.Duration `json:",omitempty"`
	Checks  []CheckCount  `json:",omitempty"` // by name
	// Samples are the responses kept with run --show-responses.
	Samples []Sample `json:",omitempty"`
}

// OpResult holds one operation's histograms, one per outcome code.
type OpResult struct {
	Op    Op
	Codes []CodeResult // by code
}

// CodeResult is the histogram of one operation's samples with one outcome.
type CodeResult struct {
	Code int32
	Hist *Hist
}

// Second is one second of the time series.
type Second struct {
	T        int         // seconds since the start of the measured phase
	Ops      []SecondOp  `json:",omitempty"`
	Refusals []CodeCount `json:",omitempty"` // error outcomes of spark and backend operations
	Quota    []SiteFill  `json:",omitempty"` // largest fill sampled in the second, per site
}

// SecondOp is one operation in one second: its latency histogram (count,
// percentiles and max) and error count.
type SecondOp struct {
	Op     Op
	Errors int64
	Hist   *Hist
}

// CodeCount counts an outcome code.
type CodeCount struct {
	Code  int32
	Count int64
}

// SiteFill is a site's quota use.
type SiteFill struct {
	Site        string
	Used, Quota int64
}

// Band is one 10% band of quota fill in the quota-pressure table: the
// spark_set samples recorded while the last sampled fill was in [Lo, Lo+10)%.
type Band struct {
	Lo            int // percent
	Writes        int64
	QuotaExceeded int64
	Hist          *Hist
}

// LimitCount counts the host's decisions on one limit (see
// Recorder.RecordLimit).
type LimitCount struct {
	Name               string
	Decisions, Refused int64
	// AllowedPerInvocation is, for per-invocation counter limits, how many
	// invocations had each number of allowed decisions: [n, invocations]
	// pairs sorted by n, n > 0.
	AllowedPerInvocation [][2]int64 `json:",omitempty"`
}

// IsCounter reports whether the limit is a per-invocation count whose
// violations the recorder can judge.
func IsCounter(name string) bool { return strings.HasSuffix(name, "_per_invocation") }

// Violations counts the operations allowed beyond configured in an
// invocation, summed over invocations; -1 when the limit is not a
// per-invocation counter or configured is unknown (< 0).
func (l LimitCount) Violations(configured int64) int64 {
	if !IsCounter(l.Name) || configured < 0 {
		return -1
	}
	var v int64
	for _, p := range l.AllowedPerInvocation {
		if p[0] > configured {
			v += (p[0] - configured) * p[1]
		}
	}
	return v
}

func addPerInvocation(a [][2]int64, b [][2]int64) [][2]int64 {
	m := map[int64]int64{}
	for _, p := range a {
		m[p[0]] += p[1]
	}
	for _, p := range b {
		m[p[0]] += p[1]
	}
	out := make([][2]int64, 0, len(m))
	for n, c := range m {
		out = append(out, [2]int64{n, c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	if len(out) == 0 {
		return nil
	}
	return out
}

// Starts counts open-loop starts.
type Starts struct {
	Total, Late, Dropped int64
	// LateThreshold is how late a start had to be to count in Late: the
	// scenario's executor.late_tolerance. 0 means LateStartThreshold
	// (results written before it was recorded); MixedLateThreshold, that
	// the starts summed here were judged against different thresholds.
	LateThreshold time.Duration `json:",omitempty"`
	Lateness      *Hist         // lateness of the starts that were not dropped
}

// MixedLateThreshold is Starts.LateThreshold for a sum of starts counted
// late against different thresholds (scenarios with different
// late_tolerance).
const MixedLateThreshold time.Duration = -1

// Threshold returns the late threshold, LateStartThreshold for 0.
func (s Starts) Threshold() time.Duration {
	if s.LateThreshold == 0 {
		return LateStartThreshold
	}
	return s.LateThreshold
}

// ThresholdString describes the late threshold for reports: "1ms", or
// "each scenario's late_tolerance" when it differs between the starts.
func (s Starts) ThresholdString() string {
	if s.Threshold() == MixedLateThreshold {
		return "each scenario's late_tolerance"
	}
	return s.Threshold().String()
}

// add adds o's starts to s. Only starts that were not dropped were judged
// late, so only a side that has some decides the threshold.
func (s *Starts) add(o Starts) {
	if o.Total > o.Dropped {
		switch {
		case s.Total <= s.Dropped:
			s.LateThreshold = o.LateThreshold
		case s.Threshold() != o.Threshold():
			s.LateThreshold = MixedLateThreshold
		}
	}
	s.Total += o.Total
	s.Late += o.Late
	s.Dropped += o.Dropped
	s.Lateness.Merge(o.Lateness)
}

// StatusCount counts one HTTP response status.
type StatusCount struct {
	Status   int
	Expected bool
	Count    int64
}

// Build merges the recorders of one run exactly into a Run. Recorders with
// the same labels are merged into one group.
func Build(info RunInfo, recs []*Recorder) *Run {
	byLabels := map[Labels]*Group{}
	for _, r := range recs {
		if r == nil {
			continue
		}
		g := byLabels[r.labels]
		if g == nil {
			g = newGroup(r.labels)
			byLabels[r.labels] = g
		}
		g.merge(r.group())
	}
	run := &Run{Info: info}
	for _, g := range byLabels {
		run.Groups = append(run.Groups, g)
	}
	sortGroups(run.Groups)
	return run
}

func sortGroups(gs []*Group) {
	sort.Slice(gs, func(i, j int) bool { return gs[i].Labels.less(gs[j].Labels) })
}

func newGroup(l Labels) *Group {
	g := &Group{Labels: l, Starts: Starts{Lateness: NewHist()}}
	g.Pressure = make([]Band, numBands)
	for i := range g.Pressure {
		g.Pressure[i] = Band{Lo: i * 100 / numBands, Hist: NewHist()}
	}
	return g
}

// group converts a recorder's state into a Group (sharing some of its
// histograms). It flushes the current second: call it when recording ended.
func (r *Recorder) group() *Group {
	r.flushSecond()
	g := newGroup(r.labels)
	for op := Op(0); op < NumOps; op++ {
		o := &r.ops[op]
		res := &OpResult{Op: op}
		for i := range o.fast {
			if c := &o.fast[i]; c.total != nil {
				h := NewHist()
				c.total.flush(h, false)
				res.Codes = append(res.Codes, CodeResult{Code: c.code, Hist: h})
			}
		}
		for _, c := range o.other {
			h := NewHist()
			c.total.flush(h, false)
			res.Codes = append(res.Codes, CodeResult{Code: c.code, Hist: h})
		}
		if len(res.Codes) > 0 {
			g.Ops = append(g.Ops, res)
		}
	}
	for t, s := range r.series {
		sec := Second{T: t}
		if s != nil {
			for op := Op(0); op < NumOps; op++ {
				if so := s.ops[op]; so.hist != nil {
					sec.Ops = append(sec.Ops, SecondOp{Op: op, Errors: so.errors, Hist: so.hist})
				}
			}
			for _, c := range s.refusals {
				sec.Refusals = append(sec.Refusals, CodeCount{c.code, c.count})
			}
			sec.Quota = append(sec.Quota, s.quota...)
		}
		g.Series = append(g.Series, sec)
	}
	for i := range r.bands {
		b := &r.bands[i]
		g.Pressure[i].Writes = b.writes
		g.Pressure[i].QuotaExceeded = b.quotaExceeded
		b.hist.flush(g.Pressure[i].Hist, false)
	}
	for _, l := range r.limits {
		if l.decisions == 0 {
			continue // resolved by LimitID but never decided
		}
		lc := LimitCount{Name: l.name, Decisions: l.decisions, Refused: l.refused}
		var per [][2]int64
		for n, c := range l.perInv {
			if c > 0 {
				per = append(per, [2]int64{int64(n), c})
			}
		}
		for n, c := range l.perInvBig {
			per = append(per, [2]int64{n, c})
		}
		lc.AllowedPerInvocation = addPerInvocation(nil, per)
		g.Limits = append(g.Limits, lc)
	}
	g.Starts = Starts{Total: r.starts.total, Late: r.starts.late, Dropped: r.starts.dropped, LateThreshold: r.late, Lateness: NewHist()}
	r.starts.lateness.flush(g.Starts.Lateness, false)
	for _, s := range r.status {
		g.Status = append(g.Status, StatusCount{s.status, s.expected, s.count})
	}
	g.Failures, g.OtherFailures = mergeFailures(nil, 0, r.failures.list, r.failures.other)
	g.Checks = addChecks(nil, r.checks)
	return g
}

// merge adds o into g exactly. g's histograms are never shared with o.
func (g *Group) merge(o *Group) {
	for _, or := range o.Ops {
		mine := g.op(or.Op, true)
		for _, c := range or.Codes {
			mine.hist(c.Code).Merge(c.Hist)
		}
	}
	sort.Slice(g.Ops, func(i, j int) bool { return g.Ops[i].Op < g.Ops[j].Op })
	for len(g.Series) < len(o.Series) {
		g.Series = append(g.Series, Second{T: len(g.Series)})
	}
	for i, s := range o.Series {
		g.Series[i].merge(s)
	}
	for i := range g.Pressure {
		if i < len(o.Pressure) {
			g.Pressure[i].Writes += o.Pressure[i].Writes
			g.Pressure[i].QuotaExceeded += o.Pressure[i].QuotaExceeded
			g.Pressure[i].Hist.Merge(o.Pressure[i].Hist)
		}
	}
	for _, l := range o.Limits {
		found := false
		for i := range g.Limits {
			if g.Limits[i].Name == l.Name {
				g.Limits[i].Decisions += l.Decisions
				g.Limits[i].Refused += l.Refused
				g.Limits[i].AllowedPerInvocation = addPerInvocation(g.Limits[i].AllowedPerInvocation, l.AllowedPerInvocation)
				found = true
			}
		}
		if !found {
			l.AllowedPerInvocation = addPerInvocation(nil, l.AllowedPerInvocation)
			g.Limits = append(g.Limits, l)
		}
	}
	sort.Slice(g.Limits, func(i, j int) bool { return g.Limits[i].Name < g.Limits[j].Name })
	g.Starts.add(o.Starts)
	g.Checks = addChecks(g.Checks, o.Checks)
	g.Samples = append(g.Samples, o.Samples...)
	for _, s := range o.Status {
		found := false
		for i := range g.Status {
			if g.Status[i].Status == s.Status && g.Status[i].Expected == s.Expected {
				g.Status[i].Count += s.Count
				found = true
			}
		}
		if !found {
			g.Status = append(g.Status, s)
		}
	}
	sort.Slice(g.Status, func(i, j int) bool {
		if g.Status[i].Status != g.Status[j].Status {
			return g.Status[i].Status < g.Status[j].Status
		}
		return !g.Status[i].Expected && g.Status[j].Expected
	})
	g.Failures, g.OtherFailures = mergeFailures(g.Failures, g.OtherFailures, o.Failures, o.OtherFailures)
	g.mergeActivity(o)
}

func (g *Group) op(op Op, create bool) *OpResult {
	for _, o := range g.Ops {
		if o.Op == op {
			return o
		}
	}
	if !create {
		return nil
	}
	o := &OpResult{Op: op}
	g.Ops = append(g.Ops, o)
	return o
}

// hist returns the histogram for code, creating it.
func (o *OpResult) hist(code int32) *Hist {
	for _, c := range o.Codes {
		if c.Code == code {
			return c.Hist
		}
	}
	h := NewHist()
	o.Codes = append(o.Codes, CodeResult{code, h})
	sort.Slice(o.Codes, func(i, j int) bool { return o.Codes[i].Code < o.Codes[j].Code })
	return h
}

// All returns a new histogram of the operation's samples over all outcomes.
func (o *OpResult) All() *Hist {
	h := NewHist()
	for _, c := range o.Codes {
		h.Merge(c.Hist)
	}
	return h
}

// Count is the number of samples over all outcomes.
func (o *OpResult) Count() int64 {
	var n int64
	for _, c := range o.Codes {
		n += c.Hist.Count()
	}
	return n
}

// Errors is the number of samples whose outcome is an error.
func (o *OpResult) Errors() int64 {
	var n int64
	for _, c := range o.Codes {
		if IsError(c.Code) {
			n += c.Hist.Count()
		}
	}
	return n
}

func (s *Second) merge(o Second) {
	for _, op := range o.Ops {
		found := false
		for i := range s.Ops {
			if s.Ops[i].Op == op.Op {
				s.Ops[i].Errors += op.Errors
				s.Ops[i].Hist.Merge(op.Hist)
				found = true
			}
		}
		if !found {
			h := NewHist()
			h.Merge(op.Hist)
			s.Ops = append(s.Ops, SecondOp{Op: op.Op, Errors: op.Errors, Hist: h})
		}
	}
	sort.Slice(s.Ops, func(i, j int) bool { return s.Ops[i].Op < s.Ops[j].Op })
	for _, c := range o.Refusals {
		found := false
		for i := range s.Refusals {
			if s.Refusals[i].Code == c.Code {
				s.Refusals[i].Count += c.Count
				found = true
			}
		}
		if !found {
			s.Refusals = append(s.Refusals, c)
		}
	}
	sort.Slice(s.Refusals, func(i, j int) bool { return s.Refusals[i].Code < s.Refusals[j].Code })
	for _, q := range o.Quota {
		found := false
		for i := range s.Quota {
			if s.Quota[i].Site == q.Site {
				if q.Used > s.Quota[i].Used {
					s.Quota[i].Used = q.Used
				}
				if q.Quota > s.Quota[i].Quota {
					s.Quota[i].Quota = q.Quota
				}
				found = true
			}
		}
		if !found {
			s.Quota = append(s.Quota, q)
		}
	}
	sort.Slice(s.Quota, func(i, j int) bool { return s.Quota[i].Site < s.Quota[j].Site })
}
