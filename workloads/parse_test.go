package workloads

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/store"
)

func TestParseFull(t *testing.T) {
	w, err := ParseFile("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if w.Name != "full" || w.Seed != 42 || w.Duration != 2*time.Second || w.Warmup != 500*time.Millisecond {
		t.Errorf("header: %+v", w)
	}
	if !slices.Equal(w.Store.Backends, []store.Backend{store.BackendMemory}) || w.Store.Durability != store.DurabilityNone {
		t.Errorf("store: %+v", w.Store)
	}
	if w.Limits.MaxValueBytes != 64<<10 || w.Limits.SiteQuota != 10<<20 || w.Limits.MaxTTL != 30*24*time.Hour || w.Limits.MaxMemoryPages != 256 {
		t.Errorf("limits: %+v", w.Limits)
	}
	if len(w.Nodes) != 2 || w.Nodes[1].PullLatency == nil || w.Nodes[1].PullLatency.Mean != float64(2*time.Millisecond) {
		t.Errorf("nodes: %+v", w.Nodes)
	}
	if !w.Sites[0].WritesSpark() || w.Sites[1].WritesSpark() || w.Sites[0].Secrets["api"] != "s3cret" {
		t.Errorf("sites: %+v", w.Sites)
	}
	if len(w.Preload) != 1 || w.Preload[0].Keys != 1000 || w.Preload[0].ValueSize.Value != 256 || w.Preload[0].TTL.Value != float64(time.Hour) {
		t.Errorf("preload: %+v", w.Preload)
	}
	if len(w.Scenarios) != 3 {
		t.Fatalf("scenarios: %d", len(w.Scenarios))
	}
	c := w.Scenarios[0]
	if c.Executor.Type != ConstantArrivalRate || c.Executor.Rate != 2000 || c.Executor.MaxInFlight != 16 || c.Executor.Duration != 2*time.Second {
		t.Errorf("executor: %+v", c.Executor)
	}
	if !c.WritesSpark || c.Vars[0].Dist.Kind != "zipfian" || c.Vars[0].Dist.N != 10000 {
		t.Errorf("counter: %+v", c)
	}
	r := w.Scenarios[1].Executor
	if r.Type != RampingArrivalRate || r.StartRate != 100 || len(r.Stages) != 2 || r.Stages[0].Target != 1000 || r.TotalDuration() != 2*time.Second {
		t.Errorf("ramp: %+v", r)
	}
	if w.Scenarios[1].Vars[1].Dist.Max != 1024 {
		t.Errorf("size var: %+v", w.Scenarios[1].Vars[1].Dist)
	}
	cl := w.Scenarios[2].Executor
	if cl.VUs != 4 || cl.Iterations != 100 || cl.Duration != 0 {
		t.Errorf("closed: %+v", cl)
	}
	if w.Thresholds["spark_get.p99"] != "< 20us" || len(w.ThresholdOrder) != 2 {
		t.Errorf("thresholds: %v", w.Thresholds)
	}
	if len(w.SHA256) != 64 {
		t.Errorf("sha: %q", w.SHA256)
	}
}

const minimal = `
sites: [{domain: a.example, capabilities: [writes_spark_kv]}]
scenarios:
  - name: s
    flare: builtin:counter
    executor: {type: constant-arrival-rate, rate: 10/s}
`

func TestParseDefaults(t *testing.T) {
	w, err := Parse("min.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if w.Name != "min" || w.Seed != DefaultSeed || w.Duration != DefaultDuration || !slices.Equal(w.Store.Backends, []store.Backend{store.BackendBbolt}) {
		t.Errorf("defaults: %+v", w)
	}
	if len(w.Nodes) != 1 || w.Nodes[0].ID != DefaultNodeID || w.Scenarios[0].Node != DefaultNodeID || w.Scenarios[0].Site != "a.example" {
		t.Errorf("node defaults: %+v %+v", w.Nodes, w.Scenarios[0])
	}
	if got := w.Scenarios[0].Request.URL.Src; got != "https://{{site}}/" {
		t.Errorf("url default %q", got)
	}
	if w.Scenarios[0].Expect[0] != 200 {
		t.Errorf("expect default %v", w.Scenarios[0].Expect)
	}
}

func TestParseErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.wasm"), []byte("not wasm"), 0o644)
	os.WriteFile(filepath.Join(dir, "ro.wasm"), readOnlyWasm, 0o644)
	os.WriteFile(filepath.Join(dir, "rw.wasm"), writingWasm, 0o644)
	scen := func(body string) string {
		return "sites: [{domain: a.example, capabilities: [writes_spark_kv]}]\nscenarios:\n  - name: s\n" + body
	}
	scenRO := func(body string) string {
		return "sites: [{domain: a.example, capabilities: [writes_spark_kv]}, {domain: ro.example}]\nscenarios:\n  - name: s\n" + body
	}
	cases := []struct {
		name, src, want string
		is              error
	}{
		{"unknown top field", "nmae: x\n", "f.yaml:1:1: nmae: unknown field", nil},
		{"wrong type", "seed: abc\n", "f.yaml:1:7: seed: must be an integer", nil},
		{"bad duration", "duration: 10 seconds\n", `f.yaml:1:11: duration: duration "10 seconds" does not parse`, nil},
		{"negative duration", "duration: -1s\n", "f.yaml:1:11: duration: must not be negative", nil},
		{"bad backend", "store: {backend: rocks}\n", `f.yaml:1:18: store.backend: unknown value "rocks"`, nil},
		{"bad size", "limits: {site_quota: 10MB2}\n", `f.yaml:1:22: limits.site_quota: size "10MB2" does not parse`, nil},
		{"zero quota", "limits: {site_quota: 0}\n", "limits.site_quota: must be > 0", nil},
		{"limits not map", "limits: [1]\n", "f.yaml:1:9: limits: must be a mapping, got a list", nil},
		{"no scenarios", "sites: [{domain: a}]\n", "scenarios: must list at least one scenario", nil},
		{"zero rate", scen("    flare: builtin:counter\n    executor: {type: constant-arrival-rate, rate: 0/s}\n"), "f.yaml:5:51: scenarios.0.executor.rate: must be > 0", nil},
		{"negative rate", scen("    flare: builtin:counter\n    executor: {type: constant-arrival-rate, rate: -5/s}\n"), "scenarios.0.executor.rate: must be > 0", nil},
		{"bad rate unit", scen("    flare: builtin:counter\n    executor: {type: constant-arrival-rate, rate: 5/fortnight}\n"), "unknown unit", nil},
		{"unknown executor", scen("    flare: builtin:counter\n    executor: {type: open}\n"), `f.yaml:5:22: scenarios.0.executor.type: unknown value "open"`, nil},
		{"executor field for other type", scen("    flare: builtin:counter\n    executor: {type: closed, vus: 1, rate: 5/s}\n"), "f.yaml:5:38: scenarios.0.executor.rate: unknown field", nil},
		{"unknown dist", scen("    flare: builtin:counter\n    executor: {type: closed, vus: 1}\n    vars: {k: {dist: pareto, n: 5}}\n"), `f.yaml:6:22: scenarios.0.vars.k.dist: unknown distribution "pareto"`, nil},
		{"zipf no n", scen("    flare: builtin:counter\n    executor: {type: closed, vus: 1}\n    vars: {k: {dist: zipfian}}\n"), "zipfian needs n", nil},
		{"bad theta", scen("    flare: builtin:counter\n    executor: {type: closed, vus: 1}\n    vars: {k: {dist: zipfian, n: 10, theta: 1.5}}\n"), "scenarios.0.vars.k.theta: must be in (0, 1)", nil},
		{"param of other dist", scen("    flare: builtin:counter\n    executor: {type: closed, vus: 1}\n    vars: {k: {dist: uniform, n: 10, theta: 0.5}}\n"), "scenarios.0.vars.k.theta: not a parameter of uniform", nil},
		{"unknown var", scen("    flare: builtin:counter\n    executor: {type: closed, vus: 1}\n    request: {url: \"/{{nope}}\"}\n"), "unknown variable {{nope}}", nil},
		{"unknown node", scen("    flare: builtin:counter\n    node: mars\n    executor: {type: closed, vus: 1}\n"), `f.yaml:5:11: scenarios.0.node: unknown node "mars"`, nil},
		{"unknown site", "sites: [{domain: a}]\nscenarios: [{flare: builtin:counter, site: b, executor: {type: closed, vus: 1}}]\n", `f.yaml:2:44: scenarios.0.site: unknown site "b"`, nil},
		{"unknown builtin", scen("    flare: builtin:nope\n    executor: {type: closed, vus: 1}\n"), `f.yaml:4:12: scenarios.0.flare: unknown built-in flare "nope"`, ErrFlare},
		{"missing flare file", scen("    flare: missing.wasm\n    executor: {type: closed, vus: 1}\n"), "scenarios.0.flare: cannot read flare", ErrFlare},
		{"not wasm", scen("    flare: bad.wasm\n    executor: {type: closed, vus: 1}\n"), "not a WebAssembly binary", ErrFlare},
		{"builtin writes without capability", scenRO("    flare: builtin:counter\n    site: ro.example\n    executor: {type: closed, vus: 1}\n"), "f.yaml:5:11: scenarios.0.site: flare builtin:counter writes Spark but site \"ro.example\" lacks the writes_spark_kv capability", ErrCapability},
		{"wasm writes without capability", scenRO("    flare: rw.wasm\n    site: ro.example\n    executor: {type: closed, vus: 1}\n"), "lacks the writes_spark_kv capability", ErrCapability},
		{"duplicate scenario", "sites: [{domain: a, capabilities: [writes_spark_kv]}]\nscenarios: [{name: x, flare: builtin:counter, executor: {type: closed, vus: 1}}, {name: x, flare: builtin:counter, executor: {type: closed, vus: 1}}]\n", `duplicate scenario name "x"`, nil},
		{"bad status", scen("    flare: builtin:counter\n    executor: {type: closed, vus: 1}\n    expect: {status: [700]}\n"), "scenarios.0.expect.status.0: must be an HTTP status", nil},
		{"yaml syntax", "a: [\n", "f.yaml:1:1: YAML syntax", nil},
		{"bad capability", "sites: [{domain: a, capabilities: [root]}]\n", `sites.0.capabilities.0: unknown value "root"`, nil},
		{"preload into spark-less node", "nodes: [{id: a, spark: false}]\nsites: [{domain: s}]\npreload: {keys: 5}\n", `f.yaml:3:10: preload.node: node "a" has spark: false`, nil},
		{"backend and backends", "store: {backend: memory, backends: [bbolt]}\n", "store.backends: give backend or backends, not both", nil},
		{"bad origin status", "origin: {status: 900}\n", "origin.status: must be an HTTP status", nil},
		{"bad threshold", scen("    flare: builtin:counter\n    executor: {type: closed, vus: 1}\n") + "thresholds: {nope.p99: \"< 1ms\"}\n", "thresholds.nope.p99: invalid threshold", nil},
		{"alias bomb", "a: &a [1,2]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n", "too large", nil},
		{"stage without target", scen("    flare: builtin:counter\n    executor: {type: ramping-arrival-rate, stages: [{duration: 1s}]}\n"), "scenarios.0.executor.stages.0: missing target", nil},
		{"duplicate node", "nodes: [{id: a}, {id: a}]\n", `f.yaml:1:23: nodes.1.id: duplicate node id "a"`, nil},
		{"node without id", "nodes: [{spark: false}]\n", "f.yaml:1:9: nodes.0: missing id", nil},
		{"duplicate site", "sites: [{domain: a}, {domain: a}]\n", `f.yaml:1:31: sites.1.domain: duplicate site "a"`, nil},
		{"site without domain", "sites: [{secrets: {k: v}}]\n", "f.yaml:1:9: sites.0: missing domain", nil},
		{"which node", "nodes: [{id: a}, {id: b}]\n" + scen("    flare: builtin:counter\n    executor: {type: closed, vus: 1}\n"), "f.yaml:4:5: scenarios.0: missing node (the workload has 2 nodes)", nil},
		{"which site", "sites: [{domain: a}, {domain: b}]\nscenarios: [{flare: builtin:counter, executor: {type: closed, vus: 1}}]\n", "f.yaml:2:13: scenarios.0: missing site (the workload has 2 sites)", nil},
		{"param of other size dist", scen("    flare: builtin:counter\n    executor: {type: closed, vus: 1}\n") + "preload: {keys: 1, value_size: {dist: uniform, max: 9, mean: 3}}\n", "preload.value_size.mean: not a parameter of uniform (want min, max)", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(filepath.Join(dir, "f.yaml"), []byte(c.src))
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			msg := strings.ReplaceAll(err.Error(), dir+"/", "")
			if !strings.Contains(msg, c.want) {
				t.Errorf("error\n  %s\nwant it to contain\n  %s", msg, c.want)
			}
			for _, line := range strings.Split(msg, "\n") {
				if !strings.HasPrefix(line, "f.yaml") {
					t.Errorf("error line does not start with the file: %q", line)
				}
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("errors.Is(%v) = false", c.is)
			}
		})
	}
}

func TestReadOnlyWasmOnReadOnlySite(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ro.wasm"), readOnlyWasm, 0o644)
	src := "sites: [{domain: ro.example}]\nscenarios: [{flare: ro.wasm, executor: {type: closed, vus: 1}}]\n"
	w, err := Parse(filepath.Join(dir, "f.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if w.Scenarios[0].WritesSpark || w.Scenarios[0].FlarePath != filepath.Join(dir, "ro.wasm") {
		t.Errorf("%+v", w.Scenarios[0])
	}
}

func TestOverrides(t *testing.T) {
	cases := []struct {
		set   string
		check func(*Workload) bool
		err   string
	}{
		{set: "scenarios.0.executor.rate=5000/s", check: func(w *Workload) bool { return w.Scenarios[0].Executor.Rate == 5000 }},
		{set: "store.backend=pebble", check: func(w *Workload) bool { return slices.Equal(w.Store.Backends, []store.Backend{store.BackendPebble}) }},
		{set: "limits.site_quota=1MiB", check: func(w *Workload) bool { return w.Limits.SiteQuota == 1<<20 }},
		{set: "seed=7", check: func(w *Workload) bool { return w.Seed == 7 }},
		{set: "scenarios.0.vars={k: {dist: uniform, n: 5}}", check: func(w *Workload) bool { return w.Scenarios[0].Vars[0].Dist.N == 5 }},
		{set: "scenarios.3.name=x", err: `no element 3`},
		{set: "sites.0.domain.x=1", err: `"sites.0.domain" is a single value`},
		{set: "scenarios.0.executor.rate=-1/s", err: "scenarios.0.executor.rate: must be > 0"},
		{set: "store.backned=memory", err: "store.backned: unknown field"},
		{set: "nodes=5", err: "min.yaml: nodes: must be a list"},
	}
	for _, c := range cases {
		t.Run(c.set, func(t *testing.T) {
			o, err := ParseOverride(c.set)
			if err != nil {
				t.Fatal(err)
			}
			w, err := Parse("min.yaml", []byte(minimal), o)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(w) {
				t.Errorf("override not applied")
			}
		})
	}
	if _, err := ParseOverride("novalue"); err == nil {
		t.Error("ParseOverride accepted a string without =")
	}
}

// checkUnits checks that parse gives want for each good string and refuses
// each bad one.
func checkUnits[T comparable](t *testing.T, name string, parse func(string) (T, error), good map[string]T, bad []string) {
	t.Helper()
	for s, want := range good {
		if got, err := parse(s); err != nil || got != want {
			t.Errorf("%s(%q) = %v, %v; want %v", name, s, got, err, want)
		}
	}
	for _, s := range bad {
		if _, err := parse(s); err == nil {
			t.Errorf("%s(%q) accepted", name, s)
		}
	}
}

func TestUnits(t *testing.T) {
	checkUnits(t, "ParseSize", ParseSize,
		map[string]int64{"256": 256, "64KiB": 64 << 10, "10MiB": 10 << 20, "1GiB": 1 << 30, "4KB": 4000, "1.5KiB": 1536, "0": 0},
		[]string{"", "KiB", "-1", "abc", "1TiB2", "99999999999999GiB"})
	checkUnits(t, "ParseRate", ParseRate,
		map[string]float64{"20000/s": 20000, "50/ms": 50000, "600/m": 10, "3600/h": 1, "250": 250, "1/100ms": 10},
		[]string{"", "x/s", "5/parsec", "NaN"})
	checkUnits(t, "ParseDuration", ParseDuration,
		map[string]time.Duration{"250us": 250 * time.Microsecond, "2ms": 2 * time.Millisecond, "30d": 30 * 24 * time.Hour, "0": 0},
		[]string{"", "5", "fast", "1xd"})
}

func FuzzParse(f *testing.F) {
	examples, _ := filepath.Glob("*.yaml")
	for _, p := range append(examples, "testdata/full.yaml", "engine/testdata/tiny.yaml") {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(minimal))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte(expectScenario("      checks: [{regex: '(', json_path: $.a}, {header: x, present: maybe}, {size: {min: 2, max: 1}}]\n", "verify: [{key: '{{worker}}', absent: true}]\n")))
	f.Add([]byte("scenarios: [{executor: {type: ramping-arrival-rate, stages: [{target: 1/s, duration: 1s}]}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := Parse("fuzz.yaml", data)
		if err != nil {
			if strings.Contains(err.Error(), "internal parser error") {
				t.Fatalf("parser panicked: %v", err)
			}
			// One line per error, each naming the file.
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml") {
					t.Fatalf("error line without the file: %q", line)
				}
			}
			return
		}
		if len(w.Scenarios) == 0 || len(w.Sites) == 0 || len(w.Nodes) == 0 {
			t.Fatalf("accepted workload without scenarios/sites/nodes")
		}
	})
}

// FuzzOverride applies arbitrary --set strings to a valid workload: an
// override may be refused, never panic.
func FuzzOverride(f *testing.F) {
	for _, s := range []string{"scenarios.0.executor.rate=5000/s", "store.backend=pebble", "seed=7", "scenarios.0.vars={k: {dist: zipfian, n: 5}}", "a.b.c=", "scenarios.9=x", "=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOverride(s)
		if err != nil {
			return
		}
		if _, err := Parse("min.yaml", []byte(minimal), o); err != nil && strings.Contains(err.Error(), "internal parser error") {
			t.Fatalf("override %q panicked: %v", s, err)
		}
	})
}
