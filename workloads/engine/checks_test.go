package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/workloads"
)

// runFile parses src as a workload file in a temporary directory and runs
// it, keeping 3 response samples per scenario and failure (so that the
// samplers are exercised by concurrent workers under -race).
func runFile(t *testing.T, src string) *reports.Run {
	t.Helper()
	path := filepath.Join(t.TempDir(), "w.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := workloads.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.ShowResponses = 3
	run, err := Run(context.Background(), w, opts)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func checkCounts(run *reports.Run) map[string][2]int64 {
	m := map[string][2]int64{}
	for _, c := range run.Checks() {
		m[c.Name] = [2]int64{c.Passed, c.Failed}
	}
	return m
}

// TestChecksOnReferenceFlares runs checks of every kind on the reference
// flares (kvops answers, the cache's headers) and on the counter with one
// key per worker, whose verify proves that no increment was lost.
func TestChecksOnReferenceFlares(t *testing.T) {
	run := runFile(t, `
store: {backend: memory}
sites: [{domain: a.example, capabilities: [writes_spark_kv]}]
preload: {keys: 10, key: "k{{seq}}", value_size: 3}
scenarios:
  - name: kv
    flare: builtin:kvops
    executor: {type: closed, vus: 2, iterations: 100}
    vars: {k: {dist: uniform, n: 20}}
    request: {method: POST, body: "get k{{k}}"}
    expect:
      checks:
        - {name: answered, regex: '^get (hit ttl=0 len=3 value=[a-z]{3}|miss)\n$'}
        - {name: hit, contains: "get hit"}
        - {name: never, equals: "{{k}}"}
        - {name: size, size: {min: 9, max: 40}}
  - name: cache
    flare: builtin:cache
    executor: {type: closed, vus: 1, iterations: 20}
    request: {url: "https://a.example/page"}
    expect:
      checks:
        - {name: cache-header, header: x-cache, regex: '^(HIT|MISS)$'}
        - {name: cache-hit, header: x-cache, equals: HIT}
        - {name: ttl-header, header: x-cache-ttl, present: true}
        - {name: no-such-header, header: x-nope, present: false}
  - name: count
    flare: builtin:counter
    executor: {type: closed, vus: 3, iterations: 90}
    request: {headers: {x-counter-key: "hits:{{worker}}"}}
    expect:
      checks: [{name: numeric, regex: '^[0-9]+$'}]
verify:
  - {name: no-lost-increments, scenario: count, key: "hits:{{worker}}", equals: "{{responses}}", default: "0"}
  - {name: wrong-count, scenario: count, key: "hits:{{worker}}", equals: "{{responses}}0"}
  - {name: preloaded, key: k3, size: {min: 3, max: 3}}
  - {name: absent, key: nope, absent: true}
`)
	got := checkCounts(run)
	hits := got["hit"][0]
	if hits == 0 || hits == 100 { // 10 of 20 keys preloaded
		t.Errorf("hit: %v (want some hits and some misses)", got["hit"])
	}
	want := map[string][2]int64{
		"answered": {100, 0}, "never": {0, 100}, "size": {100, 0},
		"cache-header": {20, 0}, "cache-hit": {19, 1}, "no-such-header": {20, 0},
		"numeric":            {90, 0},
		"no-lost-increments": {3, 0}, "wrong-count": {0, 3}, "preloaded": {1, 0}, "absent": {1, 0},
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("check %s: passed/failed %v, want %v", name, got[name], w)
		}
	}
	if got["ttl-header"][0] != 19 {
		t.Errorf("ttl-header: %v, want 19 passes (hits carry x-cache-ttl)", got["ttl-header"])
	}
	if pct, n := run.CheckRate("cache-hit"); n != 20 || pct != 95 {
		t.Errorf("cache-hit rate %v of %d", pct, n)
	}
}

// TestChecksOnAssemblyScriptCounter: the AssemblyScript counter built by
// the real asc answers its count in a header and the body; one worker
// makes it exact, and verify reads the key it left.
func TestChecksOnAssemblyScriptCounter(t *testing.T) {
	wasm, err := filepath.Abs("../../host/testdata/sdk/as_counter.wasm")
	if err != nil {
		t.Fatal(err)
	}
	run := runFile(t, `
store: {backend: memory}
sites: [{domain: a.example, capabilities: [writes_spark_kv]}]
scenarios:
  - name: as
    flare: `+wasm+`
    executor: {type: closed, vus: 1, iterations: 40}
    expect:
      checks:
        - {name: set-ok, header: x-set-code, equals: "0"}
        - {name: count-header, header: x-count, regex: '^[1-9][0-9]*$'}
        - {name: first, equals: "1"}
verify:
  - {name: count, scenario: as, key: count, equals: "{{responses}}"}
  - {name: forty, key: count, equals: "40"}
`)
	want := map[string][2]int64{"set-ok": {40, 0}, "count-header": {40, 0}, "first": {1, 39}, "count": {1, 0}, "forty": {1, 0}}
	got := checkCounts(run)
	for name, w := range want {
		if got[name] != w {
			t.Errorf("check %s: passed/failed %v, want %v", name, got[name], w)
		}
	}
}

// TestResponseSamples: with ShowResponses n the result keeps the first n
// responses of each scenario and the first n of each distinct failure,
// with the request, and the verify failures with the key they read.
func TestResponseSamples(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.yaml")
	os.WriteFile(path, []byte(`
store: {backend: memory}
sites: [{domain: a.example, capabilities: [writes_spark_kv]}]
scenarios:
  - name: kv
    flare: builtin:kvops
    executor: {type: closed, vus: 1, iterations: 30}
    request: {method: POST, body: "set k{{seq}} 3 60\nget k{{seq}}\nget nope{{seq}}", headers: {x-n: "{{seq}}"}}
    expect:
      status: [200]
      checks:
        - {name: no-miss, regex: '^[^m]*$'}
        - {name: short, size: {max: 10}}
  - name: count
    flare: builtin:counter
    executor: {type: closed, vus: 1, iterations: 5}
    expect: {status: [201]}
verify:
  - {name: wrong, key: hits, equals: "4"}
`), 0o644)
	w, err := workloads.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.ShowResponses = 2
	run, err := Run(context.Background(), w, opts)
	if err != nil {
		t.Fatal(err)
	}
	byGroup := map[string][]reports.Sample{}
	for _, g := range run.Groups {
		byGroup[g.Labels.Scenario] = g.Samples
	}
	kv := byGroup["kv"]
	// 2 first, 2 per failed check (both fail on every response).
	if len(kv) != 6 {
		t.Fatalf("kv samples: %d: %+v", len(kv), kv)
	}
	first := kv[0]
	if first.Failure != "" || first.Request.Method != "POST" || first.Request.Body != "set k0 3 60\nget k0\nget nope0" ||
		first.Request.Headers[0] != [2]string{"x-n", "0"} || first.Status != 200 ||
		first.Body != "set 0\nget hit ttl=60 len=3 value=abc\nget miss\n" || first.BodyBytes != len(first.Body) {
		t.Errorf("first sample: %+v", first)
	}
	if kv[1].Request.Headers[0][1] != "1" {
		t.Errorf("second sample is not the second request: %+v", kv[1])
	}
	if kv[2].Failure != "check no-miss: no match" || kv[4].Failure != "check short: body size 46" {
		t.Errorf("failures %q, %q", kv[2].Failure, kv[4].Failure)
	}
	count := byGroup["count"]
	if len(count) != 4 || count[2].Failure != "status 200 (unexpected)" || count[3].Body != "2" {
		t.Errorf("count samples: %+v", count)
	}
	v := byGroup[VerifyScenario]
	if len(v) != 1 || v[0].Failure != `verify wrong: want "4"` || v[0].Stored == nil || v[0].Stored.Key != "hits" || !v[0].Stored.Found || v[0].Body != "5" {
		t.Errorf("verify samples: %+v", v)
	}
	for _, s := range kv {
		if s.Request.URL != "https://a.example/" {
			t.Errorf("sample request %+v", s.Request)
		}
	}
}

// TestSampleBodyCut: bodies longer than reports.SampleBodyLimit are cut,
// and the sample says how long they were.
func TestSampleBodyCut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.yaml")
	os.WriteFile(path, []byte(`
store: {backend: memory}
sites: [{domain: a.example, capabilities: [writes_spark_kv]}]
scenarios:
  - name: kv
    flare: builtin:kvops
    executor: {type: closed, vus: 1, iterations: 1}
    request: {method: POST, body: "set k 5000 0\nget k"}
`), 0o644)
	w, err := workloads.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.ShowResponses = 1
	run, err := Run(context.Background(), w, opts)
	if err != nil {
		t.Fatal(err)
	}
	s := run.Groups[0].Samples[0]
	if len(s.Body) != reports.SampleBodyLimit || s.BodyBytes != len("set 0\nget hit ttl=0 len=5000 value=\n")+5000 {
		t.Errorf("body %d bytes kept of %d", len(s.Body), s.BodyBytes)
	}
}

// FuzzCheckEval judges arbitrary responses with every kind of check: a
// hostile body (deep JSON, invalid UTF-8, huge numbers) fails a check,
// never panics, and the same response always gets the same verdicts.
func FuzzCheckEval(f *testing.F) {
	for _, b := range []string{`{"user":{"id":"7"},"n":3}`, `[[[[[[[[[[]]]]]]]]]]`, "get hit ttl=0 len=1 value=7\n", "\xff\xfe", `{"n":1e400}`, `{"a":1}{"b":2}`, ""} {
		f.Add([]byte(b), "HIT")
	}
	w, err := workloads.Parse("f.yaml", []byte(`
sites: [{domain: a.example, capabilities: [writes_spark_kv]}]
scenarios:
  - flare: builtin:kvops
    executor: {type: closed, vus: 1}
    vars: {k: {dist: constant, value: 7}}
    expect:
      checks:
        - {json_path: $.user.id, equals: "{{k}}"}
        - {json_path: "$..n", equals: 3}
        - {json_path: "$[*]", present: true}
        - {json_path: $.user, regex: 'id'}
        - {regex: 'value=[0-9]+'}
        - {contains: "{{k}}"}
        - {size: {min: 1, max: 64}}
        - {header: x-cache, equals: HIT}
        - {header: x-cache, present: false}
`))
	if err != nil {
		f.Fatal(err)
	}
	rt, err := newScenarioRT(w, 0, nil, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		var k checker
		resp := &host.Response{Status: 200, Body: body, Headers: [][2]string{{"x-cache", header}}}
		vals := []int64{7, 0, 0}
		for i := range rt.checks {
			k.reset()
			p1, why1 := k.eval(&rt.checks[i], resp, vals)
			k.reset()
			p2, why2 := k.eval(&rt.checks[i], resp, vals)
			if p1 != p2 || why1 != why2 || !p1 && why1 == "" {
				t.Fatalf("check %d: %v %q then %v %q", i, p1, why1, p2, why2)
			}
		}
	})
}
