package workloads

import (
	"os"
	"reflect"
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
