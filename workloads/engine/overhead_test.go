package engine

import (
	"context"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/store"
	"github.com/sparkbench/sparkbench/workloads/internal/executor"

	"github.com/sparkbench/sparkbench/workloads"
)

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const overheadSrc = `
seed: 1
store: {backend: memory}
sites: [{domain: count.example, capabilities: [writes_spark_kv]}]
scenarios:
  - name: counter
    flare: builtin:counter
    executor: {type: constant-arrival-rate, rate: 100000/s, max_in_flight: 64}
    vars: {k: {dist: uniform, n: 1000}}
    request:
      url: "https://count.example/"
      headers: {x-counter-key: "c{{k}}"}
`

// fakeInvoke stands in for host.Invoke on a counter flare: it makes the
// observer calls the host makes for one counter invocation (a get, a set,
// the invocation, six limit decisions) and no wasm work, so that what a run
// costs with it is the executor and recording alone.
var okResp = &host.Response{Action: host.ActionRespond, Status: 200}

func fakeInvoke(ctx context.Context, req *host.Request, resp *host.Response) error {
	if o := req.Observer; o != nil {
		t0 := time.Now()
		o.ObserveLimit(host.LimitCapability, false)
		o.ObserveLimit(host.LimitReads, false)
		o.ObserveCall(host.OpSparkGet, host.CodeMiss, time.Since(t0))
		t1 := time.Now()
		o.ObserveLimit(host.LimitCapability, false)
		o.ObserveLimit(host.LimitTTL, false)
		o.ObserveLimit(host.LimitValueBytes, false)
		o.ObserveLimit(host.LimitWrites, false)
		o.ObserveLimit(host.LimitQuota, false)
		o.ObserveCall(host.OpSparkSet, 0, time.Since(t1))
		o.ObserveCall(host.OpInvocation, 0, time.Since(t0))
	}
	*resp = *okResp
	return nil
}

// BenchmarkHarnessOverhead runs the open-loop executor at
// SPARKBENCH_RATE (default 100000/s) with real workers (render, recorders,
// observer adapters) and a stand-in for host.Invoke; it reports the CPU
// time per invocation the harness itself costs (cpu-ns/op) and the start
// error. Compare cpu-ns/op with BenchmarkCounterInvocation's.
func BenchmarkHarnessOverhead(b *testing.B) {
	benchOpen(b, true)
}

// BenchmarkCounterInvocation is the same with the real host and counter
// flare on the memory backend: the denominator of the overhead fraction.
func BenchmarkCounterInvocation(b *testing.B) {
	benchOpen(b, false)
}

func benchOpen(b *testing.B, fake bool) {
	rate := 100000.0
	if s := os.Getenv("SPARKBENCH_RATE"); s != "" {
		rate, _ = strconv.ParseFloat(s, 64)
	}
	w, err := workloads.Parse("overhead.yaml", []byte(overheadSrc))
	if err != nil {
		b.Fatal(err)
	}
	var rt *scenarioRT
	var cleanup func()
	if fake {
		rt, err = newScenarioRT(w, 0, nil, nil, nil)
		rt.invoke = fakeInvoke
		cleanup = func() {}
	} else {
		rt, cleanup, err = realScenario(w)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer cleanup()
	e := w.Scenarios[0].Executor
	cfg := executor.Config{Type: executor.ConstantArrivalRate, Rate: rate, Duration: time.Duration(float64(b.N) / rate * float64(time.Second)),
		MaxInFlight: e.MaxInFlight, LateTolerance: e.LateTolerance}
	if s := os.Getenv("SPARKBENCH_SPIN"); s != "" {
		cfg.SpinBelow, _ = time.ParseDuration(s)
	}
	if cfg.Duration < time.Millisecond {
		cfg.Duration = time.Millisecond
	}
	start := time.Now()
	workers := make([]executor.Worker, cfg.MaxInFlight)
	var recs []*reports.Recorder
	for i := range workers {
		wk := rt.newWorker(w.Seed, i, len(workers), false)
		wk.attach(reports.NewRecorder(reports.Labels{Scenario: "counter", Backend: "memory"}, start))
		recs = append(recs, wk.rec)
		workers[i] = wk
	}
	var st executor.Stats
	b.ResetTimer()
	c0 := cpuTime()
	executor.Run(context.Background(), cfg, workers, &st, nil)
	cpu := cpuTime() - c0
	b.StopTimer()
	run := reports.Build(reports.RunInfo{Duration: time.Since(start)}, recs)
	done := st.Completed.Load()
	if done > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(done), "cpu-ns/op")
	}
	b.ReportMetric(float64(done)/time.Since(start).Seconds(), "invocations/s")
	if n := st.Scheduled.Load(); n > 0 {
		b.ReportMetric(float64(st.Dropped.Load())/float64(n), "dropped/op")
	}
	starts := run.Starts()
	if starts.Lateness != nil && starts.Lateness.Count() > 0 {
		b.ReportMetric(float64(starts.Lateness.Quantile(0.99).Nanoseconds())/1e3, "p99-start-err-µs")
	}
}

// realScenario builds the counter scenario on a real host and memory store.
func realScenario(w *workloads.Workload) (*scenarioRT, func(), error) {
	ctx := context.Background()
	st, err := openMemoryStore()
	if err != nil {
		return nil, nil, err
	}
	h, err := host.New(ctx, host.Config{Nodes: []host.Node{{ID: w.Nodes[0].ID, Store: st}},
		Sites: []host.Site{{Domain: "count.example", WritesSpark: true}}})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	f, err := loadFlare(ctx, h, &w.Scenarios[0])
	if err != nil {
		return nil, nil, err
	}
	// With the store, the worker samples the site's quota use per
	// spark_set, as in a real run.
	rt, err := newScenarioRT(w, 0, h, f, map[string]*store.Store{w.Nodes[0].ID: st})
	return rt, func() { h.Close(ctx); st.Close() }, err
}

func openMemoryStore() (*store.Store, error) {
	return store.Open(store.Options{Backend: "memory"})
}

// BenchmarkWorkerDoFake is one worker's Do with the stand-in for
// host.Invoke, back to back on the memory store's site: the per-invocation
// cost of rendering plus recording (the host's observer calls for a counter
// invocation, the store's backend samples, response, start, status), with no
// executor around it.
func BenchmarkWorkerDoFake(b *testing.B) {
	w, err := workloads.Parse("overhead.yaml", []byte(overheadSrc))
	if err != nil {
		b.Fatal(err)
	}
	st, err := openMemoryStore()
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rt, err := newScenarioRT(w, 0, nil, nil, map[string]*store.Store{w.Nodes[0].ID: st})
	if err != nil {
		b.Fatal(err)
	}
	obs := newStoreObserver(reports.Labels{Scenario: "store"}, time.Now())
	site := st.Site(w.Scenarios[0].Site)
	key := []byte("c1")
	rt.invoke = func(ctx context.Context, req *host.Request, resp *host.Response) error {
		// The store's two backend samples of a counter invocation.
		obs.ObserveBackend(store.BackendRead, 200*time.Nanosecond, nil)
		obs.ObserveBackend(store.BackendWrite, 50*time.Nanosecond, nil)
		_ = site
		_ = key
		return fakeInvoke(ctx, req, resp)
	}
	wk := rt.newWorker(w.Seed, 0, 1, false)
	wk.attach(reports.NewRecorder(reports.Labels{Scenario: "counter"}, time.Now()))
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now := time.Now()
		wk.Do(ctx, int64(i), now, now)
	}
}
