package engine

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/store"
	"github.com/sparkbench/sparkbench/workloads/internal/executor"
	"github.com/sparkbench/sparkbench/workloads/internal/gen"

	"github.com/sparkbench/sparkbench/workloads"
)

// scenarioRT is a scenario ready to run: bound templates, its flare, the
// site handle it samples quota from.
type scenarioRT struct {
	spec     *workloads.ScenarioSpec
	h        *host.Host
	flare    *host.Flare
	method   *workloads.Template
	url      *workloads.Template
	headers  []workloads.HeaderTemplate
	body     *workloads.Template
	nvals    int // user variables + built-ins with a per-request value
	seqSlot  int
	wkSlot   int
	expect   [600]bool
	site     *store.Site // nil when the node has no Spark
	openLoop bool
	progress *ScenarioProgress
	// firstStart is the intended start of the measured phase's first
	// request: where the scenario's active time begins (an open-loop
	// executor may begin its schedule after the phase began).
	firstStart atomic.Pointer[time.Time]
	// sources are the prepared distributions of the variables, built by
	// the first newWorker and shared by every worker of the run.
	sources []*gen.IntSource
	// invoke runs one request into the worker's resp; h.InvokeInto on
	// the scenario's flare, or a stand-in in benchmarks that measure the
	// harness's own cost.
	invoke func(ctx context.Context, req *host.Request, resp *host.Response) error
	// checks are the scenario's expect.checks, evaluated after each
	// measured invocation (after its end time is taken).
	checks []checkRT
	// answered counts, per worker number, the responses with an expected
	// status (warmup included), when a verify item needs them
	// ({{responses}}); nil otherwise.
	answered []paddedCount
	// sampler keeps response samples; nil unless Options.ShowResponses.
	sampler *sampler
}

func newScenarioRT(w *workloads.Workload, i int, h *host.Host, f *host.Flare, stores map[string]*store.Store) (*scenarioRT, error) {
	sc := &w.Scenarios[i]
	rt := &scenarioRT{spec: sc, h: h, flare: f}
	rt.invoke = func(ctx context.Context, req *host.Request, resp *host.Response) error {
		return h.InvokeInto(ctx, f, req, resp)
	}
	nv := len(sc.Vars)
	rt.seqSlot, rt.wkSlot, rt.nvals = nv, nv+1, nv+2
	shardIdx, shards := "0", "1"
	if sh := w.Shard(); sh.Count > 1 {
		shardIdx, shards = fmt.Sprint(sh.Index), fmt.Sprint(sh.Count)
	}
	resolve := func(name string) (int, string, bool) {
		for k, v := range sc.Vars {
			if v.Name == name {
				return k, "", true
			}
		}
		switch name {
		case "seq":
			return rt.seqSlot, "", true
		case "worker":
			return rt.wkSlot, "", true
		case "node":
			return -1, sc.Node, true
		case "site":
			return -1, sc.Site, true
		case "scenario":
			return -1, sc.Name, true
		case "shard":
			return -1, shardIdx, true
		case "shards":
			return -1, shards, true
		}
		return 0, "", false
	}
	bind := func(t *workloads.Template, field string) (*workloads.Template, error) {
		if t == nil {
			return nil, nil
		}
		b, err := t.Bind(resolve)
		if err != nil {
			return nil, &workloads.FieldError{File: w.File, Path: fmt.Sprintf("scenarios.%d.request.%s", i, field), Msg: err.Error()}
		}
		return b, nil
	}
	var err error
	if rt.method, err = bind(sc.Request.Method, "method"); err != nil {
		return nil, err
	}
	if rt.url, err = bind(sc.Request.URL, "url"); err != nil {
		return nil, err
	}
	if rt.body, err = bind(sc.Request.Body, "body"); err != nil {
		return nil, err
	}
	for _, hd := range sc.Request.Headers {
		v, err := bind(hd.Value, "headers."+hd.Name)
		if err != nil {
			return nil, err
		}
		rt.headers = append(rt.headers, workloads.HeaderTemplate{Name: hd.Name, Value: v})
	}
	for _, s := range sc.Expect {
		rt.expect[s] = true
	}
	if rt.checks, err = bindChecks(w, i, resolve); err != nil {
		return nil, err
	}
	for _, v := range w.Verify {
		if v.Scenario == sc.Name {
			rt.answered = make([]paddedCount, sc.Executor.Workers())
		}
	}
	if st := stores[sc.Node]; st != nil {
		rt.site = st.Site(sc.Site)
	}
	e := sc.Executor
	rt.openLoop = e.Type != workloads.Closed
	rt.progress = &ScenarioProgress{Name: sc.Name, Planned: e.TotalDuration(), Iterations: e.Iterations}
	if rt.openLoop && rt.progress.Planned > 0 {
		rt.progress.Rate = float64(plannedStarts(e)) / rt.progress.Planned.Seconds()
	}
	return rt, nil
}

// plannedStarts is the number of starts an open-loop schedule issues.
func plannedStarts(e workloads.ExecutorSpec) int64 {
	if e.Type == workloads.ConstantArrivalRate {
		return int64(e.Rate * e.Duration.Seconds())
	}
	var n float64
	r := e.StartRate
	for _, s := range e.Stages {
		n += (r + s.Target) / 2 * s.Duration.Seconds()
		r = s.Target
	}
	return int64(n)
}

// execConfig is the executor configuration of the measured phase, or of
// the warmup: the same executor for w.Warmup (ramps warm up at their first
// non-zero rate).
func (rt *scenarioRT) execConfig(w *workloads.Workload, warm bool) executor.Config {
	e := rt.spec.Executor
	c := executor.Config{Type: e.Type, Rate: e.Rate, StartRate: e.StartRate, Stages: e.Stages, Duration: e.Duration,
		MaxInFlight: e.MaxInFlight, LateTolerance: e.LateTolerance, VUs: e.VUs, Iterations: e.Iterations, SpinBelow: e.Spin}
	if !warm {
		return c
	}
	c.Duration, c.Iterations = w.Warmup, 0
	if e.Type == workloads.RampingArrivalRate {
		c.Type, c.Rate = executor.ConstantArrivalRate, e.StartRate
		for _, s := range e.Stages {
			if c.Rate > 0 {
				break
			}
			c.Rate = s.Target
		}
	}
	return c
}

// worker is one executor worker of a scenario: its generators, buffers and
// recorder; nothing is shared with other workers on the hot path.
type worker struct {
	rt      *scenarioRT
	id      int
	checker checker
	// fullFailures are the failures whose samples the sampler has all
	// of: no lock is taken for them again.
	fullFailures map[failKey]bool
	rec          *reports.Recorder // nil during warmup
	obs          host.Observer
	gens         []*gen.Int
	vals         []int64
	buf          []byte
	req          host.Request
	resp         host.Response
	offs         []int
	msg          []byte // a failed request's message, built here (recordFailure)
	lastQuota    time.Time
	// ictx is the run's context without its cancellation, so that an
	// invocation in flight when the run is stopped finishes (built once).
	ictx    context.Context
	ictxFor context.Context
}

func (rt *scenarioRT) newWorker(seed int64, id, workers int, warm bool) *worker {
	stream := rt.spec.Name
	if warm {
		stream = "warmup/" + stream // the measured sequence does not depend on the warmup
	}
	r := gen.NewRand(seed, stream, id)
	wk := &worker{rt: rt, id: id, vals: make([]int64, rt.nvals), buf: make([]byte, 0, 512)}
	if rt.sources == nil {
		for _, v := range rt.spec.Vars {
			rt.sources = append(rt.sources, gen.Prepare(v.Dist))
		}
	}
	for _, src := range rt.sources {
		wk.gens = append(wk.gens, src.NewInt(r, id, workers))
	}
	wk.vals[rt.wkSlot] = int64(id)
	wk.req = host.Request{Node: rt.spec.Node, Site: rt.spec.Site, Headers: make([][2]string, len(rt.headers))}
	wk.offs = make([]int, 0, 2*len(rt.headers)+6)
	return wk
}

// attach makes rec the worker's recorder: it receives the worker's own
// samples and, through the observer adapter, the host's.
func (wk *worker) attach(rec *reports.Recorder) {
	wk.rec = rec
	for i := range wk.rt.checks {
		rec.CheckID(wk.rt.checks[i].spec.Name) // IDs are the checks' indices
	}
	wk.obs = &recObserver{rec: rec, site: wk.rt.site, siteName: wk.rt.spec.Site}
	wk.req.Observer = wk.obs
}

// render draws this request's variables and renders the request into the
// worker's buffer. Strings point into the buffer (no allocation); the host
// uses a Request only for the duration of Invoke.
func (wk *worker) render(seq int64) {
	rt := wk.rt
	for i, g := range wk.gens {
		wk.vals[i] = g.Next()
	}
	wk.vals[rt.seqSlot] = seq
	b := wk.buf[:0]
	offs := wk.offs[:0]
	part := func(t *workloads.Template) {
		if t == nil {
			offs = append(offs, len(b), len(b))
			return
		}
		offs = append(offs, len(b))
		b = t.Append(b, wk.vals)
		offs = append(offs, len(b))
	}
	part(rt.method)
	part(rt.url)
	part(rt.body)
	for _, h := range rt.headers {
		part(h.Value)
	}
	wk.buf, wk.offs = b, offs
	str := func(k int) string {
		lo, hi := offs[2*k], offs[2*k+1]
		if hi == lo {
			return ""
		}
		return unsafe.String(&b[lo], hi-lo)
	}
	wk.req.Method = str(0)
	wk.req.URL = str(1)
	if rt.body != nil && offs[5] > offs[4] {
		wk.req.Body = b[offs[4]:offs[5]:offs[5]]
	} else {
		wk.req.Body = nil
	}
	for i, h := range rt.headers {
		wk.req.Headers[i] = [2]string{h.Name, str(3 + i)}
	}
}

// Do implements executor.Worker. It returns the time it read at the end
// of the invocation (the response time's end), which the executor reuses.
func (wk *worker) Do(ctx context.Context, seq int64, intended, started time.Time) time.Time {
	rt := wk.rt
	if ctx.Err() != nil {
		return time.Time{} // stopping: a start queued before the stop is not run
	}
	wk.render(seq)
	if wk.ictxFor != ctx {
		wk.ictx, wk.ictxFor = context.WithoutCancel(ctx), ctx
	}
	// The worker's own Response is reused: no response allocation per
	// invocation.
	resp := &wk.resp
	err := rt.invoke(wk.ictx, &wk.req, resp)
	// One monotonic clock read (time.Since: ~35ns here) instead of
	// time.Now's wall and monotonic reads (~60ns); intended carries a
	// monotonic reading, so end does too.
	end := intended.Add(time.Since(intended))
	// A request fails when its invocation does, or when the flare answers
	// a status the scenario does not expect: both are errors of the
	// response (CodeStatus for the second), counted once each.
	code := host.KindOf(err).Code()
	expected := err == nil && resp.Status >= 0 && resp.Status < len(rt.expect) && rt.expect[resp.Status]
	if err == nil && !expected {
		code = reports.CodeStatus
	}
	if code != reports.CodeOK {
		rt.progress.errors.Add(1)
	} else if rt.answered != nil {
		rt.answered[wk.id].n.Add(1)
	}
	rec := wk.rec
	if rec == nil {
		return end
	}
	if seq == 0 {
		first := intended // escapes here, once per scenario, not per request
		rt.firstStart.CompareAndSwap(nil, &first)
	}
	rec.Record(reports.OpResponse, code, end.Sub(intended))
	if code != reports.CodeOK {
		wk.recordFailure(code, err)
	}
	if rt.openLoop {
		rec.RecordStart(started.Sub(intended), false)
	}
	if err == nil {
		rec.RecordStatus(resp.Status, expected)
	}
	if rt.sampler != nil {
		wk.sampleResponse(err, resp, code == reports.CodeOK)
	}
	if len(rt.checks) > 0 {
		wk.runChecks(err, resp)
	}
	if rt.site != nil && end.Sub(wk.lastQuota) >= time.Second {
		wk.lastQuota = end
		u := rt.site.Usage()
		rec.RecordQuota(rt.spec.Site, u.UsedBytes, u.QuotaBytes)
	}
	return end
}
