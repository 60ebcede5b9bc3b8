package engine

import (
	"testing"

	"github.com/sparkbench/sparkbench/reports"

	"github.com/sparkbench/sparkbench/workloads"
)

// TestPullOverHTTP: sessions preloaded on one node are pulled by another
// over loopback HTTP (transport: http) and then read locally.
func TestPullOverHTTP(t *testing.T) {
	src := `
seed: 3
duration: 1s
store: {backend: memory}
nodes:
  - {id: fra, transport: http, pull_latency: {dist: constant, value: 1ms}}
  - {id: ams}
sites: [{domain: app.example, capabilities: [writes_spark_kv]}]
preload: {site: app.example, node: fra, keys: 20, key: "sess:u{{seq}}", value_size: 64, ttl: 10m}
scenarios:
  - name: migrate
    flare: builtin:migrate
    node: ams
    executor: {type: closed, vus: 1, iterations: 60}
    vars: {u: {dist: sequential, n: 20}}
    request:
      headers: {x-origin-node: "fra", x-session-id: "u{{u}}"}
`
	w, err := workloads.Parse("pull.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	run, prog := runWithProgress(t, w)
	if prog.Scenarios[0].Errors() != 0 {
		t.Errorf("%d errors", prog.Scenarios[0].Errors())
	}
	// One worker visits the 20 sessions in turn three times: each is
	// pulled the first time and read locally afterwards.
	if pulls := run.Op(reports.OpSparkPull).Count(); pulls != 20 {
		t.Errorf("%d pulls, want 20", pulls)
	}
	if errs := run.OpErrors(reports.OpSparkPull); errs != 0 {
		t.Errorf("%d failed pulls", errs)
	}
	if h := run.Op(reports.OpSparkPull); h.Quantile(0.5) < 1_000_000 {
		t.Errorf("pull p50 %v below the 1ms origin latency", h.Quantile(0.5))
	}
}
