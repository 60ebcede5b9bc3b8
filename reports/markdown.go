package reports

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes a summary sized for a pull-request comment: one
// latency table with a column per backend (p50 / p99 and the p99 ratio to
// the first backend), the quota-pressure bands that saw writes, the limits
// with attempts over them, and open-loop drops. Details stay in the HTML.
func WriteMarkdown(w io.Writer, rep *Report) error {
	s := summarize(rep)
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", s.title())
	fmt.Fprintf(&b, "<sub>%s</sub>\n\n", s.envLine())
	writeThresholdsMarkdown(&b, rep.Thresholds)
	base := ""
	if len(s.backends) > 0 {
		base = s.backends[0]
	}
	dropped := false
	for _, be := range s.backends {
		dropped = dropped || s.runs[be].Starts().Dropped > 0
	}
	b.WriteString("| op | ")
	sep := "|---|"
	for _, be := range s.backends {
		fmt.Fprintf(&b, "%s count | %s rate | %s p50 / p99 / max | %s errors | ", be, be, be, be)
		sep += "---:|---:|---:|---:|"
		if dropped {
			fmt.Fprintf(&b, "%s dropped | ", be)
			sep += "---:|"
		}
		if be != base {
			fmt.Fprintf(&b, "p99 vs %s | ", base)
			sep += "---:|"
		}
	}
	b.WriteString("\n" + sep + "\n")
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
		fmt.Fprintf(&b, "| `%s` | ", op)
		baseP99 := s.runs[base].Op(op).Quantile(.99)
		for _, be := range s.backends {
			run := s.runs[be]
			h := run.Op(op)
			fmt.Fprintf(&b, "%d | %s | %s / %s / %s | %d | ", h.Count(), formatRate(run.Rate(op)),
				fmtDur(h.Quantile(.5)), fmtDur(h.Quantile(.99)), fmtDur(h.Max()), run.OpErrors(op))
			if dropped {
				fmt.Fprintf(&b, "%s | ", droppedCell(op, run.Starts()))
			}
			if be != base {
				fmt.Fprintf(&b, "%s | ", ratioAbove(h.Quantile(.99), baseP99, s.runs[base].Info.TimerOverhead))
			}
		}
		b.WriteString("\n")
	}
	for _, be := range s.backends {
		if w := droppedWarning(be, s.runs[be].Starts()); w != "" {
			fmt.Fprintf(&b, "\n> **warning:** %s\n", w)
		}
	}
	for _, be := range s.backends {
		writeScenariosMarkdown(&b, be, s.runs[be])
		writeFailuresMarkdown(&b, be, s.runs[be])
	}
	for _, be := range s.backends {
		run := s.runs[be]
		var rows []string
		for _, x := range run.Pressure() {
			if x.Writes > 0 {
				rows = append(rows, fmt.Sprintf("| %d–%d%% | %d | %s | %s | %.1f%% |", x.Lo, x.Lo+100/numBands, x.Writes,
					fmtDur(x.Hist.Quantile(.5)), fmtDur(x.Hist.Quantile(.99)), 100*float64(x.QuotaExceeded)/float64(x.Writes)))
			}
		}
		if len(rows) > 0 {
			fmt.Fprintf(&b, "\n<details><summary>quota pressure: %s</summary>\n\n| quota fill | writes | p50 | p99 | quota_exceeded rate |\n|---|---:|---:|---:|---:|\n%s\n\n</details>\n", be, strings.Join(rows, "\n"))
		}
		var lims []string
		var violations int64
		for _, l := range run.LimitTable() {
			conf, dec, over, ref, vio := l.cells()
			lims = append(lims, fmt.Sprintf("| %s | %s | %s | %s | %s | %s |", l.Name, conf, dec, over, ref, vio))
		}
		violations = run.Violations()
		if len(lims) > 0 {
			verdict := "no violations"
			if violations > 0 {
				verdict = fmt.Sprintf("**%d violations**", violations)
			}
			fmt.Fprintf(&b, "\n<details><summary>limits: %s: %s</summary>\n\n| limit | configured | decisions | attempts over | refused | violations |\n|---|---:|---:|---:|---:|---:|\n%s\n\n</details>\n", be, verdict, strings.Join(lims, "\n"))
		}
		writeChecksMarkdown(&b, be, run)
		if st := run.Starts(); st.Total > 0 {
			fmt.Fprintf(&b, "\n%s: %d open-loop starts, %d late (> %v), %d dropped. Timer overhead %s.\n", be, st.Total, st.Late, st.ThresholdString(), st.Dropped, overheadString(run))
		} else {
			fmt.Fprintf(&b, "\n%s: timer overhead %s.\n", be, overheadString(run))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeThresholdsMarkdown(b *strings.Builder, rs []ThresholdResult) {
	if len(rs) == 0 {
		return
	}
	failed := 0
	for _, r := range rs {
		if !r.Pass {
			failed++
		}
	}
	byFile := thresholdsOfSeveralFiles(rs)
	head, sep := "| threshold | run | measured | |\n", "|---|---|---:|---|\n"
	if byFile {
		head, sep = "| file | threshold | run | measured | |\n", "|---|---|---|---:|---|\n"
	}
	if failed == 0 {
		// Every result is kept, folded: the verdict is what a reviewer
		// reads first.
		fmt.Fprintf(b, "<details><summary><b>Thresholds: all %d passed.</b></summary>\n\n%s%s", len(rs), head, sep)
	} else {
		fmt.Fprintf(b, "**Thresholds: %d of %d failed.**\n\n%s%s", failed, len(rs), head, sep)
	}
	for _, r := range rs {
		mark := "ok"
		if !r.Pass {
			mark = "**FAIL**"
		}
		if byFile {
			fmt.Fprintf(b, "| %s ", orDash(r.File))
		}
		fmt.Fprintf(b, "| `%s %s` | %s | %s | %s |\n", r.Key, r.Expr, r.Run, r.Display, mark)
	}
	if failed == 0 {
		b.WriteString("\n</details>")
	}
	b.WriteString("\n")
}

// thresholdsOfSeveralFiles reports whether rs come from more than one
// workload file, so that the tables name the file of each.
func thresholdsOfSeveralFiles(rs []ThresholdResult) bool {
	for _, r := range rs {
		if r.File != rs[0].File {
			return true
		}
	}
	return false
}
