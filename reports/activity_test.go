package reports

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"
)

// activityRun is a run of 4 s in which scenario "short" made 400 requests
// in the 2 s it was active and "long" 400 in 4 s.
func activityRun() *Run {
	clk := &fakeClock{t: fixtureStart.UnixNano()}
	short := newTestRecorder(Labels{Scenario: "short", Node: "edge"}, fixtureStart, clk.now)
	long := newTestRecorder(Labels{Scenario: "long", Node: "edge"}, fixtureStart, clk.now)
	for i := 0; i < 400; i++ {
		short.Record(OpResponse, CodeOK, time.Millisecond)
		long.Record(OpResponse, CodeOK, time.Millisecond)
	}
	run := Build(RunInfo{Backend: "memory", Duration: 4 * time.Second}, []*Recorder{short, long})
	for _, g := range run.Groups {
		g.End, g.Planned = EndDuration, 2*time.Second
		g.Active = 2 * time.Second
		if g.Labels.Scenario == "long" {
			g.Active, g.Planned = 4*time.Second, 4*time.Second
		}
	}
	return run
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestRatesOverActiveTime: a scenario is rated over the time it was
// active, not over the run; an operation of several scenarios over the
// span in which they did it; repeats average, shards add up.
func TestRatesOverActiveTime(t *testing.T) {
	run := activityRun()
	for _, g := range run.Groups {
		want := map[string]float64{"short": 200, "long": 100}[g.Labels.Scenario]
		if r := g.Rate(run, OpResponse); !near(r, want) {
			t.Errorf("%s: %v/s, want %v/s", g.Labels.Scenario, r, want)
		}
	}
	if r := run.Rate(OpResponse); !near(r, 200) { // 800 requests in the 4 s something ran
		t.Errorf("run rate %v/s, want 200/s", r)
	}
	// Repeats run one after the other: the same rates.
	p := pooled([]*Run{activityRun(), activityRun(), activityRun()})
	for _, g := range p.Groups {
		want := map[string]float64{"short": 200, "long": 100}[g.Labels.Scenario]
		if r := g.Rate(p, OpResponse); !near(r, want) || g.Active != 3*map[string]time.Duration{"short": 2 * time.Second, "long": 4 * time.Second}[g.Labels.Scenario] {
			t.Errorf("pooled %s: %v/s over %v, want %v/s", g.Labels.Scenario, r, g.Active, want)
		}
	}
	// Shards run at the same time: their rates add up.
	a, b := activityRun(), activityRun()
	a.Info.Shard, b.Info.Shard = "0/2", "1/2"
	m, err := mergeShardRuns([]*Run{a, b})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range m.Groups {
		want := map[string]float64{"short": 400, "long": 200}[g.Labels.Scenario]
		if r := g.Rate(m, OpResponse); !near(r, want) {
			t.Errorf("merged %s: %v/s, want %v/s", g.Labels.Scenario, r, want)
		}
	}
	// A result without active times is rated over its measured phase.
	old := activityRun()
	for _, g := range old.Groups {
		g.Active, g.End, g.Planned = 0, "", 0
	}
	if r := old.Groups[1].Rate(old, OpResponse); !near(r, 100) {
		t.Errorf("old result: %v/s, want 400 over 4 s", r)
	}
}

// TestScenariosTable: the summary says each scenario's active time, rate
// and what ended it; the JSON keeps them.
func TestScenariosTable(t *testing.T) {
	run := activityRun()
	run.Groups[1].End, run.Groups[1].Active = EndIterations, 40*time.Millisecond // "short", sorted after "long"
	rep := NewReport(run)
	rep.Env = Env{GoVersion: "go1.26.8", OS: "linux", Arch: "amd64", NumCPU: 2, GOMAXPROCS: 2, Version: "v0.1.0"}
	var txt, js bytes.Buffer
	if err := WriteText(&txt, rep); err != nil {
		t.Fatal(err)
	}
	golden(t, "scenarios.txt", txt.Bytes())
	if err := WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&js)
	if err != nil {
		t.Fatal(err)
	}
	if g := back.Runs[0].Groups[1]; g.End != EndIterations || g.Active != 40*time.Millisecond || g.Planned != 2*time.Second {
		t.Errorf("JSON round trip: %+v", g)
	}
	bad := activityRun()
	bad.Groups[0].End = "whenever"
	js.Reset()
	WriteJSON(&js, NewReport(bad))
	if _, err := ReadJSON(&js); !errors.Is(err, ErrSchema) {
		t.Errorf("End %q accepted: %v", bad.Groups[0].End, err)
	}
}
