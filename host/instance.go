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
	stop   api.MutableGlobal // TimeoutWatchdog: the stopcheck flag
	fuel   api.MutableGlobal // TimeoutWatchdog: the stopcheck fuel counter

	stack      [1]uint64 // handle_request: no params, one i64 result
	allocStack [1]uint64 // alloc: one i32 param, one i32 result
	inAlloc    bool      // guards against a guest alloc that re-enters the host
	lastBind   *binding  // the (node, site) of the previous invocation
	discarded  bool

	// wd is the watchdog word: 0 idle, else startTick<<2 | armed (| killed).
	wd atomic.Uint64

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
	abort    error  // why a host function aborted the invocation
	spare    []byte // storage for the response body (len 0), may be nil
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
func instanceFrom(ctx context.Context) *instance {
	if c, ok := ctx.(*instanceContext); ok {
		return c.inst
	}
	inst, _ := ctx.Value(instanceKey{}).(*instance)
	return inst
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
