package reports

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

func (d MetricDelta) format(v float64) string {
	if d.Duration {
		return fmtDur(time.Duration(v))
	}
	return formatRate(v)
}

func formatChange(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return "+inf"
	case math.IsInf(x, -1):
		return "-inf"
	case math.IsNaN(x):
		return "-"
	}
	return fmt.Sprintf("%+.1f%%", 100*x)
}

func (d MetricDelta) changeString() string { return formatChange(d.Change) }

// ciString shows the interval as "[+8.1%, +12.3%]", "-" when there is none.
func (d MetricDelta) ciString() string {
	if !d.Tested() || math.IsInf(d.CILow, 0) || math.IsInf(d.CIHigh, 0) {
		return "-"
	}
	return "[" + formatChange(d.CILow) + ", " + formatChange(d.CIHigh) + "]"
}

func (d MetricDelta) pStrings() (string, string) {
	if !d.Tested() {
		return "-", "-"
	}
	return formatP(d.P), formatP(d.PAdjusted)
}

// verdictString: gated metrics show REGRESSION / improvement, informational
// ones worse / better, which never fail a comparison.
func (d MetricDelta) verdictString() string {
	if d.Gated {
		return d.Verdict.String()
	}
	switch d.Verdict {
	case Regression:
		return "worse"
	case Improvement:
		return "better"
	}
	return d.Verdict.String()
}

// Method describes the analysis in one line, as the outputs head it.
func (c *Comparison) Method() string {
	o := c.Options
	var b strings.Builder
	if c.Paired {
		fmt.Fprintf(&b, "%d pairs", len(c.PairIDs))
		if c.Session != "" {
			fmt.Fprintf(&b, " (A/B session %s)", c.Session)
		}
		b.WriteString(", Wilcoxon signed-rank on per-pair log ratios")
	} else {
		fmt.Fprintf(&b, "%d base run(s), %d new run(s), unpaired: Mann-Whitney U", c.BaseRuns, c.NewRuns)
	}
	fmt.Fprintf(&b, "; family-wise alpha %.3g over %d gated metric(s)", o.Alpha, c.GatedCount())
	switch {
	case c.GatedCount() == 0:
	case c.Paired && c.Exact:
		fmt.Fprintf(&b, " (minP over all %d sign flips)", c.Permutations)
	case c.Paired:
		fmt.Fprintf(&b, " (minP over %d random sign flips)", c.Permutations)
	default:
		b.WriteString(" (Holm)")
	}
	fmt.Fprintf(&b, "; minimum effect %.1f%%; %.0f%% intervals", 100*o.Threshold, 100*(1-o.Alpha))
	if o.SingleRunThreshold > 0 {
		fmt.Fprintf(&b, "; single-run threshold %.1f%%", 100*o.SingleRunThreshold)
	}
	if c.Config {
		b.WriteString("; configuration comparison")
	}
	return b.String()
}

func (c *Comparison) split() (gated, info []MetricDelta) {
	for _, d := range c.Deltas {
		if d.Gated {
			gated = append(gated, d)
		} else {
			info = append(info, d)
		}
	}
	return gated, info
}

// WriteCompareText writes the comparison as terminal tables: the gated
// metrics, then the informational ones that moved (significantly, beyond
// the threshold; the others are counted, and listed by the Markdown, HTML
// and JSON outputs), then notes and the count of regressions.
func WriteCompareText(w io.Writer, c *Comparison) error {
	var b strings.Builder
	fmt.Fprintf(&b, "compare: %s\n", c.Method())
	ci := fmt.Sprintf("%.0f%% CI", 100*(1-c.Options.Alpha))
	table := func(title string, ds []MetricDelta) {
		fmt.Fprintf(&b, "\n%s\n", title)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "backend\tmetric\tbase\tnew\tchange\t%s\tp\tp adj\tverdict\t\n", ci)
		for _, d := range ds {
			p, pa := d.pStrings()
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", d.Backend, d.Metric, d.format(d.BaseCenter), d.format(d.NewCenter),
				d.changeString(), d.ciString(), p, pa, d.verdictString())
		}
		tw.Flush()
	}
	gated, info := c.split()
	if len(gated) > 0 {
		table("gated metrics (a regression here fails the comparison):", gated)
	} else {
		b.WriteString("\nno gated metric in these results\n")
	}
	var moved []MetricDelta
	for _, d := range info {
		if d.Verdict == Regression || d.Verdict == Improvement {
			moved = append(moved, d)
		}
	}
	if len(moved) > 0 {
		table("informational metrics that moved:", moved)
	}
	if rest := len(info) - len(moved); rest > 0 {
		fmt.Fprintf(&b, "\n%d informational metric(s) without a change beyond the threshold (all metrics: --md, --html, --json)\n", rest)
	}
	b.WriteString("\n")
	writeCompareNotes(&b, c)
	_, err := io.WriteString(trimTrailingSpaces{w}, b.String())
	return err
}

// trimTrailingSpaces drops the padding tabwriter leaves at line ends.
type trimTrailingSpaces struct{ w io.Writer }

func (t trimTrailingSpaces) Write(p []byte) (int, error) {
	lines := strings.Split(string(p), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	if _, err := io.WriteString(t.w, strings.Join(lines, "\n")); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *Comparison) allNotes() []string {
	notes := append([]string(nil), c.Notes...)
	seen := map[string]bool{}
	for _, d := range c.Deltas {
		if d.Note != "" && !seen[d.Note] {
			seen[d.Note] = true
			notes = append(notes, d.Note)
		}
	}
	return notes
}

func writeCompareNotes(b *strings.Builder, c *Comparison) {
	for _, n := range c.allNotes() {
		fmt.Fprintf(b, "note: %s\n", n)
	}
	fmt.Fprintf(b, "%d regression(s)\n", c.Regressions())
}

// WriteCompareMarkdown writes the comparison for a pull-request comment:
// the gated metrics in a table, informational metrics folded (those that
// moved first), then notes.
func WriteCompareMarkdown(w io.Writer, c *Comparison) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### sparkbench compare: %d regression(s)\n\n<sub>%s</sub>\n\n", c.Regressions(), c.Method())
	head := fmt.Sprintf("| backend | metric | base | new | change | %.0f%% CI | p | p adj | verdict |\n|---|---|---:|---:|---:|---:|---:|---:|---|\n", 100*(1-c.Options.Alpha))
	row := func(d MetricDelta) string {
		v := d.verdictString()
		if d.Gated && d.Verdict == Regression {
			v = "**" + v + "**"
		}
		p, pa := d.pStrings()
		return fmt.Sprintf("| %s | `%s` | %s | %s | %s | %s | %s | %s | %s |\n", d.Backend, d.Metric, d.format(d.BaseCenter), d.format(d.NewCenter),
			d.changeString(), d.ciString(), p, pa, v)
	}
	gated, info := c.split()
	if len(gated) > 0 {
		b.WriteString("Gated metrics (a regression here fails the comparison):\n\n" + head)
		for _, d := range gated {
			b.WriteString(row(d))
		}
		b.WriteString("\n")
	} else {
		b.WriteString("No gated metric in these results.\n\n")
	}
	if len(info) > 0 {
		var moved, rest strings.Builder
		for _, d := range info {
			if d.Verdict == Regression || d.Verdict == Improvement {
				moved.WriteString(row(d))
			} else {
				rest.WriteString(row(d))
			}
		}
		fmt.Fprintf(&b, "<details><summary>informational metrics</summary>\n\n%s%s%s\n</details>\n\n", head, moved.String(), rest.String())
	}
	for _, n := range c.allNotes() {
		fmt.Fprintf(&b, "- %s\n", n)
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
