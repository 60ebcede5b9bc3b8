package host

import (
	"context"
	"sync/atomic"

	"github.com/tetratelabs/wazero/api"
)

// instance is one pooled guest instance with its cached export handles and
// the state of the invocation it is serving.
type instance struct {
	flare  *Flare
	h      *Host
	mod    api.Module
	mem    api.Memory
	alloc  api.Function
	handle api.Function
	ctx    context.Context   // *instanceContext, built once, no Done channel
	stop   api.MutableGlobal // TimeoutWatchdog: the guard's stop flag
	fuel   api.MutableGlobal // TimeoutWatchdog: the guard's fuel counter
	// stackLeft is the guard's stack budget left (guard.StackExhausted
	// after the guard trapped).
	stackLeft api.Global

	stack      [1]uint64 // handle_request: no params, one i64 result
	allocStack [1]uint64 // alloc: one i32 param, one i32 result
	inAlloc    bool      // guards against a guest alloc that re-enters the host
	lastBind   *binding  // the (node, site) of the previous invocation
	discarded  bool

	// wd is the watchdog word: 0 idle, else startTick<<wdShift | wdArmed,
	// with the reason the watchdog stopped the call or'ed in.
	wd atomic.Uint64
	// done holds the Done channel (<-chan struct{}) of the context of the
	// call in progress, for the watchdog; lastDone is the last one stored,
	// so that a worker invoking with the same context stores nothing.
	done     atomic.Value
	lastDone <-chan struct{}

	// lastLog is the last log line the guest wrote in this call (when
	// inv.logLines > 0; kept even past the cap), lastLogFn its function: a
	// trap that follows names it, as Rust's and Zig's panic handlers log
	// their message and then trap. The buffer is reused.
	lastLog   []byte
	lastLogFn string

	inv invocation
}

// invocation is the per-invocation state, reset by Invoke.
type invocation struct {
	b        *binding
	req      *Request
	resp     *Response
	obs      Observer
	ctx      context.Context // the caller's context (pull transport)
	reads    int
	writes   int
	pulls    int
	logLines int
	// headerBytes counts the response headers against
	// MaxResponseHeaderBytes.
	headerBytes int
	abort       error  // why a host function aborted the invocation: *GuestError, or ErrClosed
	spare       []byte // storage for the response body (len 0), may be nil
}

// instanceContext carries the instance to the host functions. It is built
// once per instance and reused by every call, so finding the state costs one
// interface method call and no allocation.
type instanceContext struct {
	context.Context
	inst *instance
}

type instanceKey struct{}

// Value implements context.Context.
func (c *instanceContext) Value(key any) any {
	if _, ok := key.(instanceKey); ok {
		return c.inst
	}
	return c.Context.Value(key)
}

// instanceFrom returns the instance a host function runs for. wazero hands
// host functions the context the guest was called with: in every mode but
// TimeoutContext that is the instance's own *instanceContext, found by one
// type check instead of an interface call and a key comparison.
//
// After Host.Close a guest still running (one nothing could stop, in
// TimeoutNone mode) is failed with ErrClosed at its next host call.
func instanceFrom(ctx context.Context) *instance {
	inst, ok := ctx.(*instanceContext)
	if !ok {
		i, _ := ctx.Value(instanceKey{}).(*instance)
		return i.open()
	}
	return inst.inst.open()
}

// open fails the call in progress if the host closed.
func (inst *instance) open() *instance {
	if inst.h.shut.Load() {
		inst.inv.abort = ErrClosed
		panic(ErrClosed)
	}
	return inst
}

// watch makes the context of the call about to start known to the
// watchdog, which stops the call when it is done.
func (inst *instance) watch(ctx context.Context) {
	if d := ctx.Done(); d != inst.lastDone {
		inst.lastDone = d
		inst.done.Store(d)
	}
}

// discard closes the instance for good.
func (inst *instance) discard() {
	if inst.discarded {
		return
	}
	inst.discarded = true
	inst.flare.live.Add(-1)
	if inst.h.wd != nil {
		inst.h.wd.unregister(inst)
	}
	_ = inst.mod.Close(context.Background())
}
