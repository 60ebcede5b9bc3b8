package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/store"
	"github.com/sparkbench/sparkbench/workloads"
	"github.com/sparkbench/sparkbench/workloads/internal/executor"
	"github.com/sparkbench/sparkbench/workloads/internal/gen"
)

// Run executes one run of w and returns its merged measurements. The run
// goes through these phases, in order (docs/ARCHITECTURE.md follows one
// through):
//
//   - open stores: per node with Spark, a store of the run's backend (a
//     fresh temporary directory unless store.dir is set);
//   - start host: the pull servers of http-transport nodes, then one host
//     over all nodes;
//   - compile flares: each flare compiled once, with a pooled instance
//     per worker that may invoke it at once;
//   - preload: the preload sets, written straight into the stores;
//   - prepare scenarios: request templates bound, one progress per
//     scenario;
//   - warmup: every scenario for the workload's warmup, not recorded;
//   - measure: every scenario's executor concurrently, each worker
//     recording into its own recorder (and judging its response checks
//     after the response's end time is read);
//   - verify: the workload's verify items on the stores as the measured
//     phase left them;
//   - close: the host, pull servers and stores (so that nothing records
//     while the recorders are merged);
//   - merge: the recorders into one reports.Run with the run's metadata.
//
// Cancelling ctx stops scheduling; invocations in flight finish and what
// was measured is returned. w is not changed.
func Run(ctx context.Context, w *workloads.Workload, opts Options) (*reports.Run, error) {
	r, err := newRun(w, opts)
	if err != nil {
		return nil, err
	}
	defer r.cleanup()
	if err := r.openStores(); err != nil {
		return nil, err
	}
	if err := r.startHost(ctx); err != nil {
		return nil, err
	}
	if err := r.compileFlares(ctx); err != nil {
		return nil, err
	}
	if err := preload(ctx, r.w, r.stores, opts.Warn); err != nil {
		return nil, err
	}
	if err := r.prepareScenarios(); err != nil {
		return nil, err
	}
	if err := r.warmup(ctx); err != nil {
		return nil, err
	}
	recs, err := r.measure(ctx)
	if err != nil {
		return nil, err
	}
	vrecs, vfails := r.verify()
	r.close()
	res := r.merge(append(recs, vrecs...))
	r.addSamples(res, vfails)
	return res, nil
}

// run is one run in progress: what each phase builds for the next.
type run struct {
	w        *workloads.Workload // the part of the workload this run runs
	opts     Options
	backend  store.Backend
	overhead time.Duration // per-sample recording cost, for RunInfo
	dir      string        // the stores' base directory
	tmpDir   string        // removed by cleanup; "" when store.dir is set

	// closers close what the phases opened, in reverse order (close).
	closers []func()
	close   func()

	stores    map[string]*store.Store // by node; none for spark: false
	observers map[string]*storeObserver
	stats     store.Stats // of the last store opened
	nodes     []host.Node
	limits    host.Limits
	host      *host.Host
	flares    map[string]*host.Flare // by workload flare reference
	scenarios []*scenarioRT

	start       time.Time     // of the measured phase
	elapsed     time.Duration // of the measured phase
	stoppedAt   time.Time     // when the run was stopped during the measured phase; zero if it was not
	timeoutMode string        // in effect, read before the host closes
}

// newRun derives what the run needs from w and opts: the shard of w to
// run, the backend, the stores' directory and the timer overhead.
func newRun(w *workloads.Workload, opts Options) (*run, error) {
	if s := opts.Shard; s.Count > 1 {
		if s.Index < 0 || s.Index >= s.Count {
			return nil, fmt.Errorf("shard %d/%d: want 0 <= i < N", s.Index, s.Count)
		}
		if err := w.CheckShard(s); err != nil {
			return nil, err
		}
		w = w.Sharded(s.Index, s.Count)
	}
	r := &run{w: w, opts: opts, backend: opts.Backend}
	if r.backend == "" {
		r.backend = w.Store.Backends[0]
	}
	if _, err := store.ParseBackend(r.backend.String()); err != nil {
		return nil, err
	}
	r.close = sync.OnceFunc(func() {
		for i := len(r.closers) - 1; i >= 0; i-- {
			r.closers[i]()
		}
	})
	r.overhead = reports.MeasureTimerOverhead()
	if w.Store.Dir != "" {
		r.dir = filepath.Join(w.Store.Dir, r.backend.String())
		return r, nil
	}
	tmp, err := os.MkdirTemp("", "sparkbench-")
	if err != nil {
		return nil, fmt.Errorf("%w: temporary store directory: %w", ErrRun, err)
	}
	r.dir, r.tmpDir = tmp, tmp
	return r, nil
}

// cleanup closes whatever is still open (an early return) and removes the
// temporary store directory.
func (r *run) cleanup() {
	r.close()
	if r.tmpDir != "" {
		os.RemoveAll(r.tmpDir)
	}
}

// openStores opens a store per node with Spark, each reporting its backend
// timings to a store observer.
func (r *run) openStores() error {
	w := r.w
	now := time.Now()
	r.stores = map[string]*store.Store{}
	r.observers = map[string]*storeObserver{}
	r.nodes = make([]host.Node, len(w.Nodes))
	for i, ns := range w.Nodes {
		r.nodes[i] = host.Node{ID: ns.ID, PullLatency: latencyFunc(ns.PullLatency, w.Seed, ns.ID)}
		if !ns.Spark {
			continue
		}
		obs := newStoreObserver(reports.Labels{Scenario: "store", Node: ns.ID, Backend: r.backend.String()}, now)
		st, err := store.Open(store.Options{
			Backend:        r.backend,
			Dir:            filepath.Join(r.dir, ns.ID),
			Durability:     w.Store.Durability,
			SiteQuotaBytes: w.Limits.SiteQuota,
			MaxValueBytes:  int(w.Limits.MaxValueBytes),
			MaxTTLSecs:     int64(w.Limits.MaxTTL / time.Second),
			Observer:       obs,
		})
		if err != nil {
			return fmt.Errorf("%w: node %s: open %s store: %w", ErrRun, ns.ID, r.backend, err)
		}
		r.closers = append(r.closers, func() { st.Close() })
		r.stores[ns.ID] = st
		r.observers[ns.ID] = obs
		r.nodes[i].Store = st
		r.stats = st.Stats()
	}
	return r.writeStoreManifest()
}

// startHost starts the pull servers of the http-transport nodes and one
// host over all nodes, with the workload's limits, sites and origin.
func (r *run) startHost(ctx context.Context) error {
	w := r.w
	r.limits = hostLimits(w)
	transport, stopServers, err := startPullServers(r.nodes, w.Nodes)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRun, err)
	}
	r.closers = append(r.closers, stopServers)
	cfg := host.Config{Limits: r.limits, Nodes: r.nodes, Transport: transport, TimeoutMode: r.opts.TimeoutMode, Log: r.opts.GuestLog,
		Beam: host.BeamOrigin{Latency: latencyFunc(w.Origin.Latency, w.Seed, "origin"), Status: w.Origin.Status, BodySize: int(w.Origin.BodySize)}}
	for _, s := range w.Sites {
		cfg.Sites = append(cfg.Sites, host.Site{Domain: s.Domain, WritesSpark: s.WritesSpark(), Secrets: s.Secrets})
	}
	h, err := host.New(ctx, cfg)
	if err != nil {
		return fmt.Errorf("%w: host: %w", ErrRun, err)
	}
	r.host = h
	r.closers = append(r.closers, func() { h.Close(context.Background()) })
	return nil
}

// compileFlares loads each flare once and gives every worker that may
// invoke it at once a pooled instance now, so that the measured phase
// never instantiates.
func (r *run) compileFlares(ctx context.Context) error {
	w := r.w
	r.flares = map[string]*host.Flare{}
	for i := range w.Scenarios {
		sc := &w.Scenarios[i]
		if r.flares[sc.Flare] != nil {
			continue
		}
		f, err := loadFlare(ctx, r.host, sc)
		if err != nil {
			return flareError(w, i, err)
		}
		r.flares[sc.Flare] = f
	}
	concurrency := map[string]int{}
	for i := range w.Scenarios {
		sc := &w.Scenarios[i]
		concurrency[sc.Flare] += sc.Executor.Workers()
	}
	for name, n := range concurrency {
		if err := r.flares[name].Warm(ctx, n); err != nil {
			return fmt.Errorf("%w: flare %s: warm %d instances: %w", ErrRun, name, n, err)
		}
	}
	return nil
}

// prepareScenarios binds each scenario's request templates to its
// variables and flare.
func (r *run) prepareScenarios() error {
	w := r.w
	r.scenarios = make([]*scenarioRT, len(w.Scenarios))
	for i := range w.Scenarios {
		rt, err := newScenarioRT(w, i, r.host, r.flares[w.Scenarios[i].Flare], r.stores)
		if err != nil {
			return err
		}
		if r.opts.ShowResponses > 0 {
			rt.sampler = newSampler(r.opts.ShowResponses)
		}
		r.scenarios[i] = rt
	}
	return nil
}

// warmup runs every scenario for the workload's warmup, recording nothing
// (ramps warm up at their first non-zero rate).
func (r *run) warmup(ctx context.Context) error {
	if r.w.Warmup <= 0 || ctx.Err() != nil {
		return nil
	}
	if _, err := r.runPhase(ctx, time.Time{}); err != nil {
		return fmt.Errorf("%w: warmup: %w", ErrRun, err)
	}
	return nil
}

// measure runs the measured phase: the store observers start afresh, the
// progress goes to Options.OnMeasure, and every scenario runs until its
// schedule ends or ctx is cancelled. It returns the workers' recorders.
func (r *run) measure(ctx context.Context) ([]*reports.Recorder, error) {
	r.start = time.Now()
	for _, o := range r.observers {
		o.reset(r.start)
	}
	prog := &Progress{Backend: r.backend, Repeat: r.opts.Repeat, Start: r.start, done: make(chan struct{})}
	for _, rt := range r.scenarios {
		prog.Scenarios = append(prog.Scenarios, rt.progress)
	}
	if r.opts.OnMeasure != nil {
		r.opts.OnMeasure(prog)
	}
	// When the run is stopped, so that each scenario's result says
	// whether it ended on its own or was interrupted.
	stopped := make(chan time.Time, 1)
	stopWatch := context.AfterFunc(ctx, func() { stopped <- time.Now() })
	recs, err := r.runPhase(ctx, r.start)
	r.elapsed = time.Since(r.start)
	if !stopWatch() {
		r.stoppedAt = <-stopped // ctx was done: its callback ran or runs
	}
	close(prog.done)
	// An open-loop schedule's last start comes one gap before its end: the
	// measured phase is the planned one unless the run was stopped early.
	if planned := plannedDuration(r.w); ctx.Err() == nil && r.elapsed < planned {
		r.elapsed = planned
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRun, err)
	}
	r.timeoutMode = r.host.TimeoutMode().String()
	return recs, nil
}

// merge builds the run's result from the workers' recorders and the store
// observers' (call once everything is closed).
func (r *run) merge(recs []*reports.Recorder) *reports.Run {
	for _, o := range r.observers {
		recs = append(recs, o.recorders()...)
	}
	w := r.w
	info := reports.RunInfo{
		Workload:      w.Name,
		File:          w.File,
		FileSHA256:    w.SHA256,
		Backend:       r.backend.String(),
		Durability:    r.stats.Durability,
		Durable:       r.stats.Durable,
		TimeoutMode:   r.timeoutMode,
		Seed:          w.Seed,
		Shard:         w.Shard().String(),
		Repeat:        r.opts.Repeat,
		Started:       r.start,
		Duration:      r.elapsed,
		Limits:        limitConfig(w, r.limits),
		TimerOverhead: r.overhead,
		CodeNames:     codeNames(),
	}
	res := reports.Build(info, recs)
	r.setActivity(res, r.stoppedAt)
	return res
}

// plannedDuration is the longest executor schedule.
func plannedDuration(w *workloads.Workload) time.Duration {
	var d time.Duration
	for _, sc := range w.Scenarios {
		d = max(d, sc.Executor.TotalDuration())
	}
	return d
}

// codeNames names the invocation outcome codes in RunInfo, so that a result
// file says what its codes 101 and up meant when it was written.
func codeNames() map[int32]string {
	m := map[int32]string{}
	for k := host.KindTrap; k <= host.KindOther; k++ {
		m[k.Code()] = k.String()
	}
	return m
}

// latencyFunc turns a pull latency distribution into the host's callback.
// It is called concurrently, so it draws under a lock.
func latencyFunc(d *workloads.DurationDist, seed int64, node string) func() time.Duration {
	if d == nil {
		return nil
	}
	var mu sync.Mutex
	r := gen.NewRand(seed, "pull_latency/"+node, 0)
	return func() time.Duration {
		mu.Lock()
		v := d.Next(r)
		mu.Unlock()
		return time.Duration(v)
	}
}

// runPhase runs every scenario concurrently. With start zero it is the
// warmup: nothing is recorded. It returns the recorders of the phase.
func (r *run) runPhase(ctx context.Context, start time.Time) ([]*reports.Recorder, error) {
	w, rts, backend := r.w, r.scenarios, r.backend.String()
	warm := start.IsZero()
	var errs []error
	var mu sync.Mutex
	var recs []*reports.Recorder
	var wg sync.WaitGroup
	for _, rt := range rts {
		cfg := rt.execConfig(w, warm)
		labels := reports.Labels{Scenario: rt.spec.Name, Node: rt.spec.Node, Backend: backend}
		workers := make([]executor.Worker, cfg.Workers())
		// The report counts a start late against the scenario's
		// late_tolerance, as the executor's progress counter does.
		newRec := func() *reports.Recorder {
			rec := reports.NewRecorder(labels, start)
			rec.SetLateThreshold(rt.spec.Executor.LateTolerance)
			return rec
		}
		var dropRec *reports.Recorder
		if !warm {
			dropRec = newRec()
			recs = append(recs, dropRec)
		}
		for i := range workers {
			wk := rt.newWorker(w.Seed, i, len(workers), warm)
			if !warm {
				wk.attach(newRec())
				recs = append(recs, wk.rec)
			}
			workers[i] = wk
		}
		stats := &executor.Stats{}
		if !warm {
			stats = &rt.progress.stats
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var drop executor.DropFunc
			if dropRec != nil {
				drop = func(int64, time.Time) { dropRec.RecordStart(0, true) }
			}
			err := executor.Run(ctx, cfg, workers, stats, drop)
			if !warm {
				rt.progress.finished.Store(time.Now().UnixNano())
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("scenario %s: %w", rt.spec.Name, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return recs, errors.Join(errs...)
}
