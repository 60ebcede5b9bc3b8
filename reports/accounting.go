package reports

import "fmt"

// checkAccounting checks the group's failure and activity fields of a
// result file (ReadJSON): counts and times that no run can produce are a
// file that is not what sparkbench wrote.
func (g *Group) checkAccounting() error {
	if g.OtherFailures < 0 {
		return fmt.Errorf("OtherFailures %d < 0", g.OtherFailures)
	}
	if len(g.Failures) > MaxFailureMessages {
		return fmt.Errorf("%d failure messages, at most %d", len(g.Failures), MaxFailureMessages)
	}
	for _, f := range g.Failures {
		if f.Count <= 0 || f.First < 0 {
			return fmt.Errorf("failure %q: count %d, first %v", f.Message, f.Count, f.First)
		}
	}
	if g.Active < 0 || g.Planned < 0 {
		return fmt.Errorf("active time %v, planned %v", g.Active, g.Planned)
	}
	switch g.End {
	case "", EndDuration, EndIterations, EndInterrupted:
	default:
		return fmt.Errorf("End %q (want %s, %s or %s)", g.End, EndDuration, EndIterations, EndInterrupted)
	}
	return nil
}
