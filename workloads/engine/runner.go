package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/store"
	"github.com/sparkbench/sparkbench/workloads/internal/executor"
	"github.com/sparkbench/sparkbench/workloads/internal/gen"

	"github.com/sparkbench/sparkbench/workloads"
)

// RunOptions configure one run of a workload: one backend, one repeat.
type RunOptions struct {
	Backend     store.Backend   // "" = the workload's (first) store backend
	Repeat      int             // 0-based, recorded in RunInfo
	Shard       workloads.Shard // run this shard of the workload (Run derives it with Sharded)
	TimeoutMode string          // host timeout enforcement; "" = host default
	// OnMeasure, if set, is called when the measured phase starts, with its
	// live progress; Progress.Done is closed when it ends.
	OnMeasure func(*Progress)
	GuestLog  io.Writer // guest log_* lines; nil = discard
	Warn      io.Writer // warnings such as refused preload writes; nil = discard
}

// ErrRun marks a run that could not complete (exit code 1), as opposed to
// a configuration error.
var ErrRun = errors.New("run failed")

// Run executes w once and returns its merged measurements: per node a
// store (a fresh temporary directory unless store.dir is set), one host
// over all nodes, each flare compiled once, preload, warmup (not recorded)
// and the measured phase with every scenario's executor running
// concurrently. Cancelling ctx stops scheduling; invocations in flight
// finish and what was measured is returned.
func Run(ctx context.Context, w *workloads.Workload, opts RunOptions) (*reports.Run, error) {
	if s := opts.Shard; s.Count > 1 {
		if s.Index < 0 || s.Index >= s.Count {
			return nil, fmt.Errorf("shard %d/%d: want 0 <= i < N", s.Index, s.Count)
		}
		w = w.Sharded(s.Index, s.Count)
	}
	backend := opts.Backend
	if backend == "" {
		backend = w.Store.Backends[0]
	}
	if _, err := store.ParseBackend(string(backend)); err != nil {
		return nil, err
	}
	durability := w.Store.Durability
	overhead := reports.MeasureTimerOverhead()

	base := w.Store.Dir
	if base == "" {
		tmp, err := os.MkdirTemp("", "sparkbench-")
		if err != nil {
			return nil, fmt.Errorf("%w: temporary store directory: %v", ErrRun, err)
		}
		defer os.RemoveAll(tmp)
		base = tmp
	} else {
		base = filepath.Join(base, string(backend))
	}

	// Everything opened below is closed by closeAll, in reverse order: at
	// the end of the measured phase (so that no store goroutine, such as
	// the sweeper, still records while the recorders are merged) or on an
	// early return.
	var closers []func()
	closeAll := sync.OnceFunc(func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	})
	defer closeAll()

	now := time.Now()
	stores := map[string]*store.Store{}
	observers := map[string]*storeObserver{}
	hostNodes := make([]host.Node, len(w.Nodes))
	var stats store.Stats
	for i, ns := range w.Nodes {
		hostNodes[i] = host.Node{ID: ns.ID, PullLatency: latencyFunc(ns.PullLatency, w.Seed, ns.ID)}
		if !ns.Spark {
			continue
		}
		obs := newStoreObserver(reports.Labels{Scenario: "store", Node: ns.ID, Backend: string(backend)}, now)
		st, err := store.Open(store.Options{
			Backend:        backend,
			Dir:            filepath.Join(base, ns.ID),
			Durability:     durability,
			SiteQuotaBytes: w.Limits.SiteQuota,
			MaxValueBytes:  int(w.Limits.MaxValueBytes),
			MaxTTLSecs:     int64(w.Limits.MaxTTL / time.Second),
			Observer:       obs,
		})
		if err != nil {
			return nil, fmt.Errorf("%w: node %s: open %s store: %v", ErrRun, ns.ID, backend, err)
		}
		closers = append(closers, func() { st.Close() })
		stores[ns.ID] = st
		observers[ns.ID] = obs
		hostNodes[i].Store = st
		stats = st.Stats()
	}

	limits := hostLimits(w)
	transport, stopServers, err := startPullServers(hostNodes, w.Nodes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRun, err)
	}
	closers = append(closers, stopServers)
	tm, err := host.ParseTimeoutMode(opts.TimeoutMode)
	if err != nil {
		return nil, err
	}
	cfg := host.Config{Limits: limits, Nodes: hostNodes, Transport: transport, TimeoutMode: tm, Log: opts.GuestLog,
		Beam: host.BeamOrigin{Latency: latencyFunc(w.Origin.Latency, w.Seed, "origin"), Status: w.Origin.Status, BodySize: int(w.Origin.BodySize)}}
	for _, s := range w.Sites {
		cfg.Sites = append(cfg.Sites, host.Site{Domain: s.Domain, WritesSpark: s.WritesSpark(), Secrets: s.Secrets})
	}
	h, err := host.New(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: host: %v", ErrRun, err)
	}
	closers = append(closers, func() { h.Close(context.Background()) })

	flares := map[string]*host.Flare{}
	for i := range w.Scenarios {
		sc := &w.Scenarios[i]
		if flares[sc.Flare] != nil {
			continue
		}
		f, err := loadFlare(ctx, h, sc)
		if err != nil {
			return nil, flareError(w, i, err)
		}
		flares[sc.Flare] = f
	}
	// Every worker that may invoke a flare at once gets a pooled instance
	// now, so the measured phase never instantiates.
	concurrency := map[string]int{}
	for i := range w.Scenarios {
		sc := &w.Scenarios[i]
		concurrency[sc.Flare] += sc.Executor.Workers()
	}
	for name, n := range concurrency {
		if err := flares[name].Warm(ctx, n); err != nil {
			return nil, fmt.Errorf("%w: flare %s: warm %d instances: %v", ErrRun, name, n, err)
		}
	}

	if err := preload(ctx, w, stores, opts.Warn); err != nil {
		return nil, err
	}

	rts := make([]*scenarioRT, len(w.Scenarios))
	for i := range w.Scenarios {
		rt, err := newScenarioRT(w, i, h, flares[w.Scenarios[i].Flare], stores)
		if err != nil {
			return nil, err
		}
		rts[i] = rt
	}

	if w.Warmup > 0 && ctx.Err() == nil {
		if _, err := runPhase(ctx, w, rts, string(backend), time.Time{}); err != nil {
			return nil, fmt.Errorf("%w: warmup: %v", ErrRun, err)
		}
	}

	start := time.Now()
	for _, o := range observers {
		o.reset(start)
	}
	prog := &Progress{Backend: string(backend), Repeat: opts.Repeat, Start: start, done: make(chan struct{})}
	for _, rt := range rts {
		prog.Scenarios = append(prog.Scenarios, rt.progress)
	}
	if opts.OnMeasure != nil {
		opts.OnMeasure(prog)
	}
	recs, err := runPhase(ctx, w, rts, string(backend), start)
	elapsed := time.Since(start)
	close(prog.done)
	// An open-loop schedule's last start comes one gap before its end: the
	// measured phase is the planned one unless the run was stopped early.
	if planned := plannedDuration(w); ctx.Err() == nil && elapsed < planned {
		elapsed = planned
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRun, err)
	}
	timeoutMode := h.TimeoutMode().String()
	closeAll()
	for _, o := range observers {
		recs = append(recs, o.recorders()...)
	}

	info := reports.RunInfo{
		Workload:      w.Name,
		File:          w.File,
		FileSHA256:    w.SHA256,
		Backend:       string(backend),
		Durability:    stats.Durability,
		Durable:       stats.Durable,
		TimeoutMode:   timeoutMode,
		Seed:          w.Seed,
		Shard:         w.Shard().String(),
		Repeat:        opts.Repeat,
		Started:       start,
		Duration:      elapsed,
		Limits:        limitConfig(w, limits),
		TimerOverhead: overhead,
		CodeNames:     codeNames(),
	}
	return reports.Build(info, recs), nil
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

func flareError(w *workloads.Workload, i int, err error) error {
	sc := &w.Scenarios[i]
	return &workloads.FieldError{File: w.File, Line: sc.FlarePos.Line, Column: sc.FlarePos.Column, Path: fmt.Sprintf("scenarios.%d.flare", i),
		Msg: strings.ReplaceAll(err.Error(), "\n", "; "), Err: workloads.ErrFlare}
}

// Check loads every flare of w into a host without stores, so that a module
// this host cannot run is reported (with the flare's file position) before a
// run starts.
func Check(ctx context.Context, w *workloads.Workload) error {
	cfg := host.Config{PoolSize: 1}
	for _, n := range w.Nodes {
		cfg.Nodes = append(cfg.Nodes, host.Node{ID: n.ID})
	}
	for _, s := range w.Sites {
		cfg.Sites = append(cfg.Sites, host.Site{Domain: s.Domain, WritesSpark: s.WritesSpark()})
	}
	cfg.Limits = hostLimits(w)
	h, err := host.New(ctx, cfg)
	if err != nil {
		return &workloads.FieldError{File: w.File, Path: "limits", Msg: err.Error(), Err: err}
	}
	defer h.Close(context.Background())
	loaded := map[string]bool{}
	for i := range w.Scenarios {
		sc := &w.Scenarios[i]
		if loaded[sc.Flare] {
			continue
		}
		if _, err := loadFlare(ctx, h, sc); err != nil {
			return flareError(w, i, err)
		}
		loaded[sc.Flare] = true
	}
	return nil
}

func loadFlare(ctx context.Context, h *host.Host, sc *workloads.ScenarioSpec) (*host.Flare, error) {
	wasm, err := sc.FlareBytes()
	if err != nil {
		return nil, err
	}
	name := strings.TrimPrefix(sc.Flare, workloads.BuiltinPrefix)
	if sc.FlarePath != "" {
		name = strings.TrimSuffix(filepath.Base(sc.FlarePath), ".wasm")
	}
	return h.Load(ctx, name, wasm)
}

// hostLimits returns the host limits: defaults with the file's overrides.
func hostLimits(w *workloads.Workload) host.Limits {
	l := host.DefaultLimits()
	ws := w.Limits
	if ws.MaxReadsPerInvocation > 0 {
		l.MaxReadsPerInvocation = ws.MaxReadsPerInvocation
	}
	if ws.MaxWritesPerInvocation > 0 {
		l.MaxWritesPerInvocation = ws.MaxWritesPerInvocation
	}
	if ws.MaxPullsPerInvocation > 0 {
		l.MaxPullsPerInvocation = ws.MaxPullsPerInvocation
	}
	if ws.MaxPullKeys > 0 {
		l.MaxPullKeys = ws.MaxPullKeys
	}
	if ws.IsSet("invocation_timeout") {
		l.InvocationTimeout = ws.InvocationTimeout
	}
	if ws.MaxMemoryPages > 0 {
		l.MaxMemoryPages = ws.MaxMemoryPages
	}
	l.MaxValueBytes = int(ws.MaxValueBytes)
	l.MaxTTLSecs = int64(ws.MaxTTL / time.Second)
	return l
}

// limitConfig lists the configured value of every enforced limit, named as
// host.Limit names them, for the enforcement table.
func limitConfig(w *workloads.Workload, l host.Limits) []reports.LimitConfig {
	def := store.DefaultOptions()
	valueBytes, ttl, quota := int64(def.MaxValueBytes), def.MaxTTLSecs, def.SiteQuotaBytes
	if w.Limits.MaxValueBytes > 0 {
		valueBytes = w.Limits.MaxValueBytes
	}
	if w.Limits.MaxTTL > 0 {
		ttl = int64(w.Limits.MaxTTL / time.Second)
	}
	if w.Limits.SiteQuota > 0 {
		quota = w.Limits.SiteQuota
	}
	vals := map[host.Limit]int64{
		host.LimitReads:      int64(l.MaxReadsPerInvocation),
		host.LimitWrites:     int64(l.MaxWritesPerInvocation),
		host.LimitPulls:      int64(l.MaxPullsPerInvocation),
		host.LimitPullKeys:   int64(l.MaxPullKeys),
		host.LimitValueBytes: valueBytes,
		host.LimitQuota:      quota,
		host.LimitTTL:        ttl,
		host.LimitTimeout:    int64(l.InvocationTimeout),
		host.LimitMemory:     int64(l.MaxMemoryPages),
	}
	var out []reports.LimitConfig
	for lim := host.LimitReads; lim <= host.LimitMemory; lim++ {
		if v, ok := vals[lim]; ok {
			out = append(out, reports.LimitConfig{Name: lim.String(), Value: v})
		}
	}
	return out
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

// preloadWorkers write a preload set concurrently, so that a durable
// backend's group commit shares each sync among many writes.
const preloadWorkers = 32

// preload bulk-loads keys through the stores directly (no flare, no limits
// but the store's own: key rules, value size, quota). Worker w of the
// preload writes every preloadWorkers-th key with its own RNG, so the data
// is the same on every run with the same seed.
func preload(ctx context.Context, w *workloads.Workload, stores map[string]*store.Store, warn io.Writer) error {
	for i, p := range w.Preload {
		st := stores[p.Node]
		if st == nil {
			return &workloads.FieldError{File: w.File, Line: p.Pos.Line, Column: p.Pos.Column, Path: fmt.Sprintf("preload.%d.node", i), Msg: fmt.Sprintf("node %q has spark: false: nothing to preload into", p.Node)}
		}
		site := st.Site(p.Site)
		key, err := p.Key.Bind(func(name string) (int, string, bool) {
			switch name {
			case "seq":
				return 0, "", true
			case "node":
				return -1, p.Node, true
			case "site":
				return -1, p.Site, true
			}
			return 0, "", false
		})
		if err != nil {
			return &workloads.FieldError{File: w.File, Line: p.Pos.Line, Column: p.Pos.Column, Path: fmt.Sprintf("preload.%d.key", i), Msg: err.Error()}
		}
		stride, first := int64(1), int64(0)
		if sh := w.Shard(); sh.Count > 1 {
			stride, first = int64(sh.Count), int64(sh.Index)
		}
		var written, refused atomic.Int64
		var firstCode atomic.Int32
		var stop atomic.Bool
		var wg sync.WaitGroup
		for wk := 0; wk < preloadWorkers; wk++ {
			wg.Add(1)
			go func(wk int) {
				defer wg.Done()
				r := gen.NewRand(w.Seed, fmt.Sprintf("preload/%d", i), wk)
				var kbuf, value []byte
				vals := []int64{0}
				for seq := first + int64(wk)*stride; seq < p.Keys; seq += stride * preloadWorkers {
					if stop.Load() || seq&1023 == int64(wk)&1023 && ctx.Err() != nil {
						return
					}
					vals[0] = seq
					kbuf = key.Append(kbuf[:0], vals)
					value = fillValue(value[:0], int(p.ValueSize.Next(r)), seq)
					var ttl int64
					if p.TTL != nil {
						ttl = int64((time.Duration(p.TTL.Next(r)) + time.Second - 1) / time.Second)
					}
					if code := site.Set(kbuf, value, ttl); code != store.OK {
						firstCode.CompareAndSwap(0, int32(code))
						refused.Add(1)
						if code == store.QuotaExceeded || code == store.Internal {
							stop.Store(true) // later keys would be refused the same way
						}
						continue
					}
					written.Add(1)
				}
			}(wk)
		}
		wg.Wait()
		if ctx.Err() != nil {
			return fmt.Errorf("%w: preload interrupted", ErrRun)
		}
		if refused.Load() > 0 && warn != nil {
			fmt.Fprintf(warn, "warning: preload.%d (%s on %s): %d keys written, %d refused (first refusal: %s)\n",
				i, p.Site, p.Node, written.Load(), refused.Load(), store.Code(firstCode.Load()))
		}
	}
	return nil
}

// fillValue appends n deterministic printable bytes.
func fillValue(b []byte, n int, seq int64) []byte {
	for j := 0; j < n; j++ {
		b = append(b, byte('a'+(int64(j)+seq)%26))
	}
	return b
}

// runPhase runs every scenario concurrently. With start zero it is the
// warmup: nothing is recorded. It returns the recorders of the phase.
func runPhase(ctx context.Context, w *workloads.Workload, rts []*scenarioRT, backend string, start time.Time) ([]*reports.Recorder, error) {
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
			r := reports.NewRecorder(labels, start)
			r.SetLateThreshold(rt.spec.Executor.LateTolerance)
			return r
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
