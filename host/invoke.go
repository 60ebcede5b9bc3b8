package host

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/sys"

	"github.com/sparkbench/sparkbench/host/internal/guard"
	"github.com/sparkbench/sparkbench/internal/clock"
)

// Invoke runs f's handle_request for req on a pooled instance and returns
// the flare's response. It is safe for concurrent use. A failed invocation
// returns a *GuestError (its Kind and Detail say what failed; errors.Is
// matches ErrTrap, ErrTimeout, ErrABIViolation, ErrAllocFailed or
// ErrMemoryLimit) and its instance is discarded; the flare keeps serving
// on other instances.
//
// The guest is stopped after Limits.InvocationTimeout (not in TimeoutNone
// mode), within about a second of ctx being done (the error then wraps
// ctx's error), and by Close.
func (h *Host) Invoke(ctx context.Context, f *Flare, req *Request) (*Response, error) {
	ra := &responseAlloc{}
	resp := &ra.Response
	resp.Headers = ra.headers[:0]
	if err := h.invoke(ctx, f, req, resp, ra.body[:0]); err != nil {
		return nil, err
	}
	return resp, nil
}

// InvokeInto is Invoke writing the flare's response into resp, whose
// Headers and Body storage it reuses: a caller that keeps one Response per
// worker invokes without allocating a response. Everything resp held
// before is overwritten (do not retain its Headers or Body across calls).
// On error resp holds no response (its fields are reset).
func (h *Host) InvokeInto(ctx context.Context, f *Flare, req *Request, resp *Response) error {
	if resp == nil {
		return fmt.Errorf("host: invoke: nil response: %w", ErrBadConfig)
	}
	headers, body := resp.Headers[:0], resp.Body[:0]
	clear(headers[:cap(headers)]) // drop the previous strings
	*resp = Response{Headers: headers}
	err := h.invoke(ctx, f, req, resp, body)
	if err != nil {
		*resp = Response{Headers: headers}
	}
	return err
}

// invoke runs one invocation into resp (Headers empty, Status unset);
// spare is storage respBodySet may use for the body.
func (h *Host) invoke(ctx context.Context, f *Flare, req *Request, resp *Response, spare []byte) error {
	if f == nil {
		return fmt.Errorf("host: invoke: %w", ErrUnknownFlare)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("flare[%s] invoke: %w", f.name, err)
	}
	obs := req.Observer
	var t0 time.Duration
	if obs != nil {
		t0 = clock.Now()
	}
	inst, b, err := h.acquire(ctx, f, req)
	if err != nil {
		if obs != nil {
			obs.ObserveCall(OpInvocation, KindOf(err).Code(), clock.Since(t0))
		}
		return err
	}
	resp.Status = 200
	inv := &inst.inv
	*inv = invocation{b: b, req: req, resp: resp, obs: obs, ctx: ctx, spare: spare}

	var callErr error
	stopped := uint64(0)
	switch h.mode {
	case TimeoutWatchdog, TimeoutClose:
		inst.watch(ctx)
		s := h.wd.arm(inst)
		callErr = inst.handle.CallWithStack(inst.ctx, inst.stack[:])
		stopped = h.wd.disarm(inst, s)
	case TimeoutContext:
		cctx, cancel := context.WithTimeout(&instanceContext{Context: ctx, inst: inst}, h.limits.InvocationTimeout)
		callErr = inst.handle.CallWithStack(cctx, inst.stack[:])
		cancel()
	default: // TimeoutNone: no timeout, but a done context still stops it
		inst.watch(ctx)
		s := h.wd.armUntimed(inst)
		callErr = inst.handle.CallWithStack(inst.ctx, inst.stack[:])
		stopped = h.wd.disarm(inst, s)
	}
	result := inst.stack[0]

	err = nil
	switch {
	case stopped != 0 || callErr != nil:
		err = h.classify(ctx, f, inst, "handle_request", callErr, stopped)
	default:
		resp.Action = Action(result >> 32)
		if resp.Action < ActionRespond || resp.Action > ActionPassthrough {
			err = &GuestError{Flare: f.name, Func: "handle_request", Kind: KindABIViolation,
				Detail: "unknown action " + strconv.Itoa(int(resp.Action)),
				Info:   "want 1 respond, 2 transform, 3 passthrough"}
		}
	}
	if obs != nil && h.mode != TimeoutNone {
		obs.ObserveLimit(LimitTimeout, errors.Is(err, ErrTimeout))
	}
	if obs != nil && errors.Is(err, ErrMemoryLimit) {
		obs.ObserveLimit(LimitMemory, true)
	}
	inst.inv = invocation{} // drop references to the request and response
	if err != nil {
		inst.discard()
	} else {
		f.put(inst)
	}
	if obs != nil {
		obs.ObserveCall(OpInvocation, KindOf(err).Code(), clock.Since(t0))
	}
	return err
}

// responseAlloc allocates a Response with room for a few headers and a
// short body in one allocation.
type responseAlloc struct {
	Response
	headers [4][2]string
	body    [32]byte
}

// acquire takes an instance and resolves the request's node and site; an
// instance remembers its last binding, so a worker that keeps invoking for
// the same node and site skips the lookup.
func (h *Host) acquire(ctx context.Context, f *Flare, req *Request) (*instance, *binding, error) {
	inst, err := f.get(ctx)
	if err != nil {
		var ge *GuestError
		if errors.As(err, &ge) {
			return nil, nil, err // a new instance's start function or _initialize failed: named already
		}
		return nil, nil, fmt.Errorf("flare[%s] invoke: %w", f.name, err)
	}
	if b := inst.lastBind; b != nil && b.node.id == req.Node && b.site.domain == req.Site {
		return inst, b, nil
	}
	b, err := h.bind(req.Node, req.Site)
	if err != nil {
		f.put(inst)
		return nil, nil, fmt.Errorf("flare[%s] invoke: %w", f.name, err)
	}
	inst.lastBind = b
	return inst, b, nil
}

// classify turns the failure of a call of guest function fn (its error, or
// why the watchdog stopped it) into the error Invoke or Load returns: a
// *GuestError for a failure of the guest, ctx's error wrapped when ctx
// ended the call, ErrClosed wrapped when the host closed.
func (h *Host) classify(ctx context.Context, f *Flare, inst *instance, fn string, callErr error, stopped uint64) error {
	// A stopped guest may trap anywhere, even inside a nested alloc call:
	// the watchdog's verdict comes first.
	switch {
	case stopped&wdTimeout != 0:
		return h.timeoutError(f, fn)
	case stopped&wdCanceled != 0:
		return fmt.Errorf("flare[%s] %s: %w", f.name, fn, context.Cause(ctx))
	case stopped&wdClosed != 0 || h.shut.Load():
		return fmt.Errorf("flare[%s] %s: %w", f.name, fn, ErrClosed)
	}
	if inst.stackLeft != nil && uint32(inst.stackLeft.Get()) == guard.StackExhausted {
		return &GuestError{Flare: f.name, Func: fn, Kind: KindTrap, Detail: "stack exhausted",
			Info: "stack budget " + strconv.FormatUint(uint64(h.limits.MaxStackBytes), 10) + " bytes"}
	}
	if a := inst.inv.abort; a != nil {
		if ge, ok := a.(*GuestError); ok {
			ge.Flare, ge.Func = f.name, fn
			return ge
		}
		return fmt.Errorf("flare[%s] %s: %w", f.name, fn, a)
	}
	var exit *sys.ExitError
	if errors.As(callErr, &exit) {
		switch exit.ExitCode() {
		case exitCodeTimeout, sys.ExitCodeDeadlineExceeded, sys.ExitCodeContextCanceled:
			// TimeoutContext: the deadline, or the caller's context.
			if ctx.Err() != nil {
				return fmt.Errorf("flare[%s] %s: %w", f.name, fn, context.Cause(ctx))
			}
			return h.timeoutError(f, fn)
		}
		return &GuestError{Flare: f.name, Func: fn, Kind: KindTrap, Detail: "exited with code " + strconv.FormatUint(uint64(exit.ExitCode()), 10)}
	}
	msg := trapText(callErr)
	// A guest that traps with its memory at the cap almost always trapped
	// because memory.grow was refused there.
	if inst.mem.Size()/pageSize >= h.limits.MaxMemoryPages {
		return &GuestError{Flare: f.name, Func: fn, Kind: KindMemoryLimit,
			Detail: msg + " with memory at the cap of " + strconv.FormatUint(uint64(h.limits.MaxMemoryPages), 10) + " pages"}
	}
	if msg == "unreachable" && inst.inv.logLines > 0 {
		// A panic handler's message (Rust, Zig): logged, then unreachable.
		msg = "unreachable after " + inst.lastLogFn + " " + strconv.Quote(guestLine(string(inst.lastLog)))
	}
	return &GuestError{Flare: f.name, Func: fn, Kind: KindTrap, Detail: msg}
}

func (h *Host) timeoutError(f *Flare, fn string) error {
	return &GuestError{Flare: f.name, Func: fn, Kind: KindTimeout, Detail: "stopped after " + h.limits.InvocationTimeout.String()}
}

// trapText returns what wazero says of a trap, short: its first line
// without the "wasm error: " prefix ("integer divide by zero").
func trapText(err error) string {
	return shortLine(strings.TrimPrefix(firstLine(err.Error()), "wasm error: "))
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
