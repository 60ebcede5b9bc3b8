package host

import (
	"context"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/host/internal/abi"
)

const hostileDir = "testdata/hostile/"

func u32s(vs ...uint32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b
}

// mustStillServe proves the host keeps serving after a hostile invocation:
// builtin:counter answers on the same host.
func mustStillServe(t *testing.T, e *env) {
	t.Helper()
	resp, err := e.h.Invoke(context.Background(), e.flare("counter"), &Request{
		Node: "edge-a", Site: "blog.example", Method: "GET", URL: "https://blog.example/",
		Headers: [][2]string{{"x-counter-key", "alive"}},
	})
	if err != nil || resp.Status != 200 {
		t.Fatalf("counter after hostile guest: %v %+v", err, resp)
	}
}

func invokeHostile(e *env, f *Flare, req *Request) (*Response, error) {
	if req.Node == "" {
		req.Node = "edge-a"
	}
	if req.Site == "" {
		req.Site = "shop.example"
	}
	if req.Method == "" {
		req.Method, req.URL = "GET", "https://shop.example/"
	}
	return e.h.Invoke(context.Background(), f, req)
}

// allModes are the timeout modes, default first.
var allModes = []TimeoutMode{TimeoutWatchdog, TimeoutContext, TimeoutClose, TimeoutNone}

// hostileCase is one hostile fixture invoked in every timeout mode.
type hostileCase struct {
	fixture string
	req     Request
	wantErr error
	detail  string // the GuestError's Detail
	// runaway: the fixture never returns by itself; TimeoutNone has no
	// invocation timeout to stop it (TestCancelStopsGuests and
	// TestCloseStopsGuests stop it by its context and by Close).
	runaway bool
	check   func(t *testing.T, e *env, resp *Response)
}

var hostileCases = []hostileCase{
	{fixture: "trap", wantErr: ErrTrap, detail: "unreachable"},
	{fixture: "div_zero", wantErr: ErrTrap, detail: "integer divide by zero"},
	{fixture: "rust_panic", wantErr: ErrTrap, detail: `unreachable after log_error "panicked at src/lib.rs:3:5: boom"`},
	{fixture: "as_throw", wantErr: ErrTrap, detail: `env.abort: "boom" at assembly/index.ts:7:5`},
	{fixture: "deep_recursion", wantErr: ErrTrap, detail: "stack exhausted"},
	{fixture: "deep_recursion_frames", wantErr: ErrTrap, detail: "stack exhausted"},
	{fixture: "indirect_recursion", wantErr: ErrTrap, detail: "stack exhausted"},
	{fixture: "memory_bomb", wantErr: ErrMemoryLimit, detail: "unreachable with memory at the cap of 256 pages"},
	{fixture: "bad_action", wantErr: ErrABIViolation, detail: "unknown action 7"},
	{fixture: "alloc_trap", wantErr: ErrAllocFailed, detail: "req_url: alloc: unreachable"},
	{fixture: "alloc_oob", req: Request{Method: "GET", URL: "abc"}, wantErr: ErrABIViolation, detail: "req_url: alloc returned a block outside guest memory"},
	{fixture: "alloc_oob", req: Request{Method: "GET", URL: "abcd"}, wantErr: ErrABIViolation, detail: "req_url: alloc returned a block outside guest memory"},
	{fixture: "alloc_oob", req: Request{Method: "GET", URL: "abcde"}, wantErr: ErrABIViolation, detail: "req_url: alloc returned a block outside guest memory"},
	{fixture: "abi_oob", req: Request{Body: u32s(8, 2)}, wantErr: ErrABIViolation, detail: "spark_set: key outside guest memory"},
	{fixture: "infinite_loop", wantErr: ErrTimeout, detail: "stopped after 100ms", runaway: true},
	{fixture: "hostcall_loop", wantErr: ErrTimeout, detail: "stopped after 100ms", runaway: true},
	{fixture: "alloc_loop", wantErr: ErrTimeout, detail: "stopped after 100ms", runaway: true},
	{fixture: "alloc_reentrant", check: func(t *testing.T, e *env, resp *Response) {
		// The host serves a host call made from inside alloc (it
		// counts as a write of the invocation like any other).
		wantHeaders(t, resp, "x-reentrant-code", "0", "x-r", "hit")
	}},
	{fixture: "log_flood", check: func(t *testing.T, e *env, resp *Response) {
		if resp.Status != 200 {
			t.Errorf("status %d, want 200", resp.Status)
		}
	}},
	{fixture: "alloc_zero", check: func(t *testing.T, e *env, resp *Response) {
		if v, _ := resp.Header("x-results"); resp.Status != 200 || v != "0" {
			t.Errorf("status %d x-results %q, want 200 and 0", resp.Status, v)
		}
	}},
	{fixture: "spark_set_10k", check: func(t *testing.T, e *env, resp *Response) {
		wantHeaders(t, resp, "x-ok", "100", "x-write-limit", "9900", "x-other", "0")
		keys := e.stores["edge-a"].Site("shop.example").List()
		if len(keys) != 100 || keys[0] != "h0000" || keys[99] != "h0099" {
			t.Errorf("keys after 10k sets: %d (%v...)", len(keys), keys[:min(3, len(keys))])
		}
	}},
	{fixture: "spark_set_10k", req: Request{Site: "readonly.example"}, check: func(t *testing.T, e *env, resp *Response) {
		wantHeaders(t, resp, "x-ok", "0", "x-other", "10000", "x-first-other", "9")
		if n := len(e.stores["edge-a"].Site("readonly.example").List()); n != 0 {
			t.Errorf("%d keys written without the capability", n)
		}
	}},
	{fixture: "spark_set_10k", req: Request{Node: "edge-off"}, check: func(t *testing.T, e *env, resp *Response) {
		wantHeaders(t, resp, "x-ok", "0", "x-other", "10000", "x-first-other", "5")
	}},
	{fixture: "big_value", check: func(t *testing.T, e *env, resp *Response) {
		wantHeaders(t, resp, "x-code", "2", "x-after", "miss")
	}},
	{fixture: "big_value", req: Request{Body: u32s(65536)}, check: func(t *testing.T, e *env, resp *Response) {
		wantHeaders(t, resp, "x-code", "0", "x-after", "hit")
	}},
	{fixture: "big_value", req: Request{Body: u32s(65537)}, check: func(t *testing.T, e *env, resp *Response) {
		wantHeaders(t, resp, "x-code", "2", "x-after", "miss")
	}},
	{fixture: "table_grow", check: func(t *testing.T, e *env, resp *Response) {
		wantHeaders(t, resp, "x-refused", "1", "x-size", "1") // 100M elements refused
	}},
	{fixture: "table_grow", req: Request{Body: u32s(1000)}, check: func(t *testing.T, e *env, resp *Response) {
		// The instance goes back to the pool: the second round grows it again.
		if size := headerOf(resp, "x-size"); headerOf(resp, "x-refused") != "0" || size != "1001" && size != "2001" {
			t.Errorf("x-refused %q, x-size %q: want 0 and 1001 (2001 the second time)", headerOf(resp, "x-refused"), size)
		}
	}},
	{fixture: "header_flood", wantErr: ErrMemoryLimit, detail: "resp_header_set: response headers over 128 KiB"},
	{fixture: "plasma_flood", check: func(t *testing.T, e *env, resp *Response) {
		wantHeaders(t, resp, "x-code", "2", "x-count", "1023")
		if used := e.h.plasma.Used(); used > 64<<20 {
			t.Errorf("plasma holds %d bytes, past its 64 MiB", used)
		}
	}},
	{fixture: "start_hostcall", check: func(t *testing.T, e *env, resp *Response) {
		wantHeaders(t, resp, "x-start-url", "0", "x-start-get", "0")
	}},
}

// TestHostileGuests invokes every hostile fixture in every timeout mode:
// each failure is one classified *GuestError with its stable Detail, the
// instance is discarded and the flare and host keep serving.
func TestHostileGuests(t *testing.T) {
	for _, tc := range hostileCases {
		for _, mode := range allModes {
			name := tc.fixture + "/" + mode.String()
			if len(tc.req.Body) > 0 || tc.req.Site != "" || tc.req.Node != "" || tc.req.URL != "" {
				name += "/" + tc.req.Site + tc.req.Node + tc.req.URL + strconv.Itoa(len(tc.req.Body))
			}
			t.Run(name, func(t *testing.T) {
				if tc.runaway && mode == TimeoutNone {
					t.Skip("mode none has no invocation timeout: TestCancelStopsGuests and TestCloseStopsGuests stop it")
				}
				testHostileGuest(t, tc, mode)
			})
		}
	}
}

func testHostileGuest(t *testing.T, tc hostileCase, mode TimeoutMode) {
	o := defaultEnvOptions()
	o.mode = mode
	o.limits.InvocationTimeout = 3 * time.Second
	if tc.wantErr == ErrTimeout {
		o.limits.InvocationTimeout = 100 * time.Millisecond
	}
	e := newEnv(t, o)
	f := e.load(hostileDir + tc.fixture + ".wasm")
	rec := newRecorder()
	for round := 0; round < 2; round++ { // the flare keeps serving on fresh instances
		req := tc.req
		req.Observer = rec
		start := time.Now()
		resp, err := invokeHostile(e, f, &req)
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("invocation took %v", took)
		}
		if tc.wantErr == nil {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if tc.check != nil {
				tc.check(t, e, resp)
			}
			continue
		}
		if !errors.Is(err, tc.wantErr) {
			t.Fatalf("round %d: err = %v, want %v", round, err, tc.wantErr)
		}
		var ge *GuestError
		if !errors.As(err, &ge) {
			t.Fatalf("round %d: %T %v is not a *GuestError", round, err, err)
		}
		if ge.Flare != tc.fixture || ge.Func != "handle_request" || ge.Kind != KindOf(tc.wantErr) || ge.Detail != tc.detail {
			t.Errorf("round %d: GuestError{Flare %q, Func %q, Kind %v, Detail %q}, want {%q, handle_request, %v, %q}",
				round, ge.Flare, ge.Func, ge.Kind, ge.Detail, tc.fixture, KindOf(tc.wantErr), tc.detail)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "flare["+tc.fixture+"] handle_request: "+KindOf(tc.wantErr).String()+": "+tc.detail) || strings.Contains(msg, "\n") {
			t.Errorf("error is not one line naming flare, function, kind and detail: %q", msg)
		}
		if resp != nil {
			t.Errorf("response %+v with error", resp)
		}
	}
	if tc.wantErr != nil {
		if got := rec.calls[OpInvocation][int32(KindOf(tc.wantErr))+100]; got != 2 {
			t.Errorf("observer saw %d invocations with outcome %v, want 2 (%v)", got, KindOf(tc.wantErr), rec.calls[OpInvocation])
		}
	}
	if tc.fixture == "hostcall_loop" && rec.refused[LimitReads] == 0 {
		t.Errorf("hostcall_loop: no refused reads recorded")
	}
	if tc.wantErr == ErrTimeout && rec.refused[LimitTimeout] != 2 {
		t.Errorf("timeouts recorded as refused: %d, want 2", rec.refused[LimitTimeout])
	}
	mustStillServe(t, e)
}

func wantHeaders(t *testing.T, resp *Response, kv ...string) {
	t.Helper()
	if resp == nil {
		t.Fatalf("no response")
	}
	for i := 0; i < len(kv); i += 2 {
		if v, _ := resp.Header(kv[i]); v != kv[i+1] {
			t.Errorf("%s = %q, want %q (status %d, headers %v)", kv[i], v, kv[i+1], resp.Status, resp.Headers)
		}
	}
}

// TestABIOutOfBounds passes out-of-bounds (ptr, len) pairs to every host
// function that takes one, in every form: each call must abort the
// invocation with ErrABIViolation and write nothing.
func TestABIOutOfBounds(t *testing.T) {
	e := newEnv(t, defaultEnvOptions())
	f := e.load(hostileDir + "abi_oob.wasm")
	ctx := context.Background()
	twoPairs := map[string]bool{"resp_header_set": true, "spark_set": true, "spark_pull": true, "plasma_set": true, "beam_fetch": true}
	for sel, fn := range abi.FlaronV1 {
		pointers := 0
		for i := 0; i+1 < len(fn.Params); i++ {
			if fn.Params[i] == fn.Params[i+1] && fn.Params[i] == 0x7f { // i32, i32
				pointers++
				i++
			}
		}
		modes := []uint32{0, 1, 2, 3, 4}
		if twoPairs[fn.Name] {
			modes = append(modes, 16, 17, 18, 19, 20)
		}
		for _, mode := range modes {
			resp, err := invokeHostile(e, f, &Request{Body: u32s(uint32(sel), mode)})
			if pointers == 0 || fn.Name == "id_nanoid" || fn.Name == "crypto_random_bytes" || fn.Name == "resp_set_status" || fn.Name == "ws_close_conn" {
				if err != nil || resp.Status != 400 {
					t.Errorf("%s (no pointer): %v %+v, want 400", fn.Name, err, resp)
				}
				continue
			}
			if !errors.Is(err, ErrABIViolation) {
				t.Errorf("%s mode %d: err = %v, want abi_violation", fn.Name, mode, err)
				continue
			}
			if !strings.Contains(err.Error(), fn.Name) {
				t.Errorf("%s mode %d: error does not name the function: %v", fn.Name, mode, err)
			}
		}
	}
	for _, node := range []string{"edge-a", "edge-b"} {
		if keys := e.stores[node].Site("shop.example").List(); len(keys) != 0 {
			t.Errorf("%s: keys written by refused calls: %v", node, keys)
		}
	}
	_ = ctx
	if v, ok := e.h.plasma.Get([]byte("k")); ok {
		t.Errorf("plasma k written by a refused call: %q", v)
	}
	mustStillServe(t, e)
}
