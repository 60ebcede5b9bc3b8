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
	"github.com/tetratelabs/wazero/sys"

	"github.com/sparkbench/sparkbench/host/internal/abi"
	"github.com/sparkbench/sparkbench/host/internal/stopcheck"
	"github.com/sparkbench/sparkbench/internal/procpin"
)

// Flare is a compiled flaron/v1 module with its pool of idle instances.
type Flare struct {
	name      string
	h         *Host
	compiled  wazero.CompiledModule
	hasInit   bool   // exports _initialize (reactor module)
	initPages uint32 // memory pages right after instantiation
	maxPages  uint32 // recycle an instance whose memory grew past this

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
// module is refused with one line naming the import or export at fault.
func (h *Host) Load(ctx context.Context, name string, wasm []byte) (*Flare, error) {
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("flare[%s] load: %w", name, ErrClosed)
	}
	if h.mode == TimeoutWatchdog {
		instrumented, err := stopcheck.Instrument(wasm)
		if err != nil {
			// Junk or invalid input: let the compiler say what is wrong.
			c, cerr := h.rt.CompileModule(ctx, wasm)
			if cerr != nil {
				return nil, fmt.Errorf("flare[%s] load: compile: %w", name, cerr)
			}
			_ = c.Close(ctx)
			return nil, fmt.Errorf("flare[%s] load: instrument for timeouts (timeout mode context can run it): %w", name, err)
		}
		wasm = instrumented
	}
	compiled, err := h.rt.CompileModule(ctx, wasm)
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
	_, hasInit := compiled.ExportedFunctions()["_initialize"]
	f := &Flare{name: name, h: h, compiled: compiled, hasInit: hasInit,
		shards: make([]poolShard, max(1, runtime.GOMAXPROCS(0)))}

	// The first instance proves the module instantiates (start code, memory
	// cap) and fixes the recycling threshold.
	first, err := f.instantiate(ctx)
	if err != nil {
		_ = compiled.Close(ctx)
		return nil, fmt.Errorf("flare[%s] load: %w", name, err)
	}
	f.initPages = first.mem.Size() / pageSize
	f.maxPages = recycleThreshold(f.initPages, h.limits.MaxMemoryPages)
	f.put(first)
	if err := f.Warm(ctx, h.poolSize); err != nil {
		f.drain(ctx)
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
// but _initialize for reactor modules, export handles cached.
func (f *Flare) instantiate(ctx context.Context) (*instance, error) {
	inst := &instance{flare: f, h: f.h}
	inst.ctx = &instanceContext{Context: context.Background(), inst: inst}
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions()
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
	if f.h.mode == TimeoutWatchdog {
		stop, ok1 := mod.ExportedGlobal(stopcheck.ExportName).(api.MutableGlobal)
		fuel, ok2 := mod.ExportedGlobal(stopcheck.FuelExportName).(api.MutableGlobal)
		if !ok1 || !ok2 {
			inst.discard()
			return nil, fmt.Errorf("instantiate: no %s global", stopcheck.ExportName)
		}
		inst.stop, inst.fuel = stop, fuel
	}
	if f.h.wd != nil {
		f.h.wd.register(inst)
	}
	if f.hasInit {
		// _initialize runs under the invocation timeout too.
		var err error
		killed := false
		init := mod.ExportedFunction("_initialize")
		if f.h.wd != nil {
			s := f.h.wd.arm(inst)
			_, err = init.Call(inst.ctx)
			killed = !f.h.wd.disarm(inst, s)
		} else if f.h.mode == TimeoutContext {
			cctx, cancel := context.WithTimeout(inst.ctx, f.h.limits.InvocationTimeout)
			_, err = init.Call(cctx)
			cancel()
		} else {
			_, err = init.Call(inst.ctx)
		}
		if killed || err != nil {
			inst.discard()
			var exit *sys.ExitError
			if killed || errors.As(err, &exit) && exit.ExitCode() == sys.ExitCodeDeadlineExceeded {
				return nil, fmt.Errorf("instantiate: _initialize: %w: stopped after %v", ErrTimeout, f.h.limits.InvocationTimeout)
			}
			return nil, fmt.Errorf("instantiate: _initialize: %w: %s", ErrTrap, firstLine(err.Error()))
		}
	}
	return inst, nil
}

// Warm instantiates instances until the pool holds at least n idle ones
// (capped by Config.MaxIdle), so that n concurrent invocations find an
// instance ready. Runners call it with their worker count before measuring.
func (f *Flare) Warm(ctx context.Context, n int) error {
	n = min(n, f.h.maxIdle)
	for {
		if f.closed.Load() {
			return ErrClosed
		}
		if f.Idle() >= n {
			return nil
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
