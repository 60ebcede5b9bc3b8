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
	return nil
}
