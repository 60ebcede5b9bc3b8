package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/sparkbench/sparkbench/host/internal/abi"
	"github.com/sparkbench/sparkbench/host/internal/guard"
	"github.com/sparkbench/sparkbench/host/internal/plasma"
	"github.com/sparkbench/sparkbench/internal/clock"
	"github.com/sparkbench/sparkbench/store"
)

// Host runs flares for a set of nodes and sites. It is safe for concurrent
// use.
type Host struct {
	limits       Limits
	moduleLimits ModuleLimits
	mode         TimeoutMode // effective: TimeoutNone when the timeout is disabled
	poolSize     int
	maxIdle      int
	logLines     int
	log          io.Writer
	logMu        sync.Mutex
	rt           wazero.Runtime
	cache        wazero.CompilationCache
	hostMod      api.Module
	wasiFuncs    map[string]api.FunctionDefinition
	transport    Transport
	beam         *BeamOrigin
	plasma       *plasma.Store
	nodes        map[string]*nodeState
	sites        map[string]*siteState
	bindings     sync.Map // bindingKey -> *binding
	wd           *watchdog

	mu     sync.Mutex
	flares []*Flare
	closed bool
	shut   atomic.Bool // closed, for host functions (instance.open)

	// bare leaves out, for BenchmarkGuardCost only, the stack guard and
	// the stop checks from flares loaded afterwards.
	bare struct{ stack, stop bool }
}

type nodeState struct {
	id       string
	store    *store.Store
	maxValue int
	maxTTL   int64
}

type siteState struct {
	domain      string
	writesSpark bool
	secrets     map[string]string
}

// binding is a (node, site) pair resolved once: the per-invocation lookup
// is one sync.Map load, or none when an instance serves the same pair again.
type binding struct {
	node  *nodeState
	site  *siteState
	spark *store.Site // nil when Spark is disabled on the node
}

type bindingKey struct{ node, site string }

// New builds a Host: one wazero runtime (compiler mode where supported)
// with the guest memory cap, the flaron/v1 host module and WASI.
func New(ctx context.Context, cfg Config) (*Host, error) {
	clock.Init()
	h := &Host{
		limits:       cfg.Limits.withDefaults(),
		moduleLimits: cfg.ModuleLimits.withDefaults(),
		mode:         cfg.TimeoutMode,
		poolSize:     cfg.PoolSize,
		maxIdle:      cfg.MaxIdle,
		logLines:     cfg.LogLinesPerInvocation,
		log:          cfg.Log,
		plasma:       plasma.New(cfg.PlasmaBytes),
		nodes:        make(map[string]*nodeState, len(cfg.Nodes)),
		sites:        make(map[string]*siteState, len(cfg.Sites)),
	}
	if h.mode > TimeoutNone {
		return nil, fmt.Errorf("host: new: %v: %w", h.mode, ErrBadConfig)
	}
	if h.limits.MaxStackBytes > guard.MaxStackBytes {
		return nil, fmt.Errorf("host: new: max stack bytes %d over %d: %w", h.limits.MaxStackBytes, guard.MaxStackBytes, ErrBadConfig)
	}
	if h.limits.InvocationTimeout <= 0 {
		h.mode = TimeoutNone
	}
	if h.poolSize <= 0 {
		h.poolSize = 2 * runtime.GOMAXPROCS(0)
	}
	if h.maxIdle <= 0 {
		h.maxIdle = 1024
	}
	h.maxIdle = max(h.maxIdle, h.poolSize)
	if h.logLines <= 0 {
		h.logLines = 16
	}
	if h.log == nil {
		h.log = io.Discard
	}
	b := cfg.Beam
	h.beam = &b
	for _, n := range cfg.Nodes {
		if n.ID == "" {
			return nil, fmt.Errorf("host: new: node with empty id: %w", ErrBadConfig)
		}
		if _, dup := h.nodes[n.ID]; dup {
			return nil, fmt.Errorf("host: new: node %q twice: %w", n.ID, ErrBadConfig)
		}
		ns := &nodeState{id: n.ID, store: n.Store}
		if n.Store != nil {
			ns.maxValue, ns.maxTTL = h.valueTTLLimits(n.Store)
		}
		h.nodes[n.ID] = ns
	}
	for _, s := range cfg.Sites {
		if s.Domain == "" {
			return nil, fmt.Errorf("host: new: site with empty domain: %w", ErrBadConfig)
		}
		if _, dup := h.sites[s.Domain]; dup {
			return nil, fmt.Errorf("host: new: site %q twice: %w", s.Domain, ErrBadConfig)
		}
		h.sites[s.Domain] = &siteState{domain: s.Domain, writesSpark: s.WritesSpark, secrets: s.Secrets}
	}
	h.transport = cfg.Transport
	if h.transport == nil {
		h.transport = NewInProcessTransport(cfg.Nodes)
	}

	rc := wazero.NewRuntimeConfigCompiler().
		WithMemoryLimitPages(h.limits.MaxMemoryPages).
		WithCloseOnContextDone(h.mode == TimeoutContext || h.mode == TimeoutClose)
	if cfg.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("host: new: compilation cache %s: %w", cfg.CacheDir, err)
		}
		h.cache = cache
		rc = rc.WithCompilationCache(cache)
	}
	h.rt = wazero.NewRuntimeWithConfig(ctx, rc)
	if err := h.instantiateHostModules(ctx); err != nil {
		_ = h.rt.Close(ctx)
		return nil, err
	}
	if h.mode != TimeoutContext {
		// In TimeoutNone mode the watchdog times only instantiation (the
		// start function and _initialize); it stops invocations whose
		// context is done, and every call at Close.
		h.wd = startWatchdog(h.limits.InvocationTimeout)
	}
	return h, nil
}

// instantiateHostModules defines every function of the ABI table (flaron/v1
// and the SDK runtime imports) and WASI.
func (h *Host) instantiateHostModules(ctx context.Context) error {
	impls := h.hostFuncs()
	builders := map[string]wazero.HostModuleBuilder{}
	for _, table := range [][]abi.Func{abi.FlaronV1, abi.Runtime} {
		for _, f := range table {
			fn, ok := impls[f.Module+"."+f.Name]
			if !ok {
				return fmt.Errorf("host: new: no implementation of %s.%s", f.Module, f.Name)
			}
			b, ok := builders[f.Module]
			if !ok {
				b = h.rt.NewHostModuleBuilder(f.Module)
				builders[f.Module] = b
			}
			b.NewFunctionBuilder().WithGoModuleFunction(fn, f.Params, f.Results).Export(f.Name)
		}
	}
	for name, b := range builders {
		m, err := b.Instantiate(ctx)
		if err != nil {
			return fmt.Errorf("host: new: host module %s: %w", name, err)
		}
		if name == abi.ModuleFlaronV1 {
			h.hostMod = m
		}
	}
	wasi, err := wasi_snapshot_preview1.NewBuilder(h.rt).Compile(ctx)
	if err != nil {
		return fmt.Errorf("host: new: %s: %w", wasi_snapshot_preview1.ModuleName, err)
	}
	h.wasiFuncs = wasi.ExportedFunctions()
	if _, err := h.rt.InstantiateModule(ctx, wasi, wazero.NewModuleConfig()); err != nil {
		return fmt.Errorf("host: new: %s: %w", wasi_snapshot_preview1.ModuleName, err)
	}
	return nil
}

// valueTTLLimits returns the value size and TTL caps the host checks (in
// the contract's order, before the write limit) for st: Limits.MaxValueBytes and
// Limits.MaxTTLSecs when set, else the store's own options when it exposes
// them, else the store defaults. They must agree with the store's options,
// which check the same rules again inside Set.
func (h *Host) valueTTLLimits(st *store.Store) (int, int64) {
	maxValue, maxTTL := store.DefaultMaxValueBytes, int64(store.DefaultMaxTTLSecs)
	if o, ok := any(st).(interface{ Options() store.Options }); ok {
		opts := o.Options()
		if opts.MaxValueBytes > 0 {
			maxValue = opts.MaxValueBytes
		}
		if opts.MaxTTLSecs > 0 {
			maxTTL = opts.MaxTTLSecs
		}
	}
	if h.limits.MaxValueBytes > 0 {
		maxValue = h.limits.MaxValueBytes
	}
	if h.limits.MaxTTLSecs > 0 {
		maxTTL = h.limits.MaxTTLSecs
	}
	return maxValue, maxTTL
}

// TimeoutMode returns the timeout enforcement in effect (TimeoutNone when
// Limits.InvocationTimeout is 0).
func (h *Host) TimeoutMode() TimeoutMode { return h.mode }

// Limits returns the limits in effect.
func (h *Host) Limits() Limits { return h.limits }

// bind resolves the (node, site) of a request.
func (h *Host) bind(node, site string) (*binding, error) {
	if v, ok := h.bindings.Load(bindingKey{node, site}); ok {
		return v.(*binding), nil
	}
	n, ok := h.nodes[node]
	if !ok {
		return nil, fmt.Errorf("node %q: %w", node, ErrUnknownNode)
	}
	s, ok := h.sites[site]
	if !ok {
		return nil, fmt.Errorf("site %q: %w", site, ErrUnknownSite)
	}
	b := &binding{node: n, site: s}
	if n.store != nil {
		b.spark = n.store.Site(site)
	}
	v, _ := h.bindings.LoadOrStore(bindingKey{node, site}, b)
	return v.(*binding), nil
}

// Close closes every flare's instances, the runtime and the compilation
// cache. Calls into the guest in progress are stopped and fail with
// ErrClosed, in every timeout mode; Close does not wait for them.
func (h *Host) Close(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	h.shut.Store(true)
	flares := h.flares
	h.flares = nil
	h.mu.Unlock()
	if h.wd != nil {
		h.wd.stopAll()
		h.wd.stop()
	}
	for _, f := range flares {
		f.drain(ctx)
	}
	err := h.rt.Close(ctx)
	if h.cache != nil {
		err = errors.Join(err, h.cache.Close(ctx))
	}
	return err
}
