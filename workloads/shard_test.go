package workloads

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

const shardSrc = `
sites: [{domain: a.example, capabilities: [writes_spark_kv]}]
preload: {keys: 10, key: "k{{seq}}"}
scenarios:
  - name: open
    flare: builtin:counter
    executor: {type: constant-arrival-rate, rate: 1001/s, max_in_flight: 10}
    vars: {k: {dist: uniform, n: 100}, c: {dist: constant, value: 5}}
  - name: ramp
    flare: builtin:counter
    executor: {type: ramping-arrival-rate, start_rate: 10/s, stages: [{target: 100/s, duration: 1s}]}
  - name: closed
    flare: builtin:counter
    executor: {type: closed, vus: 5, iterations: 11}
`

func TestSharded(t *testing.T) {
	whole, err := Parse("s.yaml", []byte(shardSrc))
	if err != nil {
		t.Fatal(err)
	}
	var rates []float64
	var vus, iters int64
	for i := 0; i < 3; i++ {
		w := whole.Sharded(i, 3)
		rates = append(rates, w.Scenarios[0].Executor.Rate)
		vus += int64(w.Scenarios[2].Executor.VUs)
		iters += w.Scenarios[2].Executor.Iterations
		if k := w.Scenarios[0].Vars[0].Dist; k.ShardCount != 3 || k.ShardIndex != int64(i) {
			t.Errorf("key space not sharded: %+v", k)
		}
		if c := w.Scenarios[0].Vars[1].Dist; c.ShardCount != 0 {
			t.Errorf("constant sharded: %+v", c)
		}
		if w.Shard() != (Shard{i, 3}) {
			t.Errorf("shard %+v", w.Shard())
		}
	}
	if rates[0] != 334 || rates[1] != 334 || rates[2] != 333 {
		t.Errorf("rates %v, want 334 334 333", rates)
	}
	if vus != 5 || iters != 11 { // 2+2+1 and 4+4+3
		t.Errorf("vus %d iterations %d, want 5 and 11 in total", vus, iters)
	}
	if _, err := ParseShard("2/2"); err == nil {
		t.Error("ParseShard accepted 2/2")
	}
}

func TestWithDuration(t *testing.T) {
	full, err := ParseFile("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w := full.WithDuration(500 * time.Millisecond)
	if w.Scenarios[0].Executor.Duration != 500*time.Millisecond {
		t.Errorf("constant: %v", w.Scenarios[0].Executor.Duration)
	}
	if d := w.Scenarios[1].Executor.TotalDuration(); d != 500*time.Millisecond {
		t.Errorf("ramping total %v", d)
	}
	if w.Scenarios[2].Executor.Duration != 0 || w.Scenarios[2].Executor.Iterations != 100 {
		t.Errorf("iteration-bound closed changed: %+v", w.Scenarios[2].Executor)
	}
}

// TestShardedAndWithDurationLeaveReceiver: both return a new workload and
// leave the one they were called on exactly as parsed, so that one parse
// serves every run of run --count, --backend a,b and --shard.
func TestShardedAndWithDurationLeaveReceiver(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  func() ([]byte, error)
	}{
		{"shard example", func() ([]byte, error) { return []byte(shardSrc), nil }},
		{"full", func() ([]byte, error) { return os.ReadFile("testdata/full.yaml") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := tc.src()
			if err != nil {
				t.Fatal(err)
			}
			w, err := Parse("w.yaml", src)
			if err != nil {
				t.Fatal(err)
			}
			fresh, _ := Parse("w.yaml", src)
			derived := []*Workload{w.Sharded(1, 3), w.WithDuration(time.Second), w.Sharded(0, 1), w.WithDuration(time.Second).Sharded(2, 4)}
			if !reflect.DeepEqual(w, fresh) {
				t.Fatal("Sharded or WithDuration changed the workload they were called on")
			}
			// A derived workload shares nothing its own changes could
			// reach back through: changing one changes neither w nor the
			// others.
			for _, d := range derived {
				d.Scenarios[0].Executor.Rate = 1
				if len(d.Scenarios[0].Vars) > 0 {
					d.Scenarios[0].Vars[0].Name = "changed"
				}
				if len(d.Scenarios[0].Executor.Stages) > 0 {
					d.Scenarios[0].Executor.Stages[0].Target = 1
				}
				d.Sites[0].Capabilities = append(d.Sites[0].Capabilities[:0], "changed")
				if d.Thresholds != nil {
					d.Thresholds["changed"] = "== 0"
				}
			}
			if !reflect.DeepEqual(w, fresh) {
				t.Fatal("changing a derived workload changed the one it came from")
			}
		})
	}
}

func TestShardedSplitsRampsAndKeySpaces(t *testing.T) {
	whole, err := Parse("s.yaml", []byte(shardSrc))
	if err != nil {
		t.Fatal(err)
	}
	w := whole.Sharded(1, 3)
	ramp := w.Scenarios[1].Executor
	if ramp.StartRate != 3 || ramp.Stages[0].Target != 33 {
		t.Errorf("ramp of shard 1/3: start %v, target %v; want 3 and 33", ramp.StartRate, ramp.Stages[0].Target)
	}
	if whole.Scenarios[0].Vars[0].Dist == w.Scenarios[0].Vars[0].Dist {
		t.Error("the sharded key space is the whole workload's distribution")
	}
	if whole.Scenarios[0].Vars[1].Dist != w.Scenarios[0].Vars[1].Dist {
		t.Error("a constant was copied though sharding does not change it")
	}
}

// TestShardedNeverRoundsUp: counts smaller than the number of shards are
// not rounded up (iterations: 3 over 10 shards is 3 in total), and a shard
// left with nothing to do is a *FieldError naming the executor field.
func TestShardedNeverRoundsUp(t *testing.T) {
	src := `
sites: [{domain: a.example, capabilities: [writes_spark_kv]}]
scenarios:
  - name: few
    flare: builtin:counter
    executor: {type: closed, vus: 10, iterations: 3}
`
	w, err := Parse("few.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var iters, vus int64
	for i := 0; i < 10; i++ {
		e := w.Sharded(i, 10).Scenarios[0].Executor
		iters += e.Iterations
		vus += int64(e.VUs)
		err := w.CheckShard(Shard{i, 10})
		if (i < 3) != (err == nil) {
			t.Errorf("shard %d/10: CheckShard = %v", i, err)
		}
		var fe *FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Path != "scenarios.0.executor.iterations" || fe.Line != 6 ||
			!strings.Contains(err.Error(), "3 split 10 ways gives this shard no iteration (use at most 3 shards)")) {
			t.Errorf("shard %d/10: %v", i, err)
		}
	}
	if iters != 3 || vus != 10 {
		t.Errorf("%d iterations and %d vus over 10 shards, want 3 and 10", iters, vus)
	}
	// Bounds on concurrency stay at least 1 where the shard has work.
	w1, _ := Parse("x.yaml", []byte(strings.Replace(src, "vus: 10", "vus: 1", 1)))
	if e := w1.Sharded(2, 10).Scenarios[0].Executor; e.VUs != 1 || e.Iterations != 1 || w1.CheckShard(Shard{2, 10}) != nil {
		t.Errorf("vus 1, iterations 3: shard 2/10 has %d vus, %d iterations", e.VUs, e.Iterations)
	}
	for _, tc := range []struct {
		executor string
		shards   int
		path     string
	}{
		{"{type: constant-arrival-rate, rate: 5/s}", 10, "rate"},
		{"{type: ramping-arrival-rate, start_rate: 0/s, stages: [{target: 3/s, duration: 1s}, {target: 0/s, duration: 1s}]}", 4, "stages"},
		{"{type: closed, vus: 2, duration: 1s}", 3, "vus"},
	} {
		w, err := Parse("x.yaml", []byte(strings.Replace(src, "{type: closed, vus: 10, iterations: 3}", tc.executor, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.CheckShard(Shard{0, tc.shards}); err != nil {
			t.Errorf("%s: shard 0/%d: %v", tc.executor, tc.shards, err)
		}
		err = w.CheckShard(Shard{tc.shards - 1, tc.shards})
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Path != "scenarios.0.executor."+tc.path || !strings.Contains(err.Error(), "nothing to do") {
			t.Errorf("%s: last of %d shards: %v", tc.executor, tc.shards, err)
		}
	}
	// A fractional rate is split evenly: every shard has starts.
	w, _ = Parse("x.yaml", []byte(strings.Replace(src, "{type: closed, vus: 10, iterations: 3}", "{type: constant-arrival-rate, rate: 2.5/s, max_in_flight: 10}", 1)))
	if err := w.CheckShard(Shard{9, 10}); err != nil {
		t.Errorf("2.5/s over 10 shards: %v", err)
	}
}
