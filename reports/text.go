package reports

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// displayOps is the order operations are shown in: memory reads next to the
// backend's disk reads, then writes next to durable writes, then whole
// invocations.
var displayOps = []Op{OpSparkGet, OpBackendRead, OpSparkList, OpSparkPull, OpSparkSet, OpSparkDelete, OpBackendWrite, OpInvocation, OpResponse}

// summary is what every human-facing renderer shows, computed once.
type summary struct {
	rep      *Report
	backends []string
	runs     map[string]*Run // pooled per backend
	counts   map[string]int  // runs per backend
}

func summarize(rep *Report) *summary {
	names, byBackend := backendRuns(rep)
	s := &summary{rep: rep, backends: names, runs: map[string]*Run{}, counts: map[string]int{}}
	for _, b := range names {
		s.runs[b] = pooled(byBackend[b])
		s.counts[b] = len(byBackend[b])
	}
	return s
}

type opRow struct {
	op                       Op
	count, errors            int64
	rate                     float64
	p50, p90, p99, p999, max time.Duration
}

func (s *summary) opRows(backend string) []opRow {
	run := s.runs[backend]
	var rows []opRow
	for _, op := range displayOps {
		h := run.Op(op)
		if h.Count() == 0 {
			continue
		}
		rows = append(rows, opRow{op: op, count: h.Count(), errors: run.OpErrors(op), rate: run.Rate(op),
			p50: h.Quantile(.5), p90: h.Quantile(.9), p99: h.Quantile(.99), p999: h.Quantile(.999), max: h.Max()})
	}
	return rows
}

func (s *summary) title() string {
	if len(s.rep.Runs) == 0 {
		return "sparkbench: empty report"
	}
	in := s.rep.Runs[0].Info
	t := "sparkbench " + in.Workload
	if in.File != "" {
		t += " (" + in.File
		if len(in.FileSHA256) >= 12 {
			t += " sha256:" + in.FileSHA256[:12]
		}
		t += ")"
	}
	return t
}

func (s *summary) envLine() string {
	e := s.rep.Env
	return fmt.Sprintf("%s %s/%s, %s, %d CPUs, GOMAXPROCS %d, sparkbench %s", e.GoVersion, e.OS, e.Arch, orDash(e.CPU), e.NumCPU, e.GOMAXPROCS, e.Version)
}

func (s *summary) runLine(b string) string {
	in := s.runs[b].Info
	line := fmt.Sprintf("%s: durability %s (durable %v), timeout %s, seed %d, %v measured", b, orDash(in.Durability), in.Durable, orDash(in.TimeoutMode), in.Seed, in.Duration.Round(time.Millisecond))
	if n := s.counts[b]; n > 1 {
		line += fmt.Sprintf(" over %d runs", n)
	}
	if in.Shard != "" {
		line += ", shard " + in.Shard
	}
	return line + ", timer overhead " + overheadString(s.runs[b])
}

// overheadString shows the measured per-sample timing cost and its share of
// the median invocation service time, the figure that says whether
// recording disturbs what it measures.
func overheadString(run *Run) string {
	o := fmt.Sprintf("%s/sample", fmtDur(run.Info.TimerOverhead))
	if p50 := run.Op(OpInvocation).Quantile(.5); p50 > 0 && run.Info.TimerOverhead > 0 {
		pct := 100 * float64(run.Info.TimerOverhead) / float64(p50)
		if pct < 0.005 { // would print as 0.00%
			o += " (<0.01% of invocation p50)"
		} else {
			o += fmt.Sprintf(" (%.2f%% of invocation p50)", pct)
		}
	}
	return o
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// WriteText writes the terminal summary.
func WriteText(w io.Writer, rep *Report) error {
	s := summarize(rep)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n", s.title(), s.envLine())
	for _, be := range s.backends {
		fmt.Fprintf(&b, "%s\n", s.runLine(be))
	}
	for _, be := range s.backends {
		fmt.Fprintf(&b, "\nlatency: %s\n", be)
		tw := newTable(&b)
		st := s.runs[be].Starts()
		dropped := st.Dropped > 0
		tw.lastLeft = true
		fmt.Fprint(tw, "op\tcount\trate\tp50\tp90\tp99\tp99.9\tmax\terrors\t")
		if dropped {
			fmt.Fprint(tw, "dropped\t")
		}
		fmt.Fprintln(tw, "what")
		for _, r := range s.opRows(be) {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t", r.op, r.count, formatRate(r.rate),
				fmtDur(r.p50), fmtDur(r.p90), fmtDur(r.p99), fmtDur(r.p999), fmtDur(r.max), r.errors)
			if dropped {
				fmt.Fprintf(tw, "%s\t", droppedCell(r.op, st))
			}
			fmt.Fprintln(tw, opKind(r.op, s.runs[be].Info))
		}
		tw.Flush()
		fmt.Fprintln(&b, timingNote)
		if w := droppedWarning(be, st); w != "" {
			fmt.Fprintln(&b, "warning: "+w)
		}
		writeErrorsText(&b, s.runs[be])
		writeGroupsText(&b, s.runs[be])
		writeScenariosText(&b, be, s.runs[be])
		writeFailuresText(&b, be, s.runs[be])
	}
	if len(s.backends) > 1 {
		writeComparisonText(&b, s)
	}
	for _, be := range s.backends {
		run := s.runs[be]
		writePressureText(&b, be, run)
		writeLimitsText(&b, be, run)
		st := run.Starts()
		if st.Total > 0 {
			fmt.Fprintf(&b, "\nopen-loop starts: %s: %d scheduled, %d late (> %v), %d dropped; lateness p50 %s p99 %s max %s\n",
				be, st.Total, st.Late, st.ThresholdString(), st.Dropped, fmtDur(st.Lateness.Quantile(.5)), fmtDur(st.Lateness.Quantile(.99)), fmtDur(st.Lateness.Max()))
		}
		writeStatusText(&b, be, run)
		writeChecksText(&b, be, run)
	}
	writeSamplesText(&b, rep)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeErrorsText(b *strings.Builder, run *Run) {
	var parts []string
	for _, op := range displayOps {
		var counts []string
		byCode := map[int32]int64{}
		var codes []int32
		for _, g := range run.Groups {
			if o := g.op(op, false); o != nil {
				for _, c := range o.Codes {
					if c.Code != CodeOK {
						if _, ok := byCode[c.Code]; !ok {
							codes = append(codes, c.Code)
						}
						byCode[c.Code] += c.Hist.Count()
					}
				}
			}
		}
		slices.Sort(codes)
		for _, c := range codes {
			counts = append(counts, fmt.Sprintf("%s %d", CodeName(c, run.Info.CodeNames), byCode[c]))
		}
		if len(counts) > 0 {
			parts = append(parts, op.String()+": "+strings.Join(counts, ", "))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(b, "outcomes other than ok: %s\n", strings.Join(parts, "; "))
	}
}

func ratio(a, base time.Duration) string {
	if base <= 0 || a <= 0 {
		return "-"
	}
	r := float64(a) / float64(base)
	switch {
	case r < 10:
		return fmt.Sprintf("×%.2f", r)
	case r < 100:
		return fmt.Sprintf("×%.1f", r)
	}
	return fmt.Sprintf("×%.0f", r)
}

func writeComparisonText(b *strings.Builder, s *summary) {
	base := s.backends[0]
	fmt.Fprintf(b, "\nbackends side by side (p50 / p99, ratio of p99 to %s)\n", base)
	tw := newTable(b)
	fmt.Fprint(tw, "op\t")
	for _, be := range s.backends {
		fmt.Fprintf(tw, "%s\t", be)
		if be != base {
			fmt.Fprint(tw, "ratio\t")
		}
	}
	fmt.Fprintln(tw)
	for _, op := range displayOps {
		any := false
		for _, be := range s.backends {
			if s.runs[be].Op(op).Count() > 0 {
				any = true
			}
		}
		if !any {
			continue
		}
		fmt.Fprintf(tw, "%s\t", op)
		baseP99 := s.runs[base].Op(op).Quantile(.99)
		for _, be := range s.backends {
			h := s.runs[be].Op(op)
			if h.Count() == 0 {
				fmt.Fprint(tw, "-\t")
			} else {
				fmt.Fprintf(tw, "%s / %s\t", fmtDur(h.Quantile(.5)), fmtDur(h.Quantile(.99)))
			}
			if be != base {
				fmt.Fprintf(tw, "%s\t", ratioAbove(h.Quantile(.99), baseP99, s.runs[base].Info.TimerOverhead))
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func writePressureText(b *strings.Builder, be string, run *Run) {
	bands := run.Pressure()
	var total int64
	for _, x := range bands {
		total += x.Writes
	}
	if total == 0 {
		return
	}
	fmt.Fprintf(b, "\nquota pressure: %s (spark_set by site quota fill at write time)\n", be)
	tw := newTable(b)
	fmt.Fprintln(tw, "fill\twrites\tp50\tp99\tquota_exceeded\trate\t")
	for _, x := range bands {
		if x.Writes == 0 {
			continue
		}
		fmt.Fprintf(tw, "%d-%d%%\t%d\t%s\t%s\t%d\t%.1f%%\t\n", x.Lo, x.Lo+100/numBands, x.Writes, fmtDur(x.Hist.Quantile(.5)), fmtDur(x.Hist.Quantile(.99)),
			x.QuotaExceeded, 100*float64(x.QuotaExceeded)/float64(x.Writes))
	}
	tw.Flush()
}

func writeLimitsText(b *strings.Builder, be string, run *Run) {
	rows := run.LimitTable()
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "\nlimit enforcement: %s\n", be)
	tw := newTable(b)
	fmt.Fprintln(tw, limitsHeader+"\t")
	for _, r := range rows {
		conf, dec, over, ref, vio := r.cells()
		if r.Violations() > 0 {
			vio += " !"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Name, conf, dec, over, ref, vio)
	}
	tw.Flush()
}

func writeStatusText(b *strings.Builder, be string, run *Run) {
	st := run.Status()
	if len(st) == 0 {
		return
	}
	var parts []string
	for _, s := range st {
		p := fmt.Sprintf("%d×%d", s.Status, s.Count)
		if !s.Expected {
			p += " (unexpected)"
		}
		parts = append(parts, p)
	}
	fmt.Fprintf(b, "http status: %s: %s\n", be, strings.Join(parts, ", "))
}

// WriteThresholdsText writes threshold results, one line each.
func WriteThresholdsText(w io.Writer, rs []ThresholdResult) error {
	var b strings.Builder
	for _, r := range rs {
		mark := "ok  "
		if !r.Pass {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "%s %s %s (%s): %s\n", mark, r.Key, r.Expr, r.Run, r.Display)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// groupRow is one operation of one (scenario, node) group.
type groupRow struct {
	scenario, node string
	op             Op
	count, errors  int64
	rate           float64
	p50, p99, max  time.Duration
	dropped        string // the group's dropped starts on its response row
}

// groupRows breaks a run down by scenario and node; nil when there is only
// one group (the per-backend table already says it all).
func groupRows(run *Run) []groupRow {
	if len(run.Groups) < 2 {
		return nil
	}
	var rows []groupRow
	for _, g := range run.Groups {
		for _, op := range displayOps {
			o := g.op(op, false)
			if o == nil {
				continue
			}
			h := o.All()
			var dropped string
			if g.Starts.Total > 0 {
				dropped = droppedCell(op, g.Starts)
			}
			rows = append(rows, groupRow{g.Labels.Scenario, g.Labels.Node, op, h.Count(), o.Errors(), g.Rate(run, op), h.Quantile(.5), h.Quantile(.99), h.Max(), dropped})
		}
	}
	return rows
}

func writeGroupsText(b *strings.Builder, run *Run) {
	rows := groupRows(run)
	if rows == nil {
		return
	}
	fmt.Fprintf(b, "\nby scenario and node:\n")
	tw := newTable(b)
	tw.left = 3
	dropped := run.Starts().Dropped > 0
	fmt.Fprint(tw, "scenario\tnode\top\tcount\trate\tp50\tp99\tmax\terrors\t")
	if dropped {
		fmt.Fprint(tw, "dropped\t")
	}
	fmt.Fprintln(tw)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%d\t", orDash(r.scenario), orDash(r.node), r.op, r.count, formatRate(r.rate), fmtDur(r.p50), fmtDur(r.p99), fmtDur(r.max), r.errors)
		if dropped {
			fmt.Fprintf(tw, "%s\t", r.dropped)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}
