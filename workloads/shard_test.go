package workloads

import (
	"testing"
	"time"
)

func TestApplyShard(t *testing.T) {
	src := `
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
	var rates []float64
	var vus, iters int64
	for i := 0; i < 3; i++ {
		w, err := Parse("s.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		w.ApplyShard(Shard{Index: i, Count: 3})
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

func TestSetDuration(t *testing.T) {
	w, err := ParseFile("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w.SetDuration(500 * time.Millisecond)
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
