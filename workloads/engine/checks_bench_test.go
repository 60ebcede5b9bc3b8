package engine

import (
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/workloads"
)

// BenchmarkChecks is what evaluating a scenario's checks costs a worker
// per response (after the invocation's end time is read): ns/op times the
// invocation rate is the CPU the checks take, e.g. 300 ns/op at 100k
// invocations/s is 3% of one core.
func BenchmarkChecks(b *testing.B) {
	cases := []struct{ name, checks string }{
		{"body-regex", `[{regex: '^[0-9]+$'}]`},
		{"body-contains-template", `[{contains: "{{k}}"}]`},
		{"header-equals", `[{header: x-cache, equals: HIT}]`},
		{"json-path", `[{json_path: $.user.id, equals: "{{k}}"}]`},
		{"typical-4", `[{regex: '^[0-9]+$'}, {header: x-cache, equals: HIT}, {header: x-count, present: true}, {size: {max: 1KiB}}]`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			src := "sites: [{domain: a.example, capabilities: [writes_spark_kv]}]\nscenarios:\n  - flare: builtin:kvops\n    executor: {type: closed, vus: 1}\n" +
				"    vars: {k: {dist: uniform, n: 100}}\n    expect: {checks: " + c.checks + "}\n"
			w, err := workloads.Parse("b.yaml", []byte(src))
			if err != nil {
				b.Fatal(err)
			}
			rt, err := newScenarioRT(w, 0, nil, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			wk := rt.newWorker(1, 0, 1, false)
			wk.attach(reports.NewRecorder(reports.Labels{Scenario: "b"}, time.Now()))
			wk.render(0)
			body := []byte("42")
			if c.name == "json-path" {
				body = []byte(`{"user":{"id":"42","name":"n"},"ok":true}`)
			}
			resp := &host.Response{Status: 200, Body: body, Headers: [][2]string{{"x-count", "42"}, {"x-cache", "HIT"}}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				wk.runChecks(nil, resp)
			}
		})
	}
}
