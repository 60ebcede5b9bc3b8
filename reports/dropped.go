package reports

import "fmt"

// Open-loop starts that found every worker busy are dropped, not queued:
// they have no latency, so the response and invocation percentiles cover
// only the starts that ran. A run that dropped many reports latencies
// better than its users would have met. The renderers therefore put the
// dropped starts beside the latencies they are missing from, as a column
// of the response row, and warn.

// dropShare formats dropped starts and their share of the scheduled ones:
// "1234 (12.3%)".
func dropShare(st Starts) string {
	if st.Total <= 0 {
		return fmt.Sprint(st.Dropped)
	}
	pct := 100 * float64(st.Dropped) / float64(st.Total)
	if pct < 0.05 && st.Dropped > 0 {
		return fmt.Sprintf("%d (<0.1%%)", st.Dropped)
	}
	return fmt.Sprintf("%d (%.1f%%)", st.Dropped, pct)
}

// droppedCell is the dropped column's cell of op's row: the dropped starts
// on the response row, whose latencies they are missing from; "" on the
// others.
func droppedCell(op Op, st Starts) string {
	if op != OpResponse {
		return ""
	}
	return dropShare(st)
}

// droppedWarning says how many starts were dropped and what the
// percentiles then cover, for a line after "warning: "; "" when none were.
func droppedWarning(be string, st Starts) string {
	if st.Dropped <= 0 {
		return ""
	}
	return fmt.Sprintf("%s: %s of %d scheduled open-loop starts were dropped (every worker busy: raise max_in_flight or lower the rate); the latency percentiles cover only the %d that ran",
		be, dropShare(st), st.Total, st.Total-st.Dropped)
}
