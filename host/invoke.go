package host

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tetratelabs/wazero/sys"

	"github.com/sparkbench/sparkbench/internal/clock"
)

// Invoke runs f's handle_request for req on a pooled instance and returns
// the flare's response. It is safe for concurrent use. A failed invocation
// returns a classified error (ErrTrap, ErrTimeout, ErrABIViolation,
// ErrAllocFailed, ErrMemoryLimit; test with errors.Is) wrapped as
// "flare[NAME] ...", and its instance is discarded; the flare keeps serving
// on other instances.
//
// In TimeoutWatchdog and TimeoutNone modes ctx is checked before the guest
// starts and passed to pull transports, but the guest itself is bounded by
// Limits.InvocationTimeout, not by ctx.
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
	killed := false
	switch {
	case h.wd != nil:
		s := h.wd.arm(inst)
		callErr = inst.handle.CallWithStack(inst.ctx, inst.stack[:])
		killed = !h.wd.disarm(inst, s)
	case h.mode == TimeoutContext:
		cctx, cancel := context.WithTimeout(&instanceContext{Context: ctx, inst: inst}, h.limits.InvocationTimeout)
		callErr = inst.handle.CallWithStack(cctx, inst.stack[:])
		cancel()
	default:
		callErr = inst.handle.CallWithStack(inst.ctx, inst.stack[:])
	}
	result := inst.stack[0]

	err = nil
	switch {
	case killed || callErr != nil:
		err = h.classify(f, inst, callErr, killed)
	default:
		resp.Action = Action(result >> 32)
		if resp.Action < ActionRespond || resp.Action > ActionPassthrough {
			err = fmt.Errorf("flare[%s] handle_request: %w: returned action %d (want 1 respond, 2 transform, 3 passthrough)",
				f.name, ErrABIViolation, resp.Action)
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

// classify turns the error of a failed call into a classified error.
func (h *Host) classify(f *Flare, inst *instance, callErr error, killed bool) error {
	// A stopped guest may trap anywhere, even inside a nested alloc call:
	// the watchdog's verdict comes first.
	var exit *sys.ExitError
	if killed || (errors.As(callErr, &exit) && exit.ExitCode() == exitCodeTimeout) {
		return fmt.Errorf("flare[%s] handle_request: %w: stopped after %v", f.name, ErrTimeout, h.limits.InvocationTimeout)
	}
	if inst.inv.abort != nil {
		return fmt.Errorf("flare[%s] %w", f.name, inst.inv.abort)
	}
	if exit != nil {
		switch exit.ExitCode() {
		case sys.ExitCodeDeadlineExceeded:
			return fmt.Errorf("flare[%s] handle_request: %w: stopped after %v", f.name, ErrTimeout, h.limits.InvocationTimeout)
		case sys.ExitCodeContextCanceled:
			return fmt.Errorf("flare[%s] handle_request: %w", f.name, context.Canceled)
		}
		return fmt.Errorf("flare[%s] handle_request: %w: exited with code %d", f.name, ErrTrap, exit.ExitCode())
	}
	msg := firstLine(callErr.Error())
	// A guest that traps with its memory at the cap almost always trapped
	// because memory.grow was refused there.
	if inst.mem.Size()/pageSize >= h.limits.MaxMemoryPages {
		return fmt.Errorf("flare[%s] handle_request: %w: memory at the cap of %d pages: %s",
			f.name, ErrMemoryLimit, h.limits.MaxMemoryPages, msg)
	}
	return fmt.Errorf("flare[%s] handle_request: %w: %s", f.name, ErrTrap, msg)
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
