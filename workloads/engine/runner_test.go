package engine

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/reports"

	"github.com/sparkbench/sparkbench/workloads"
)

// runWithProgress runs w with the default options and returns the result
// and the progress of its measured phase.
func runWithProgress(t *testing.T, w *workloads.Workload) (*reports.Run, *Progress) {
	t.Helper()
	var prog *Progress
	opts := DefaultOptions()
	opts.OnMeasure = func(p *Progress) { prog = p }
	run, err := Run(context.Background(), w, opts)
	if err != nil {
		t.Fatal(err)
	}
	return run, prog
}

func TestRunTiny(t *testing.T) {
	w, err := workloads.ParseFile("testdata/tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	run, prog := runWithProgress(t, w)
	if prog == nil || len(prog.Scenarios) != 2 {
		t.Fatalf("progress: %+v", prog)
	}
	// 500/s for 1s: every start either ran or was dropped (on a loaded
	// machine some may be; the accounting must still add up).
	counter := prog.Scenarios[0]
	if got := counter.Completed() + counter.Dropped(); got != 500 {
		t.Errorf("counter completed %d + dropped %d, want 500", counter.Completed(), counter.Dropped())
	}
	if got := prog.Scenarios[1].Completed(); got != 200 {
		t.Errorf("kv completed %d, want 200", got)
	}
	if e := prog.Scenarios[0].Errors() + prog.Scenarios[1].Errors(); e != 0 {
		t.Errorf("%d errors", e)
	}
	if run.Info.Backend != "memory" || run.Info.Seed != 7 || run.Info.TimerOverhead <= 0 || run.Info.Duration < time.Second || run.Info.Durable {
		t.Errorf("info: %+v", run.Info)
	}
	for _, op := range []reports.Op{reports.OpSparkGet, reports.OpSparkSet, reports.OpInvocation, reports.OpResponse, reports.OpBackendWrite} {
		if run.Op(op).Count() == 0 {
			t.Errorf("no %s samples", op)
		}
	}
	if n := run.Op(reports.OpInvocation).Count(); n != counter.Completed()+200 {
		t.Errorf("%d invocations, want %d", n, counter.Completed()+200)
	}
	st := run.Starts()
	if st.Total != 500 || st.Dropped != counter.Dropped() {
		t.Errorf("starts: %+v, progress dropped %d", st, counter.Dropped())
	}
}

// TestLateToleranceCountsInReport: the report counts a start late against
// the scenario's executor.late_tolerance, exactly as the progress display
// does (both compare the same start and intended times), and says which
// threshold it used.
func TestLateToleranceCountsInReport(t *testing.T) {
	for _, tol := range []string{"1ns", "30s"} {
		t.Run(tol, func(t *testing.T) {
			src := `
name: late
seed: 1
warmup: 0s
store: {backend: memory}
sites: [{domain: l.example, capabilities: [writes_spark_kv]}]
scenarios:
  - name: c
    flare: builtin:counter
    executor: {type: constant-arrival-rate, rate: 400/s, duration: 500ms, max_in_flight: 4, late_tolerance: ` + tol + `}
    request: {url: "https://l.example/", headers: {x-counter-key: "k"}}
`
			w, err := workloads.Parse("late.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			run, prog := runWithProgress(t, w)
			st, sc := run.Starts(), prog.Scenarios[0]
			want := w.Scenarios[0].Executor.LateTolerance
			if st.Late != sc.Late() || st.Threshold() != want {
				t.Errorf("report: %d late (> %v); progress: %d late (> %v)", st.Late, st.Threshold(), sc.Late(), want)
			}
			if tol == "1ns" && st.Late < (st.Total-st.Dropped)/2 {
				t.Errorf("late_tolerance 1ns: only %d of %d starts late", st.Late, st.Total-st.Dropped)
			}
		})
	}
}

// TestRunsShareOneParse: every run of a workload (repeats, backends,
// shards) starts from the same parse, which Run leaves as it was.
func TestRunsShareOneParse(t *testing.T) {
	src := `
seed: 5
duration: 200ms
warmup: 0s
store: {backends: [memory, bbolt]}
sites: [{domain: s.example, capabilities: [writes_spark_kv]}]
scenarios:
  - name: seq
    flare: builtin:kvops
    executor: {type: closed, vus: 2, iterations: 41}
    vars: {k: {dist: sequential, n: 1000}, z: {dist: zipfian, n: 1000}}
    request: {method: POST, body: "set k{{k}} 8 0\nget k{{z}}"}
`
	w, err := workloads.Parse("one.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := workloads.Parse("one.yaml", []byte(src))
	for _, tc := range []struct {
		opts Options
		want int64
	}{
		{Options{}, 41},
		{Options{Shard: workloads.Shard{Index: 0, Count: 2}}, 21},
		{Options{Backend: "bbolt", Shard: workloads.Shard{Index: 1, Count: 2}, Repeat: 1}, 20},
		{Options{Repeat: 2}, 41},
	} {
		run, err := Run(context.Background(), w, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if n := run.Op(reports.OpInvocation).Count(); n != tc.want {
			t.Errorf("%+v: %d invocations, want %d", tc.opts, n, tc.want)
		}
		if run.Info.Shard != tc.opts.Shard.String() || run.Info.Repeat != tc.opts.Repeat {
			t.Errorf("%+v: info shard %q repeat %d", tc.opts, run.Info.Shard, run.Info.Repeat)
		}
		if !reflect.DeepEqual(w, fresh) {
			t.Fatalf("%+v: Run changed the workload", tc.opts)
		}
	}
}
