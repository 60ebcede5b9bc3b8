package reports

import (
	"fmt"
	"html"
	"strings"
	"time"
)

// How a scenario's executor ended (Group.End).
const (
	// EndDuration: it ran its duration (an open-loop schedule, or a closed
	// executor that had iterations left when its duration ran out).
	EndDuration = "duration"
	// EndIterations: a closed executor did all its iterations (before its
	// duration, if it had one).
	EndIterations = "iterations"
	// EndInterrupted: the run was stopped (Ctrl-C) before the executor's
	// own end.
	EndInterrupted = "interrupted"
)

// ActiveTime is how long the group's scenario was active, the time its
// rates are over: Active when the runner recorded it, else the run's
// measured phase (results written before it was recorded, and groups that
// are not a scenario's).
func (g *Group) ActiveTime(run *Run) time.Duration {
	if g.Active > 0 {
		return g.Active
	}
	return run.Info.Duration
}

// Rate is the group's samples of op per second of its active time.
func (g *Group) Rate(run *Run, op Op) float64 {
	o := g.op(op, false)
	d := g.ActiveTime(run)
	if o == nil || d <= 0 {
		return 0
	}
	return float64(o.Count()) / d.Seconds()
}

// mergeActivity merges o's activity into g's for groups that ran at the
// same time (workers of one run, shards): the longest active time, and
// "interrupted" if any was. Pooled repeats add their active times instead
// (pooled).
func (g *Group) mergeActivity(o *Group) {
	g.Active = max(g.Active, o.Active)
	g.Planned = max(g.Planned, o.Planned)
	if g.End == "" || o.End == EndInterrupted {
		g.End = o.End
	}
}

// poolActivity sets each of pooled's groups' active time to the sum of
// the runs' (repeats run one after the other, so their rates average over
// the sum).
func poolActivity(pooled *Run, runs []*Run) {
	for _, g := range pooled.Groups {
		var sum time.Duration
		for _, r := range runs {
			for _, rg := range r.Groups {
				if rg.Labels == g.Labels {
					sum += rg.Active
				}
			}
		}
		g.Active = sum
	}
}

// endString says what ended a scenario, for the summary: "its duration",
// "all its iterations, before its 2s duration", "interrupted".
func (g *Group) endString() string {
	switch g.End {
	case EndDuration:
		if g.Planned > 0 {
			return fmt.Sprintf("its %v duration", g.Planned)
		}
		return "its duration"
	case EndIterations:
		if g.Planned > 0 {
			return fmt.Sprintf("all its iterations, before its %v duration", g.Planned)
		}
		return "all its iterations"
	case EndInterrupted:
		return "interrupted"
	}
	return "-"
}

// scenarioRow is one scenario's line in the scenarios table.
type scenarioRow struct {
	scenario, node string
	requests       int64
	active         time.Duration
	rate           float64
	end            string
}

// scenarioRows lists the groups that are a scenario's (End recorded): the
// requests that ran, the active time, the request rate over it and what
// ended the scenario.
func scenarioRows(run *Run) []scenarioRow {
	var rows []scenarioRow
	for _, g := range run.Groups {
		if g.End == "" {
			continue
		}
		var n int64
		if o := g.op(OpResponse, false); o != nil {
			n = o.Count()
		}
		rows = append(rows, scenarioRow{g.Labels.Scenario, g.Labels.Node, n, g.ActiveTime(run), g.Rate(run, OpResponse), g.endString()})
	}
	return rows
}

const scenariosTitle = "rates over each scenario's active time"

func writeScenariosText(b *strings.Builder, be string, run *Run) {
	rows := scenarioRows(run)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "\nscenarios: %s (%s)\n", be, scenariosTitle)
	tw := newTable(b)
	tw.left, tw.lastLeft = 2, true
	fmt.Fprintln(tw, "scenario\tnode\trequests\tactive\trate\tended by\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t\n", orDash(r.scenario), orDash(r.node), r.requests, fmtDur(r.active), formatRate(r.rate), r.end)
	}
	tw.Flush()
}

func writeScenariosMarkdown(b *strings.Builder, be string, run *Run) {
	rows := scenarioRows(run)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "\n<details><summary>scenarios: %s (%s)</summary>\n\n| scenario | node | requests | active | rate | ended by |\n|---|---|---:|---:|---:|---|\n", be, scenariosTitle)
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %s | %d | %s | %s | %s |\n", orDash(r.scenario), orDash(r.node), r.requests, fmtDur(r.active), formatRate(r.rate), r.end)
	}
	b.WriteString("\n</details>\n")
}

func writeScenariosHTML(b *strings.Builder, run *Run) {
	rows := scenarioRows(run)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "<h3>Scenarios (%s)</h3><table><tr><th>scenario</th><th>node</th><th>requests</th><th>active</th><th>rate</th><th>ended by</th></tr>\n", scenariosTitle)
	for _, r := range rows {
		fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td class=\"msg\">%s</td></tr>\n",
			html.EscapeString(orDash(r.scenario)), html.EscapeString(orDash(r.node)), r.requests, fmtDur(r.active), formatRate(r.rate), html.EscapeString(r.end))
	}
	b.WriteString("</table>\n")
}
