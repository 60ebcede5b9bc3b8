package reports

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
	"time"
)

func durationOf(ns float64) time.Duration { return time.Duration(ns) }

const pageCSS = `body{font:14px/1.4 -apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px;color:#222;max-width:1340px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.env{color:#555;font-size:12px}
table{border-collapse:collapse;margin:6px 0 12px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.bad{color:#b00020;font-weight:600}
td.msg{text-align:left;font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
.charts{display:flex;flex-wrap:wrap;gap:12px}
svg.chart{border:1px solid #e4e4e4;background:#fff}
svg .title{font-size:13px;font-weight:600;fill:#222}
svg .grid{stroke:#eee;stroke-width:1}
svg .frame{fill:none;stroke:#999;stroke-width:1}
svg .ytick{font-size:10px;text-anchor:end;fill:#555}
svg .xtick{font-size:10px;text-anchor:middle;fill:#555}
svg .xtick.last{text-anchor:end}
svg .xlabel,svg .ylabel{font-size:11px;text-anchor:middle;fill:#333}
svg .legend{font-size:11px;fill:#333}
svg .mark{stroke:#d62728;stroke-width:1;stroke-opacity:.5}
`

// WriteHTML writes one self-contained HTML file with inline SVG charts and
// no external resources: for each backend the latency percentile spectrum
// (HdrHistogram's 1/(1-p) axis), throughput and p99 per second, quota fill
// per second with refusals marked; a backend comparison; and the tables of
// the terminal summary.
func WriteHTML(w io.Writer, rep *Report) error {
	s := summarize(rep)
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
	fmt.Fprintf(&b, "<title>%s</title><style>%s</style></head><body>\n", html.EscapeString(s.title()), pageCSS)
	fmt.Fprintf(&b, "<h1>%s</h1><div class=\"env\">%s</div>\n", html.EscapeString(s.title()), html.EscapeString(s.envLine()))
	b.WriteString("<ul class=\"env\">")
	for _, be := range s.backends {
		fmt.Fprintf(&b, "<li>%s</li>", html.EscapeString(s.runLine(be)))
	}
	b.WriteString("</ul>\n")
	if len(rep.Thresholds) > 0 {
		byFile := thresholdsOfSeveralFiles(rep.Thresholds)
		b.WriteString("<h2>Thresholds</h2><table><tr>")
		if byFile {
			b.WriteString("<th>file</th>")
		}
		b.WriteString("<th>threshold</th><th>run</th><th>measured</th><th>result</th></tr>\n")
		for _, r := range rep.Thresholds {
			res, cls := "ok", ""
			if !r.Pass {
				res, cls = "FAIL", ` class="bad"`
			}
			b.WriteString("<tr>")
			if byFile {
				fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(orDash(r.File)))
			}
			fmt.Fprintf(&b, "<td>%s %s</td><td>%s</td><td>%s</td><td%s>%s</td></tr>\n", html.EscapeString(r.Key), html.EscapeString(r.Expr), html.EscapeString(r.Run), html.EscapeString(r.Display), cls, res)
		}
		b.WriteString("</table>\n")
	}

	if len(s.backends) > 1 {
		b.WriteString("<h2>Backends compared</h2><div class=\"charts\">")
		var p50s, p99s []barGroup
		for _, op := range displayOps {
			g50, g99 := barGroup{label: op.String()}, barGroup{label: op.String()}
			any := false
			for _, be := range s.backends {
				h := s.runs[be].Op(op)
				any = any || h.Count() > 0
				g50.values = append(g50.values, float64(h.Quantile(.5)))
				g99.values = append(g99.values, float64(h.Quantile(.99)))
			}
			if any {
				p50s, p99s = append(p50s, g50), append(p99s, g99)
			}
		}
		b.WriteString(barChart("compare-p50", "p50 by backend", s.backends, p50s))
		b.WriteString(barChart("compare-p99", "p99 by backend", s.backends, p99s))
		b.WriteString("</div>\n")
		var tb strings.Builder
		writeComparisonText(&tb, s)
		fmt.Fprintf(&b, "<pre>%s</pre>\n", html.EscapeString(tb.String()))
	}

	for bi, be := range s.backends {
		run := s.runs[be]
		fmt.Fprintf(&b, "<h2 id=\"backend-%d\">%s</h2>\n", bi, html.EscapeString(be))
		writeOpTableHTML(&b, s, be)
		writeGroupsHTML(&b, run)
		writeScenariosHTML(&b, run)
		writeFailuresHTML(&b, run)
		b.WriteString("<div class=\"charts\">")
		b.WriteString(spectrumChart(fmt.Sprintf("spectrum-%d", bi), be+": latency by percentile", run))
		tput, p99 := seriesCharts(bi, be, run)
		b.WriteString(tput)
		b.WriteString(p99)
		b.WriteString(quotaChart(fmt.Sprintf("quota-%d", bi), be+": quota fill and refusals", run))
		b.WriteString("</div>\n")
		writeTablesHTML(&b, be, run)
	}
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeOpTableHTML(b *strings.Builder, s *summary, be string) {
	st := s.runs[be].Starts()
	dropped := st.Dropped > 0
	b.WriteString("<table><tr><th>op</th><th>count</th><th>rate</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>errors</th>")
	if dropped {
		b.WriteString("<th>dropped</th>")
	}
	b.WriteString("</tr>\n")
	for _, r := range s.opRows(be) {
		cls := ""
		if r.errors > 0 {
			cls = ` class="bad"`
		}
		fmt.Fprintf(b, "<tr><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td%s>%d</td>",
			r.op, r.count, formatRate(r.rate), fmtDur(r.p50), fmtDur(r.p90), fmtDur(r.p99), fmtDur(r.p999), fmtDur(r.max), cls, r.errors)
		if dropped {
			fmt.Fprintf(b, "<td class=\"bad\">%s</td>", droppedCell(r.op, st))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n")
	if w := droppedWarning(be, st); w != "" {
		fmt.Fprintf(b, "<p class=\"bad\">warning: %s</p>\n", html.EscapeString(w))
	}
}

func writeTablesHTML(b *strings.Builder, be string, run *Run) {
	var total int64
	bands := run.Pressure()
	for _, x := range bands {
		total += x.Writes
	}
	if total > 0 {
		b.WriteString("<h3>Quota pressure (spark_set by quota fill at write time)</h3><table><tr><th>quota fill</th><th>writes</th><th>p50</th><th>p99</th><th>quota_exceeded</th><th>rate</th></tr>\n")
		for _, x := range bands {
			if x.Writes == 0 {
				continue
			}
			fmt.Fprintf(b, "<tr><td>%d–%d%%</td><td>%d</td><td>%s</td><td>%s</td><td>%d</td><td>%.1f%%</td></tr>\n", x.Lo, x.Lo+100/numBands, x.Writes,
				fmtDur(x.Hist.Quantile(.5)), fmtDur(x.Hist.Quantile(.99)), x.QuotaExceeded, 100*float64(x.QuotaExceeded)/float64(x.Writes))
		}
		b.WriteString("</table>\n")
	}
	if rows := run.LimitTable(); len(rows) > 0 {
		b.WriteString("<h3>Limit enforcement</h3><table><tr><th>limit</th><th>configured</th><th>decisions</th><th>attempts over</th><th>refused</th><th>violations</th></tr>\n")
		for _, r := range rows {
			conf, dec, over, ref, vio := r.cells()
			cls := ""
			if r.Violations() > 0 {
				cls = ` class="bad"`
			}
			fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td%s>%s</td></tr>\n", html.EscapeString(r.Name), conf, dec, over, ref, cls, vio)
		}
		b.WriteString("</table>\n")
	}
	if st := run.Starts(); st.Total > 0 {
		fmt.Fprintf(b, "<p>Open-loop starts: %d scheduled, %d late (&gt; %v), %d dropped; lateness p50 %s, p99 %s, max %s.</p>\n",
			st.Total, st.Late, st.ThresholdString(), st.Dropped, fmtDur(st.Lateness.Quantile(.5)), fmtDur(st.Lateness.Quantile(.99)), fmtDur(st.Lateness.Max()))
	}
	var tb strings.Builder
	writeStatusText(&tb, be, run)
	writeErrorsText(&tb, run)
	writeChecksHTML(b, be, run)
	fmt.Fprintf(b, "<p>Timer overhead: %s.</p>\n", html.EscapeString(overheadString(run)))
	if tb.Len() > 0 {
		fmt.Fprintf(b, "<pre>%s</pre>\n", html.EscapeString(tb.String()))
	}
}

// spectrumChart draws each operation's percentile spectrum as HdrHistogram's
// plotter does: x = 1/(1-p) on a log axis, y = latency (log, since memory
// reads and disk writes are decades apart).
func spectrumChart(id, title string, run *Run) string {
	var lines []line
	lo, hi, maxInv := math.Inf(1), 0.0, 100.0
	for i, op := range displayOps {
		h := run.Op(op)
		if h.Count() == 0 {
			continue
		}
		l := line{name: op.String(), color: palette[i%len(palette)]}
		for _, br := range h.dense().CumulativeDistributionWithTicks(5) {
			q := br.Quantile / 100
			if q >= 1 {
				// 1/(1-p) is infinite at 100%: like HdrHistogram's
				// plotter, the line ends at the last finite percentile.
				continue
			}
			inv, v := 1/(1-q), float64(br.ValueAt)
			l.pts = append(l.pts, [2]float64{inv, v})
			maxInv = math.Max(maxInv, inv)
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		lines = append(lines, l)
	}
	xa := spectrumAxis(maxInv)
	return lineChart(id, title, xa, durAxis(lo, hi), lines, nil)
}

// seriesCharts draws throughput and p99 per second, one line per operation.
func seriesCharts(bi int, be string, run *Run) (string, string) {
	series := run.Series()
	var tput, p99 []line
	maxRate, lo, hi := 0.0, math.Inf(1), 0.0
	for i, op := range displayOps {
		lt := line{name: op.String(), color: palette[i%len(palette)], step: true}
		lp := line{name: op.String(), color: palette[i%len(palette)], step: true}
		found := false
		for _, sec := range series {
			var n float64
			var v float64
			for _, so := range sec.Ops {
				if so.Op == op {
					n = float64(so.Hist.Count())
					v = float64(so.Hist.Quantile(.99))
					found = true
				}
			}
			lt.pts = append(lt.pts, [2]float64{float64(sec.T), n}, [2]float64{float64(sec.T + 1), n})
			maxRate = math.Max(maxRate, n)
			if n > 0 {
				lp.pts = append(lp.pts, [2]float64{float64(sec.T), v}, [2]float64{float64(sec.T + 1), v})
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		if found {
			tput, p99 = append(tput, lt), append(p99, lp)
		}
	}
	xa := linearAxis("seconds", float64(max(len(series), 1)), func(v float64) string { return fmt.Sprintf("%gs", v) })
	return lineChart(fmt.Sprintf("throughput-%d", bi), be+": throughput per second", xa, linearAxis("per second", maxRate, formatCountTick), tput, nil),
		lineChart(fmt.Sprintf("p99-%d", bi), be+": p99 per second", xa, durAxis(lo, hi), p99, nil)
}

func formatCountTick(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%gk", v/1e3)
	default:
		return fmt.Sprintf("%g", v)
	}
}

// quotaChart draws the largest quota fill sampled each second, per site,
// with a red mark at every second that saw refusals (titled with the codes).
func quotaChart(id, title string, run *Run) string {
	series := run.Series()
	sites := map[string]int{}
	var lines []line
	var marks []marker
	for _, sec := range series {
		for _, q := range sec.Quota {
			i, ok := sites[q.Site]
			if !ok {
				i = len(lines)
				sites[q.Site] = i
				lines = append(lines, line{name: q.Site, color: palette[i%len(palette)]})
			}
			fill := 0.0
			if q.Quota > 0 {
				fill = 100 * float64(q.Used) / float64(q.Quota)
			}
			lines[i].pts = append(lines[i].pts, [2]float64{float64(sec.T) + 0.5, fill})
		}
		if len(sec.Refusals) > 0 {
			var parts []string
			for _, c := range sec.Refusals {
				parts = append(parts, fmt.Sprintf("%s %d", CodeName(c.Code, run.Info.CodeNames), c.Count))
			}
			marks = append(marks, marker{x: float64(sec.T) + 0.5, label: fmt.Sprintf("second %d: %s", sec.T, strings.Join(parts, ", "))})
		}
	}
	if len(marks) > 0 {
		lines = append(lines, line{name: "refusals (red marks)", color: "#d62728"})
	}
	xa := linearAxis("seconds", float64(max(len(series), 1)), func(v float64) string { return fmt.Sprintf("%gs", v) })
	ya := linearAxis("quota fill", 100, func(v float64) string { return fmt.Sprintf("%g%%", v) })
	return lineChart(id, title, xa, ya, lines, marks)
}

func writeGroupsHTML(b *strings.Builder, run *Run) {
	rows := groupRows(run)
	if rows == nil {
		return
	}
	b.WriteString("<details><summary>By scenario and node</summary><table><tr><th>scenario</th><th>node</th><th>op</th><th>count</th><th>rate</th><th>p50</th><th>p99</th><th>max</th><th>errors</th></tr>\n")
	for _, r := range rows {
		fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%d</td></tr>\n",
			html.EscapeString(orDash(r.scenario)), html.EscapeString(orDash(r.node)), r.op, r.count, formatRate(r.rate), fmtDur(r.p50), fmtDur(r.p99), fmtDur(r.max), r.errors)
	}
	b.WriteString("</table></details>\n")
}
