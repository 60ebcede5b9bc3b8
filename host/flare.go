package host

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/sparkbench/sparkbench/host/internal/abi"
	"github.com/sparkbench/sparkbench/host/internal/guard"
	"github.com/sparkbench/sparkbench/internal/procpin"
)

// Flare is a compiled flaron/v1 module with its pool of idle instances.
type Flare struct {
	name      string
	h         *Host
	compiled  wazero.CompiledModule
	initFuncs []initFunc // run once per instance: the start function, _initialize
	initPages uint32     // memory pages right after instantiation
	maxPages  uint32     // recycle an instance whose memory grew past this

	// The idle instances, in one shard per P (GOMAXPROCS at Load): an
	// invocation takes from and returns to the shard of the P it runs on,
	// stealing from the others only when its own is empty. Workers on
	// different cores thus share no lock and no written cache line, and an
	// instance tends to stay on the core whose caches hold its memory.
	shards []poolShard
	// live counts the instances not discarded. While it is at most MaxIdle
	// the pool cannot exceed MaxIdle and put checks nothing; beyond, put
	// counts the idle instances with every shard locked.
	live   atomic.Int64
	closed atomic.Bool
}

// poolShard is one P's stack of idle instances, padded to its own cache
// lines; n mirrors len(idle) for lock-free reads.
type poolShard struct {
	mu   sync.Mutex
	idle []*instance
	n    atomic.Int64
	_    [128 - 8 - 24 - 8]byte
}

// shard returns the shard of the P the caller runs on (it may have moved
// by the time it locks it: that costs locality, not correctness).
func (f *Flare) shard() int {
	p := procpin.Pin()
	procpin.Unpin()
	if p >= len(f.shards) { // GOMAXPROCS raised after Load
		p %= len(f.shards)
	}
	return p
}

// Name returns the name the flare was loaded under.
func (f *Flare) Name() string { return f.name }

// Load compiles wasm once, checks its imports against the flaron/v1 ABI
// table (plus WASI and the SDK runtime imports) and its exports (memory,
// alloc, handle_request), and pre-warms the instance pool. An incompatible
// module is refused with one line naming the import or export at fault,
// one over a ModuleLimits field with ErrModuleLimit naming the limit.
//
// Every step is bounded and returns within about a second of ctx being
// done: the compiler stops between functions (Load does not wait for it),
// and the module's start function and _initialize run as one call into the
// guest under Limits.InvocationTimeout, in every timeout mode.
func (h *Host) Load(ctx context.Context, name string, wasm []byte) (*Flare, error) {
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("flare[%s] load: %w", name, ErrClosed)
	}
	res, err := guard.Instrument(wasm, h.guardOptions())
	if err != nil {
		var le *guard.LimitError
		if errors.As(err, &le) {
			sentinel := ErrModuleLimit
			if le.Limit == "MaxMemoryPages" {
				sentinel = ErrMemoryLimit
			}
			return nil, fmt.Errorf("flare[%s] load: %w: %v", name, sentinel, le)
		}
		// Never handed to wazero: its decoder would allocate what the
		// module's counts declare.
		return nil, fmt.Errorf("flare[%s] load: %w", name, err)
	}
	compiled, err := h.compile(ctx, res.Wasm)
	if err != nil {
		if strings.Contains(err.Error(), "over limit") {
			return nil, fmt.Errorf("flare[%s] load: %w: %v", name, ErrMemoryLimit, err)
		}
		return nil, fmt.Errorf("flare[%s] load: compile: %w", name, err)
	}
	if err := h.checkModule(compiled); err != nil {
		_ = compiled.Close(ctx)
		return nil, fmt.Errorf("flare[%s] load: %w", name, err)
	}
	f := &Flare{name: name, h: h, compiled: compiled,
		shards: make([]poolShard, max(1, runtime.GOMAXPROCS(0)))}
	if res.HasStart {
		f.initFuncs = append(f.initFuncs, initFunc{name: "start", export: guard.StartExport})
	}
	if _, ok := compiled.ExportedFunctions()["_initialize"]; ok {
		f.initFuncs = append(f.initFuncs, initFunc{name: "_initialize", export: "_initialize"})
	}

	// The first instance proves the module instantiates (start code, memory
	// cap) and fixes the recycling threshold.
	first, err := f.instantiate(ctx)
	if err != nil {
		_ = compiled.Close(ctx)
		var ge *GuestError
		if errors.As(err, &ge) {
			return nil, err // names the flare and the function already
		}
		return nil, fmt.Errorf("flare[%s] load: %w", name, err)
	}
	f.initPages = first.mem.Size() / pageSize
	f.maxPages = recycleThreshold(f.initPages, h.limits.MaxMemoryPages)
	f.put(first)
	if err := f.Warm(ctx, h.poolSize); err != nil {
		f.drain(ctx)
		var ge *GuestError
		if errors.As(err, &ge) {
			return nil, err
		}
		return nil, fmt.Errorf("flare[%s] load: %w", name, err)
	}

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		f.drain(ctx)
		return nil, fmt.Errorf("flare[%s] load: %w", name, ErrClosed)
	}
	h.flares = append(h.flares, f)
	h.mu.Unlock()
	return f, nil
}

// guardOptions returns how Load instruments modules: stop checks in
// TimeoutWatchdog and TimeoutNone modes, the stack guard and the module
// limits in every mode.
func (h *Host) guardOptions() guard.Options {
	ml := h.moduleLimits
	o := guard.Options{
		StopChecks: h.stopChecks(),
		StackBytes: h.limits.MaxStackBytes,
		Limits: guard.Limits{
			MaxMemoryPages:   h.limits.MaxMemoryPages,
			MaxTableElements: ml.MaxTableElements,
			MaxGlobals:       ml.MaxGlobals,
			MaxImports:       ml.MaxImports,
			MaxTypes:         ml.MaxTypes,
			MaxExports:       ml.MaxExports,
			MaxSegments:      ml.MaxSegments,
			MaxFunctions:     ml.MaxFunctions,
			MaxFunctionBytes: ml.MaxFunctionBytes,
			MaxLocals:        ml.MaxLocals,
		},
	}
	if h.bare.stack {
		o.StackBytes = 0
	}
	if h.bare.stop {
		o.StopChecks = false
	}
	return o
}

// stopChecks reports whether flares get the guard's stop checks (the
// instances' stop and fuel globals): in TimeoutWatchdog mode to stop them,
// in TimeoutNone mode too because a guest without them never leaves native
// code, so that the Go runtime cannot stop it for a garbage collection,
// and the whole process would freeze at the next one behind a guest that
// does not return.
func (h *Host) stopChecks() bool {
	return (h.mode == TimeoutWatchdog || h.mode == TimeoutNone) && !h.bare.stop
}

// compileWorkers is how many goroutines compile a module: wazero's
// parallel compiler checks its context between functions (the serial one
// never does), so a done context stops a long compilation.
func compileWorkers() int { return min(max(runtime.GOMAXPROCS(0), 2), 4) }

// compile compiles wasm, returning when it is done or when ctx is: the
// compilation then stops at its next function (ModuleLimits bound how long
// one takes) and its result, if any, is closed.
func (h *Host) compile(ctx context.Context, wasm []byte) (wazero.CompiledModule, error) {
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	type compiled struct {
		c   wazero.CompiledModule
		err error
	}
	done := make(chan compiled, 1)
	go func() {
		c, err := h.rt.CompileModule(experimental.WithCompilationWorkers(ctx, compileWorkers()), wasm)
		done <- compiled{c, err}
	}()
	select {
	case r := <-done:
		return r.c, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.err == nil {
				_ = r.c.Close(context.Background())
			}
		}()
		return nil, context.Cause(ctx)
	}
}

const pageSize = 65536

// recycleThreshold: an instance whose memory grew to more than twice its
// initial size (and by at least 1 MiB), or to the cap, is not reused.
func recycleThreshold(initPages, capPages uint32) uint32 {
	t := 2 * initPages
	if t < initPages+16 {
		t = initPages + 16
	}
	if t >= capPages {
		t = capPages - 1
	}
	return t
}

// checkModule refuses modules the host cannot run, naming the import or
// export at fault.
func (h *Host) checkModule(c wazero.CompiledModule) error {
	for _, def := range c.ImportedFunctions() {
		mod, name, _ := def.Import()
		var params, results []api.ValueType
		switch {
		case mod == "wasi_snapshot_preview1":
			w, ok := h.wasiFuncs[name]
			if !ok {
				return fmt.Errorf("import %s.%s: unknown WASI function: %w", mod, name, ErrIncompatible)
			}
			params, results = w.ParamTypes(), w.ResultTypes()
		default:
			if err := abi.Check(mod, name, def.ParamTypes(), def.ResultTypes()); err != nil {
				return fmt.Errorf("%w: %w", err, ErrIncompatible)
			}
			continue
		}
		if !slices.Equal(def.ParamTypes(), params) || !slices.Equal(def.ResultTypes(), results) {
			return fmt.Errorf("import %s.%s: signature %s, host defines %s: %w", mod, name,
				abi.Signature(def.ParamTypes(), def.ResultTypes()), abi.Signature(params, results), ErrIncompatible)
		}
	}
	for _, def := range c.ImportedMemories() {
		mod, name, _ := def.Import()
		return fmt.Errorf("import %s.%s: imported memory (the guest must export its memory): %w", mod, name, ErrIncompatible)
	}
	if _, ok := c.ExportedMemories()["memory"]; !ok {
		return fmt.Errorf("export memory: missing: %w", ErrIncompatible)
	}
	exports := c.ExportedFunctions()
	for _, want := range []struct {
		name            string
		params, results []api.ValueType
	}{
		{"alloc", []api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}},
		{"handle_request", nil, []api.ValueType{api.ValueTypeI64}},
	} {
		def, ok := exports[want.name]
		if !ok {
			return fmt.Errorf("export %s: missing: %w", want.name, ErrIncompatible)
		}
		if !slices.Equal(def.ParamTypes(), want.params) || !slices.Equal(def.ResultTypes(), want.results) {
			return fmt.Errorf("export %s: signature %s, want %s: %w", want.name,
				abi.Signature(def.ParamTypes(), def.ResultTypes()), abi.Signature(want.params, want.results), ErrIncompatible)
		}
	}
	return nil
}

// instantiate creates one instance: anonymous module, no start functions
// (the guard detached the module's start section), export handles cached,
// then its start function and _initialize run (initialize). A failed
// instance is discarded.
func (f *Flare) instantiate(ctx context.Context) (*instance, error) {
	inst := &instance{flare: f, h: f.h}
	inst.ctx = &instanceContext{Context: context.Background(), inst: inst}
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions()
	// No guest code runs here, and what is allocated is bounded by the
	// module limits: nothing to stop.
	mod, err := f.h.rt.InstantiateModule(inst.ctx, f.compiled, cfg)
	if err != nil {
		if strings.Contains(err.Error(), "over limit") || strings.Contains(err.Error(), "memory") && strings.Contains(err.Error(), "limit") {
			return nil, fmt.Errorf("instantiate: %w: %v", ErrMemoryLimit, err)
		}
		return nil, fmt.Errorf("instantiate: %w", err)
	}
	inst.mod = mod
	f.live.Add(1) // discard takes it back
	inst.mem = mod.Memory()
	inst.alloc = mod.ExportedFunction("alloc")
	inst.handle = mod.ExportedFunction("handle_request")
	if inst.mem == nil || inst.alloc == nil || inst.handle == nil {
		inst.discard()
		return nil, fmt.Errorf("instantiate: exports vanished: %w", ErrIncompatible)
	}
	inst.stackLeft = mod.ExportedGlobal(guard.StackExport)
	if f.h.stopChecks() {
		stop, ok1 := mod.ExportedGlobal(guard.StopExport).(api.MutableGlobal)
		fuel, ok2 := mod.ExportedGlobal(guard.FuelExport).(api.MutableGlobal)
		if !ok1 || !ok2 {
			inst.discard()
			return nil, fmt.Errorf("instantiate: no %s global", guard.StopExport)
		}
		inst.stop, inst.fuel = stop, fuel
	}
	if f.h.wd != nil && !f.h.wd.register(inst) {
		inst.discard() // the host is closing: nothing would stop it
		return nil, ErrClosed
	}
	if len(f.initFuncs) > 0 {
		if err := f.initialize(ctx, inst); err != nil {
			return nil, err
		}
	}
	return inst, nil
}

// initFunc is a guest function run once per instance: the start function
// or _initialize.
type initFunc struct {
	name   string // for errors: "start" or "_initialize"
	export string
}

// initialize runs the instance's start function then its _initialize as
// one call into the guest, under Limits.InvocationTimeout (when set, in
// every timeout mode, TimeoutNone included) and stopped within about a
// second when ctx is done. A failed instance is discarded.
func (f *Flare) initialize(ctx context.Context, inst *instance) error {
	h := f.h
	var err error
	if h.wd != nil {
		inst.watch(ctx)
		s := h.wd.arm(inst)
		fn, callErr := f.runInit(inst.ctx, inst)
		if stopped := h.wd.disarm(inst, s); stopped != 0 || callErr != nil {
			err = h.classify(ctx, f, inst, fn, callErr, stopped)
		}
	} else { // TimeoutContext
		cctx, cancel := context.WithTimeout(&instanceContext{Context: ctx, inst: inst}, h.limits.InvocationTimeout)
		fn, callErr := f.runInit(cctx, inst)
		cancel()
		if callErr != nil {
			err = h.classify(ctx, f, inst, fn, callErr, 0)
		}
	}
	if err != nil {
		inst.discard()
	}
	return err
}

// runInit calls each init function of inst in order and returns the name
// of the one that failed, or of the last.
func (f *Flare) runInit(ctx context.Context, inst *instance) (string, error) {
	name := ""
	for _, fn := range f.initFuncs {
		name = fn.name
		if _, err := inst.mod.ExportedFunction(fn.export).Call(ctx); err != nil {
			return name, err
		}
	}
	return name, nil
}

// Warm instantiates instances until the pool holds at least n idle ones
// (capped by Config.MaxIdle), so that n concurrent invocations find an
// instance ready. Runners call it with their worker count before measuring.
// It stops, with ctx's error, when ctx is done.
func (f *Flare) Warm(ctx context.Context, n int) error {
	n = min(n, f.h.maxIdle)
	for {
		if f.closed.Load() {
			return ErrClosed
		}
		if f.Idle() >= n {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		inst, err := f.instantiate(ctx)
		if err != nil {
			return err
		}
		f.put(inst)
	}
}

// get takes an idle instance, its P's own first, instantiating one only
// when the pool is empty.
func (f *Flare) get(ctx context.Context) (*instance, error) {
	if f.closed.Load() {
		return nil, ErrClosed
	}
	p, n := f.shard(), len(f.shards)
	for i := 0; i < n; i++ {
		sh := &f.shards[(p+i)%n]
		if sh.n.Load() == 0 {
			continue
		}
		sh.mu.Lock()
		if k := len(sh.idle); k > 0 {
			inst := sh.idle[k-1]
			sh.idle[k-1] = nil
			sh.idle = sh.idle[:k-1]
			sh.n.Store(int64(k - 1))
			sh.mu.Unlock()
			return inst, nil
		}
		sh.mu.Unlock()
	}
	return f.instantiate(ctx)
}

// put returns a healthy instance to its P's shard, or discards it when
// the pool holds MaxIdle, the flare closed or its memory grew past the
// threshold.
func (f *Flare) put(inst *instance) {
	if inst.mem.Size()/pageSize > f.maxPages {
		inst.discard()
		return
	}
	p := f.shard()
	sh := &f.shards[p]
	sh.mu.Lock()
	// drain marks the flare closed before it empties each shard under its
	// lock: a put that gets the lock after that sees the mark. live is read
	// under the lock too: a put counting under every lock (below) has
	// raised it before, so this put then counts as well.
	if f.closed.Load() {
		sh.mu.Unlock()
		inst.discard()
		return
	}
	if f.live.Load() <= int64(f.h.maxIdle) {
		sh.idle = append(sh.idle, inst)
		sh.n.Store(int64(len(sh.idle)))
		sh.mu.Unlock()
		return
	}
	sh.mu.Unlock()
	// More instances than MaxIdle exist (peak concurrency past it): count
	// the idle ones exactly, every shard locked in index order.
	for i := range f.shards {
		f.shards[i].mu.Lock()
	}
	idle := 0
	for i := range f.shards {
		idle += len(f.shards[i].idle)
	}
	keep := !f.closed.Load() && idle < f.h.maxIdle
	if keep {
		sh.idle = append(sh.idle, inst)
		sh.n.Store(int64(len(sh.idle)))
	}
	for i := range f.shards {
		f.shards[i].mu.Unlock()
	}
	if !keep {
		inst.discard()
	}
}

// Idle returns the number of idle pooled instances (for tests and reports).
func (f *Flare) Idle() int {
	n := int64(0)
	for i := range f.shards {
		n += f.shards[i].n.Load()
	}
	return int(n)
}

func (f *Flare) drain(ctx context.Context) {
	f.closed.Store(true)
	for i := range f.shards {
		sh := &f.shards[i]
		sh.mu.Lock()
		idle := sh.idle
		sh.idle = nil
		sh.n.Store(0)
		sh.mu.Unlock()
		for _, inst := range idle {
			inst.discard()
		}
	}
	_ = f.compiled.Close(ctx)
}
