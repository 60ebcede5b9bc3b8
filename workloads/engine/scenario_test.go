package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/reports"

	"github.com/sparkbench/sparkbench/workloads"
)

const renderSrc = `
seed: 42
sites: [{domain: a.example, capabilities: [writes_spark_kv]}]
scenarios:
  - name: s
    flare: builtin:kvops
    executor: {type: constant-arrival-rate, rate: 100/s, max_in_flight: 4}
    vars:
      k: {dist: zipfian, n: 1000}
      u: {dist: hotspot, n: 50}
      sz: {dist: normal, mean: 100, stddev: 20}
      q: {dist: sequential, n: 100000}
    request:
      method: POST
      url: "https://{{site}}/{{scenario}}/{{k}}?seq={{seq}}&w={{worker}}"
      headers: {x-user: "u{{u}}", x-fixed: "1"}
      body: "set k{{k}} {{sz}} 60\nget q{{q}}"
`

// renderN renders n requests of worker id of the first scenario.
func renderN(t *testing.T, src string, id, n int) []string {
	t.Helper()
	w, err := workloads.Parse("r.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := newScenarioRT(w, 0, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	wk := rt.newWorker(w.Seed, id, 4, false)
	var out []string
	for i := 0; i < n; i++ {
		wk.render(int64(i))
		out = append(out, fmt.Sprintf("%s %s %v %q", wk.req.Method, wk.req.URL, wk.req.Headers, wk.req.Body))
	}
	return out
}

func TestRequestSequenceDeterministic(t *testing.T) {
	a := renderN(t, renderSrc, 1, 200)
	b := renderN(t, renderSrc, 1, 200)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d differs with the same seed:\n%s\n%s", i, a[i], b[i])
		}
	}
	if !strings.HasPrefix(a[0], "POST https://a.example/s/") || !strings.Contains(a[0], "x-fixed 1") || !strings.Contains(a[0], "&w=1") {
		t.Errorf("rendered %s", a[0])
	}
	other := renderN(t, strings.Replace(renderSrc, "seed: 42", "seed: 43", 1), 1, 200)
	otherWorker := renderN(t, renderSrc, 2, 200)
	same1, same2 := 0, 0
	for i := range a {
		if a[i] == other[i] {
			same1++
		}
		if a[i] == otherWorker[i] {
			same2++
		}
	}
	if same1 > 20 || same2 > 20 {
		t.Errorf("another seed or worker repeats the sequence (%d, %d of 200 equal)", same1, same2)
	}
}

func TestRenderDoesNotAllocate(t *testing.T) {
	w, _ := workloads.Parse("r.yaml", []byte(renderSrc))
	rt, err := newScenarioRT(w, 0, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	wk := rt.newWorker(w.Seed, 0, 1, false)
	wk.render(0)
	seq := int64(1)
	if n := testing.AllocsPerRun(1000, func() { wk.render(seq); seq++ }); n != 0 {
		t.Errorf("render allocates %.1f times per request", n)
	}
}

func BenchmarkRender(b *testing.B) {
	w, _ := workloads.Parse("r.yaml", []byte(renderSrc))
	rt, _ := newScenarioRT(w, 0, nil, nil, nil)
	wk := rt.newWorker(w.Seed, 0, 1, false)
	var seq int64
	b.ReportAllocs()
	for b.Loop() {
		wk.render(seq)
		seq++
	}
}

func TestCheckRefusesUnloadableModule(t *testing.T) {
	dir := t.TempDir()
	// A module that imports only spark_get and exports nothing: the parser
	// accepts it (a read-only flare), host.Load refuses it.
	ro := []byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x02\x17\x01\x09flaron/v1\x09spark_get\x00\x00")
	os.WriteFile(filepath.Join(dir, "ro.wasm"), ro, 0o644)
	src := "sites: [{domain: ro.example}]\nscenarios:\n  - flare: ro.wasm\n    executor: {type: closed, vus: 1}\n"
	w, err := workloads.Parse(filepath.Join(dir, "f.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	err = Check(context.Background(), w)
	if err == nil || !errors.Is(err, workloads.ErrFlare) || !strings.Contains(err.Error(), "f.yaml:3:12: scenarios.0.flare: flare[ro]") {
		t.Errorf("Check: %v", err)
	}
	ok, _ := workloads.ParseFile("testdata/tiny.yaml")
	if err := Check(context.Background(), ok); err != nil {
		t.Errorf("Check(tiny): %v", err)
	}
}

// TestDoAllocations: a worker's Do (render, recording, observer adapters)
// allocates nothing per invocation once warm; only the invocation may.
func TestDoAllocations(t *testing.T) {
	w, _ := workloads.Parse("r.yaml", []byte(renderSrc))
	rt, err := newScenarioRT(w, 0, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rt.invoke = fakeInvoke
	wk := rt.newWorker(w.Seed, 0, 1, false)
	start := time.Now()
	wk.attach(reports.NewRecorder(reports.Labels{Scenario: "s"}, start))
	ctx := context.Background()
	seq := int64(0)
	for i := 0; i < 1000; i++ { // warm the recorder's histograms
		wk.Do(ctx, seq, time.Now(), time.Now())
		seq++
	}
	if n := testing.AllocsPerRun(2000, func() { wk.Do(ctx, seq, start, start); seq++ }); n > 0.1 {
		t.Errorf("Do allocates %.2f times per invocation", n)
	}
}

func TestShardTemplateVars(t *testing.T) {
	src := strings.Replace(renderSrc, `x-fixed: "1"`, `x-fixed: "{{shard}}/{{shards}}"`, 1)
	w, err := workloads.Parse("r.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	w = w.Sharded(2, 5)
	rt, err := newScenarioRT(w, 0, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	wk := rt.newWorker(w.Seed, 0, 1, false)
	wk.render(0)
	if got := wk.req.Headers[1]; got != [2]string{"x-fixed", "2/5"} {
		t.Errorf("header %v, want x-fixed 2/5", got)
	}
}
