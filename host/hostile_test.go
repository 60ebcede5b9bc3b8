package host

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
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

func TestHostileGuests(t *testing.T) {
	tests := []struct {
		fixture string
		mode    TimeoutMode
		req     Request
		wantErr error
		check   func(t *testing.T, e *env, resp *Response)
	}{
		{fixture: "trap", wantErr: ErrTrap},
		{fixture: "deep_recursion", wantErr: ErrTrap},
		{fixture: "memory_bomb", wantErr: ErrMemoryLimit},
		{fixture: "bad_action", wantErr: ErrABIViolation},
		{fixture: "alloc_trap", wantErr: ErrAllocFailed},
		{fixture: "alloc_oob", req: Request{Method: "GET", URL: "abc"}, wantErr: ErrABIViolation},
		{fixture: "alloc_oob", req: Request{Method: "GET", URL: "abcd"}, wantErr: ErrABIViolation},
		{fixture: "alloc_oob", req: Request{Method: "GET", URL: "abcde"}, wantErr: ErrABIViolation},
		{fixture: "infinite_loop", mode: TimeoutWatchdog, wantErr: ErrTimeout},
		{fixture: "infinite_loop", mode: TimeoutContext, wantErr: ErrTimeout},
		{fixture: "infinite_loop", mode: TimeoutClose, wantErr: ErrTimeout},
		{fixture: "hostcall_loop", mode: TimeoutWatchdog, wantErr: ErrTimeout},
		{fixture: "hostcall_loop", mode: TimeoutContext, wantErr: ErrTimeout},
		{fixture: "hostcall_loop", mode: TimeoutClose, wantErr: ErrTimeout},
		{fixture: "trap", mode: TimeoutNone, wantErr: ErrTrap},
		{fixture: "alloc_trap", mode: TimeoutContext, wantErr: ErrAllocFailed},
		{fixture: "alloc_trap", mode: TimeoutClose, wantErr: ErrAllocFailed},
		{fixture: "alloc_loop", mode: TimeoutWatchdog, wantErr: ErrTimeout},
		{fixture: "alloc_loop", mode: TimeoutContext, wantErr: ErrTimeout},
		{fixture: "alloc_loop", mode: TimeoutClose, wantErr: ErrTimeout},
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
	}
	for _, tc := range tests {
		name := tc.fixture + "/" + tc.mode.String()
		if len(tc.req.Body) > 0 || tc.req.Site != "" || tc.req.Node != "" || tc.req.URL != "" {
			name += "/" + tc.req.Site + tc.req.Node + tc.req.URL + strconv.Itoa(len(tc.req.Body))
		}
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat(hostileDir + tc.fixture + ".wasm"); err != nil {
				t.Skipf("fixture not present: %v", err)
			}
			o := defaultEnvOptions()
			o.mode = tc.mode
			// Reaching wazero's stack overflow takes a few hundred ms
			// (deep_recursion); runaway fixtures get a short timeout.
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
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) {
						t.Fatalf("round %d: err = %v, want %v", round, err, tc.wantErr)
					}
					if !strings.HasPrefix(err.Error(), "flare["+tc.fixture+"] ") || strings.Contains(err.Error(), "\n") {
						t.Errorf("error is not one line starting with flare[%s]: %q", tc.fixture, err)
					}
					if resp != nil {
						t.Errorf("response %+v with error", resp)
					}
				} else if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				if tc.check != nil {
					tc.check(t, e, resp)
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
		})
	}
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

func TestLoadRefusesIncompatibleModules(t *testing.T) {
	tests := []struct {
		fixture string
		wantErr error
		mention []string
	}{
		{"missing_alloc", ErrIncompatible, []string{"alloc"}},
		{"wrong_signature", ErrIncompatible, []string{"flaron/v1.spark_get", "(i32) -> i64", "(i32,i32) -> i64"}},
		{"unknown_import", ErrIncompatible, []string{"flaron/v1.spark_frobnicate"}},
		{"huge_memory", ErrMemoryLimit, []string{"1024"}},
	}
	e := newEnv(t, defaultEnvOptions())
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			wasm, err := os.ReadFile(hostileDir + tc.fixture + ".wasm")
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.h.Load(context.Background(), tc.fixture, wasm)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Load: %v, want %v", err, tc.wantErr)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "flare["+tc.fixture+"] load: ") {
				t.Errorf("not one line naming the flare: %q", msg)
			}
			for _, m := range tc.mention {
				if !strings.Contains(msg, m) {
					t.Errorf("%q does not mention %q", msg, m)
				}
			}
		})
	}
	for _, junk := range [][]byte{[]byte("not wasm"), []byte("\x00asm\x01\x00\x00\x00\x0a\xff")} {
		_, err := e.h.Load(context.Background(), "junk", junk)
		if err == nil || !strings.HasPrefix(err.Error(), "flare[junk] load: compile: ") {
			t.Errorf("Load of junk %q: %v, want a compile error", junk, err)
		}
	}
	mustStillServe(t, e)
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

// TestInitializeTimeout: a runaway _initialize is stopped at Load.
func TestInitializeTimeout(t *testing.T) {
	for _, mode := range []TimeoutMode{TimeoutWatchdog, TimeoutContext, TimeoutClose} {
		t.Run(mode.String(), func(t *testing.T) {
			o := defaultEnvOptions()
			o.mode = mode
			o.limits.InvocationTimeout = 100 * time.Millisecond
			e := newEnv(t, o)
			wasm, err := os.ReadFile("testdata/init_loop.wasm")
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = e.h.Load(context.Background(), "init_loop", wasm)
			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("Load: %v, want timeout", err)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Load took %v", took)
			}
			mustStillServe(t, e)
		})
	}
}
