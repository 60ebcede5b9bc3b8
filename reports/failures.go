package reports

import (
	"cmp"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxFailureMessages is how many distinct failure messages a group keeps:
// the first ones to happen. Failures with other messages are counted in
// Group.OtherFailures, so that a flare failing with a different message
// every time (an address, a counter in its text) costs bounded memory and
// a bounded report.
const MaxFailureMessages = 8

// MaxFailureMessageBytes is the longest failure message kept; a longer one
// is cut at a character boundary.
const MaxFailureMessageBytes = 200

// Failure is one distinct reason a group's requests failed, with how many
// failed for it: an invocation error (Code 101 and up, the host's error
// kind; Message the host's detail: trap text, env.abort's message and
// position, timeout, ABI violation) or an unexpected status (CodeStatus;
// Message the status and the first bytes of the body).
type Failure struct {
	Code    int32
	Message string
	Count   int64
	// First is when it first happened, since the start of the measured
	// phase (of the run where it happened first, for merged results).
	First time.Duration
}

// failureRec is a recorder's kept failures. It is touched only when a
// request fails.
type failureRec struct {
	list  []Failure
	other int64
}

// RecordFailure records one failed request: the response's outcome code
// and its message. Only failures call it, so a run without failures pays
// nothing. message may point into a buffer the caller reuses: it is copied
// when it is kept.
func (r *Recorder) RecordFailure(code int32, message string) {
	message = truncateMessage(message)
	f := &r.failures
	for i := range f.list {
		if f.list[i].Code == code && f.list[i].Message == message {
			f.list[i].Count++
			return
		}
	}
	if len(f.list) >= MaxFailureMessages {
		f.other++
		return
	}
	first := time.Duration(max(0, r.now()-r.start))
	f.list = append(f.list, Failure{Code: code, Message: strings.Clone(message), Count: 1, First: first})
}

// truncateMessage cuts s to MaxFailureMessageBytes at a character boundary.
func truncateMessage(s string) string {
	if len(s) <= MaxFailureMessageBytes {
		return s
	}
	n := MaxFailureMessageBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// mergeFailures adds b's failures to a's: counts of the same (code,
// message) are summed and the earlier First kept; of the distinct messages
// the MaxFailureMessages that happened first are kept and the others'
// counts added to other. Totals are exact whatever is kept.
func mergeFailures(a []Failure, aOther int64, b []Failure, bOther int64) ([]Failure, int64) {
	out := slices.Clone(a)
	for _, f := range b {
		i := slices.IndexFunc(out, func(o Failure) bool { return o.Code == f.Code && o.Message == f.Message })
		if i < 0 {
			out = append(out, f)
			continue
		}
		out[i].Count += f.Count
		out[i].First = min(out[i].First, f.First)
	}
	slices.SortFunc(out, func(x, y Failure) int {
		return cmp.Or(cmp.Compare(x.First, y.First), cmp.Compare(x.Code, y.Code), strings.Compare(x.Message, y.Message))
	})
	other := aOther + bOther
	if len(out) > MaxFailureMessages {
		for _, f := range out[MaxFailureMessages:] {
			other += f.Count
		}
		out = out[:MaxFailureMessages]
	}
	if len(out) == 0 {
		out = nil
	}
	return out, other
}

// FailureCount is how many requests of the group failed: the kept
// messages' counts plus OtherFailures.
func (g *Group) FailureCount() int64 {
	n := g.OtherFailures
	for _, f := range g.Failures {
		n += f.Count
	}
	return n
}

// failureRow is one line of the failures table.
type failureRow struct {
	scenario, node, outcome string
	count                   int64
	first                   string
	message                 string
}

// failureRows lists every group's failures, and a row for the failures
// beyond the kept messages; total is the number of failed requests.
func failureRows(run *Run) (rows []failureRow, total int64) {
	for _, g := range run.Groups {
		for _, f := range g.Failures {
			rows = append(rows, failureRow{g.Labels.Scenario, g.Labels.Node, CodeName(f.Code, run.Info.CodeNames), f.Count, fmtDur(f.First), oneLineMessage(f.Message)})
		}
		if g.OtherFailures > 0 {
			rows = append(rows, failureRow{g.Labels.Scenario, g.Labels.Node, "(other)", g.OtherFailures, "-",
				"failures whose messages were not kept (each scenario keeps the first " + formatCount(MaxFailureMessages) + " distinct)"})
		}
		total += g.FailureCount()
	}
	return rows, total
}

// oneLineMessage replaces control characters (tabs, line breaks) with
// spaces, so that a message from a guest cannot break a table.
func oneLineMessage(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func failuresTitle(total int64) string {
	if total == 1 {
		return "1 failed request"
	}
	return formatCount(float64(total)) + " failed requests"
}

func writeFailuresText(b *strings.Builder, be string, run *Run) {
	rows, total := failureRows(run)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "\nfailures: %s: %s, by message\n", be, failuresTitle(total))
	tw := newTable(b)
	tw.left, tw.lastLeft = 3, true
	fmt.Fprintln(tw, "scenario\tnode\toutcome\tcount\tfirst\tmessage\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t\n", orDash(r.scenario), orDash(r.node), r.outcome, r.count, r.first, r.message)
	}
	tw.Flush()
}

func writeFailuresMarkdown(b *strings.Builder, be string, run *Run) {
	rows, total := failureRows(run)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "\n**%s: %s.**\n\n| scenario | node | outcome | count | first | message |\n|---|---|---|---:|---:|---|\n", be, failuresTitle(total))
	md := strings.NewReplacer("|", `\|`, "`", "'")
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %s | %s | %d | %s | `%s` |\n", md.Replace(orDash(r.scenario)), md.Replace(orDash(r.node)), r.outcome, r.count, r.first, md.Replace(r.message))
	}
}

func writeFailuresHTML(b *strings.Builder, run *Run) {
	rows, total := failureRows(run)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "<h3>Failures: %s</h3><table><tr><th>scenario</th><th>node</th><th>outcome</th><th>count</th><th>first</th><th>message</th></tr>\n", failuresTitle(total))
	for _, r := range rows {
		fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td><td>%s</td><td class=\"bad\">%d</td><td>%s</td><td class=\"msg\">%s</td></tr>\n",
			html.EscapeString(orDash(r.scenario)), html.EscapeString(orDash(r.node)), html.EscapeString(r.outcome), r.count, r.first, html.EscapeString(r.message))
	}
	b.WriteString("</table>\n")
}
