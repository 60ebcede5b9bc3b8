package reports

import (
	"fmt"
	"html"
	"sort"
	"strings"
)

// CheckCount counts the evaluations of one named check (a scenario's
// expect.checks, or a verify item of the final store).
type CheckCount struct {
	Name           string
	Passed, Failed int64
}

// CheckID identifies a check within one Recorder, as LimitID does a limit.
type CheckID int32

// CheckID returns the ID of the named check in r, adding it if r has not
// seen it. A check with no evaluation is still reported (0 of 0), so that
// a check that never ran is visible.
func (r *Recorder) CheckID(name string) CheckID {
	for i := range r.checks {
		if r.checks[i].Name == name {
			return CheckID(i)
		}
	}
	r.checks = append(r.checks, CheckCount{Name: name})
	return CheckID(len(r.checks) - 1)
}

// RecordCheck counts one evaluation of the check id.
func (r *Recorder) RecordCheck(id CheckID, passed bool) {
	if passed {
		r.checks[id].Passed++
	} else {
		r.checks[id].Failed++
	}
}

// addChecks adds b's counts into a, by name, sorted by name.
func addChecks(a, b []CheckCount) []CheckCount {
	for _, c := range b {
		found := false
		for i := range a {
			if a[i].Name == c.Name {
				a[i].Passed += c.Passed
				a[i].Failed += c.Failed
				found = true
			}
		}
		if !found {
			a = append(a, c)
		}
	}
	sort.Slice(a, func(i, j int) bool { return a[i].Name < a[j].Name })
	return a
}

// Checks sums the check counts of every group by name.
func (run *Run) Checks() []CheckCount {
	var out []CheckCount
	for _, g := range run.Groups {
		out = addChecks(out, g.Checks)
	}
	return out
}

// CheckRate is the percentage of evaluations of the named check ("" for
// all checks) that passed, and how many there were.
func (run *Run) CheckRate(name string) (pct float64, evaluations int64) {
	var passed int64
	for _, c := range run.Checks() {
		if name == "" || c.Name == name {
			passed += c.Passed
			evaluations += c.Passed + c.Failed
		}
	}
	if evaluations == 0 {
		return 0, 0
	}
	return 100 * float64(passed) / float64(evaluations), evaluations
}

// formatPct shows a pass rate: "100%", "99.95%", and never rounds a
// failure up to 100%.
func formatPct(pct float64) string {
	if pct >= 100 {
		return "100%"
	}
	s := fmt.Sprintf("%.2f", pct)
	if s == "100.00" {
		s = "99.99"
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".") + "%"
}

func checkCells(c CheckCount) (total, rate string) {
	n := c.Passed + c.Failed
	if n == 0 {
		return "0", "-"
	}
	return fmt.Sprint(n), formatPct(100 * float64(c.Passed) / float64(n))
}

func writeChecksText(b *strings.Builder, be string, run *Run) {
	cs := run.Checks()
	if len(cs) == 0 {
		return
	}
	fmt.Fprintf(b, "\nchecks: %s\n", be)
	tw := newTable(b)
	fmt.Fprintln(tw, "check\tevaluated\tpassed\tfailed\tpass rate\t")
	for _, c := range cs {
		n, rate := checkCells(c)
		mark := ""
		if c.Failed > 0 {
			mark = " !"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d%s\t%s\t\n", c.Name, n, c.Passed, c.Failed, mark, rate)
	}
	tw.Flush()
}

func writeChecksMarkdown(b *strings.Builder, be string, run *Run) {
	cs := run.Checks()
	if len(cs) == 0 {
		return
	}
	var failed int64
	var rows []string
	for _, c := range cs {
		n, rate := checkCells(c)
		failed += c.Failed
		fails := fmt.Sprint(c.Failed)
		if c.Failed > 0 {
			fails = "**" + fails + "**"
		}
		rows = append(rows, fmt.Sprintf("| `%s` | %s | %d | %s | %s |", c.Name, n, c.Passed, fails, rate))
	}
	verdict := "all passed"
	if failed > 0 {
		verdict = fmt.Sprintf("**%d failed**", failed)
	}
	fmt.Fprintf(b, "\n<details><summary>checks: %s: %s</summary>\n\n| check | evaluated | passed | failed | pass rate |\n|---|---:|---:|---:|---:|\n%s\n\n</details>\n", be, verdict, strings.Join(rows, "\n"))
}

func writeChecksHTML(b *strings.Builder, be string, run *Run) {
	cs := run.Checks()
	if len(cs) == 0 {
		return
	}
	fmt.Fprintf(b, "<h3>Checks: %s</h3><table><tr><th>check</th><th>evaluated</th><th>passed</th><th>failed</th><th>pass rate</th></tr>\n", html.EscapeString(be))
	for _, c := range cs {
		n, rate := checkCells(c)
		cls := ""
		if c.Failed > 0 {
			cls = ` class="bad"`
		}
		fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td><td>%d</td><td%s>%d</td><td>%s</td></tr>\n", html.EscapeString(c.Name), n, c.Passed, cls, c.Failed, rate)
	}
	b.WriteString("</table>\n")
}
