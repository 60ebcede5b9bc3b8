package reports

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

const compareCSS = `.good{color:#1a7f37;font-weight:600}
td.l{text-align:left}
svg .zero{stroke:#555;stroke-width:1}
svg .band{fill:#f0f0f0}
svg .label{font-size:11px;fill:#222;text-anchor:end}
svg .ci{stroke-width:2}
svg .clip{font-size:11px}
`

// Colours of the forest plot: regression, improvement, no verdict.
const (
	colourWorse  = "#d62728"
	colourBetter = "#2ca02c"
	colourSame   = "#1f77b4"
)

// WriteCompareHTML writes the comparison as one self-contained HTML page in
// the report's style (inline CSS and SVG, no script, nothing fetched): the
// method, a forest plot of every gated metric's change with its confidence
// interval against the minimum-effect band, the tables of the text output
// and, for paired runs, each pair's change per gated metric.
func WriteCompareHTML(w io.Writer, c *Comparison) error {
	var b strings.Builder
	title := fmt.Sprintf("sparkbench compare: %d regression(s)", c.Regressions())
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
	fmt.Fprintf(&b, "<title>%s</title><style>%s%s</style></head><body>\n", html.EscapeString(title), pageCSS, compareCSS)
	fmt.Fprintf(&b, "<h1>%s</h1><div class=\"env\">%s</div>\n", html.EscapeString(title), html.EscapeString(c.Method()))
	gated, info := c.split()
	if len(gated) > 0 {
		b.WriteString("<h2>Gated metrics</h2>\n<div class=\"charts\">")
		b.WriteString(forestPlot("forest-gated", "change of each gated metric", gated, c.Options.Threshold))
		b.WriteString("</div>\n")
		writeDeltaTableHTML(&b, c, gated)
	} else {
		b.WriteString("<p>No gated metric in these results.</p>\n")
	}
	if len(info) > 0 {
		b.WriteString("<h2>Informational metrics</h2>\n<div class=\"charts\">")
		b.WriteString(forestPlot("forest-info", "change of each informational metric", info, c.Options.Threshold))
		b.WriteString("</div>\n")
		writeDeltaTableHTML(&b, c, info)
	}
	if c.Paired && len(gated) > 0 {
		writePairsHTML(&b, c, gated)
	}
	if notes := c.allNotes(); len(notes) > 0 {
		b.WriteString("<h2>Notes</h2><ul>")
		for _, n := range notes {
			fmt.Fprintf(&b, "<li>%s</li>", html.EscapeString(n))
		}
		b.WriteString("</ul>\n")
	}
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func verdictClass(d MetricDelta) string {
	switch d.Verdict {
	case Regression:
		return ` class="bad"`
	case Improvement:
		return ` class="good"`
	}
	return ""
}

func writeDeltaTableHTML(b *strings.Builder, c *Comparison, ds []MetricDelta) {
	fmt.Fprintf(b, "<table><tr><th>backend</th><th>metric</th><th>base</th><th>new</th><th>change</th><th>%.0f%% CI</th><th>p</th><th>p adj</th><th>verdict</th></tr>\n", 100*(1-c.Options.Alpha))
	for _, d := range ds {
		p, pa := d.pStrings()
		fmt.Fprintf(b, "<tr><td>%s</td><td class=\"l\"><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td%s>%s</td></tr>\n",
			html.EscapeString(d.Backend), html.EscapeString(d.Metric), d.format(d.BaseCenter), d.format(d.NewCenter),
			d.changeString(), d.ciString(), p, pa, verdictClass(d), html.EscapeString(d.verdictString()))
	}
	b.WriteString("</table>\n")
}

// writePairsHTML shows each pair's change (new/base - 1) per gated metric
// and which side ran first: drift between pairs shows down the columns and
// is what pairing takes out.
func writePairsHTML(b *strings.Builder, c *Comparison, gated []MetricDelta) {
	b.WriteString("<h2>Pairs</h2><table><tr><th>pair</th><th>first</th>")
	for _, d := range gated {
		fmt.Fprintf(b, "<th><code>%s</code></th>", html.EscapeString(d.Backend+" "+d.Metric))
	}
	b.WriteString("</tr>\n")
	for i, p := range c.PairIDs {
		first := "-"
		if i < len(c.PairFirst) {
			first = c.PairFirst[i]
		}
		fmt.Fprintf(b, "<tr><td>%d</td><td>%s</td>", p, html.EscapeString(first))
		for _, d := range gated {
			cell := "-"
			if i < len(d.Base) && i < len(d.New) && d.Base[i] > 0 {
				cell = formatChange(d.New[i]/d.Base[i] - 1)
			}
			fmt.Fprintf(b, "<td>%s</td>", cell)
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n")
}

// forestPlot draws one row per metric: the estimated change as a dot, its
// confidence interval as a bar, over a shaded band of ±threshold (changes
// inside it are never flagged). The axis is symmetric and clipped at ±100%;
// clipped ends are marked with an arrow.
func forestPlot(id, title string, ds []MetricDelta, threshold float64) string {
	const (
		labelW = 300
		rowH   = 22
		width  = chartW + 200
		top    = 34
		bottom = 40
	)
	span := math.Max(threshold*2, 0.02)
	for _, d := range ds {
		for _, v := range []float64{d.Change, d.CILow, d.CIHigh} {
			if !math.IsInf(v, 0) && !math.IsNaN(v) {
				span = math.Max(span, math.Abs(v)*1.1)
			}
		}
	}
	span = math.Min(span, 1)
	x0, x1 := float64(labelW), float64(width-padR)
	pos := func(v float64) float64 {
		v = math.Max(-span, math.Min(span, v))
		return x0 + (v+span)/(2*span)*(x1-x0)
	}
	height := top + rowH*len(ds) + bottom
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" id="%s" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		html.EscapeString(id), width, height, width, height, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%d" y="18" class="title">%s</text>`, labelW, html.EscapeString(title))
	y0, y1 := float64(top), float64(top+rowH*len(ds))
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="band"><title>minimum effect ±%.1f%%</title></rect>`,
		pos(-threshold), y0, pos(threshold)-pos(-threshold), y1-y0, 100*threshold)
	for _, t := range forestTicks(span) {
		x := pos(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/>`, x, y0, x, y1)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="xtick">%s</text>`, x, y1+16, html.EscapeString(formatChange(t)))
	}
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="zero"/>`, pos(0), y0, pos(0), y1)
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="frame"/>`, x0, y0, x1-x0, y1-y0)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="xlabel">change, new vs base (dot: estimate; bar: confidence interval; shaded: within the minimum effect)</text>`, (x0+x1)/2, y1+34)
	for i, d := range ds {
		y := y0 + float64(i)*rowH + rowH/2
		colour := colourSame
		switch d.Verdict {
		case Regression:
			colour = colourWorse
		case Improvement:
			colour = colourBetter
		}
		label := d.Backend + " " + d.Metric
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" class="label">%s</text>`, labelW-8, y+4, html.EscapeString(label))
		tip := fmt.Sprintf("%s: %s %s, p adj %s, %s", label, d.changeString(), d.ciString(), formatP(d.PAdjusted), d.verdictString())
		if d.Tested() && !math.IsInf(d.CILow, 0) && !math.IsInf(d.CIHigh, 0) {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" class="ci"><title>%s</title></line>`,
				pos(d.CILow), y, pos(d.CIHigh), y, colour, html.EscapeString(tip))
			if d.CILow < -span {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="clip" fill="%s">◀</text>`, x0+1, y+4, colour)
			}
			if d.CIHigh > span {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="clip" fill="%s">▶</text>`, x1-11, y+4, colour)
			}
		}
		if !math.IsNaN(d.Change) {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s</title></circle>`, pos(d.Change), y, colour, html.EscapeString(tip))
		}
	}
	b.WriteString("</svg>")
	return b.String()
}

// forestTicks picks about five round ticks in [-span, span].
func forestTicks(span float64) []float64 {
	step := 0.01
	for _, s := range []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5} {
		step = s
		if span/s <= 3 {
			break
		}
	}
	var ts []float64
	for v := -math.Floor(span/step) * step; v <= span+1e-12; v += step {
		ts = append(ts, math.Round(v*1e6)/1e6)
	}
	return ts
}
