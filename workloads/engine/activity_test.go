package engine

import (
	"context"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/workloads"
)

const activitySrc = `
store: {backend: memory}
sites: [{domain: a.example, capabilities: [writes_spark_kv]}]
scenarios:
  - name: short
    flare: builtin:counter
    executor: {type: constant-arrival-rate, rate: 200/s, duration: 500ms}
  - name: long
    flare: builtin:counter
    executor: {type: constant-arrival-rate, rate: 50/s, duration: 1s}
  - name: both
    flare: builtin:kvops
    executor: {type: closed, vus: 1, iterations: 5, duration: 1s}
    request: {method: POST, body: "get a"}
`

func groupOf(run *reports.Run, scenario string) *reports.Group {
	for _, g := range run.Groups {
		if g.Labels.Scenario == scenario {
			return g
		}
	}
	return nil
}

// TestActivityRecorded: each scenario's group says how long it was
// active and what ended it; its rate is over that time.
func TestActivityRecorded(t *testing.T) {
	w, err := workloads.Parse("a.yaml", []byte(activitySrc))
	if err != nil {
		t.Fatal(err)
	}
	run, _ := runWithProgress(t, w)
	short, long, both, st := groupOf(run, "short"), groupOf(run, "long"), groupOf(run, "both"), groupOf(run, "store")
	if short.End != reports.EndDuration || short.Active < 500*time.Millisecond || short.Active > 800*time.Millisecond || short.Planned != 500*time.Millisecond {
		t.Errorf("short: %v over %v (planned %v)", short.End, short.Active, short.Planned)
	}
	if long.End != reports.EndDuration || long.Active < time.Second || run.Info.Duration < time.Second {
		t.Errorf("long: %v over %v", long.End, long.Active)
	}
	// 5 iterations end the closed executor long before its 1s duration.
	if both.End != reports.EndIterations || both.Active >= 500*time.Millisecond || both.Planned != time.Second {
		t.Errorf("both: %v over %v (planned %v)", both.End, both.Active, both.Planned)
	}
	if st.Active != long.Active || st.End != "" {
		t.Errorf("store group: active %v end %q, want the longest scenario's %v", st.Active, st.End, long.Active)
	}
	// At most 100 requests in at least 0.5 s: never over 200/s, and not
	// the 100/s that the run's 1 s would give.
	if r := short.Rate(run, reports.OpResponse); r > 200 || r < 130 {
		t.Errorf("short: %.1f/s, want about 200/s", r)
	}
}

// TestActivityInterrupted: a scenario still running when the run is
// stopped says so, and is rated over the time it ran.
func TestActivityInterrupted(t *testing.T) {
	w, err := workloads.Parse("a.yaml", []byte(activitySrc))
	if err != nil {
		t.Fatal(err)
	}
	w = w.WithDuration(20 * time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	opts := DefaultOptions()
	opts.OnMeasure = func(*Progress) { time.AfterFunc(300*time.Millisecond, cancel) }
	run, err := Run(ctx, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	g := groupOf(run, "short")
	if g.End != reports.EndInterrupted || g.Active < 250*time.Millisecond || g.Active > 5*time.Second {
		t.Errorf("short: %v over %v", g.End, g.Active)
	}
	if b := groupOf(run, "both"); b.End != reports.EndIterations {
		t.Errorf("both ended by %q before the stop, want iterations", b.End)
	}
}
