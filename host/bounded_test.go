package host

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/flares"
	"github.com/sparkbench/sparkbench/host/internal/guard"
)

// hostileLoad is a hostile fixture that fails at Load.
type hostileLoad struct {
	fixture string
	wantErr error
	fn      string   // the GuestError's Func, for failures of guest code
	detail  string   // its Detail
	mention []string // for refusals: what the message names
}

var hostileLoads = []hostileLoad{
	{fixture: "start_loop", wantErr: ErrTimeout, fn: "start", detail: "stopped after 100ms"},
	{fixture: "initialize_loop", wantErr: ErrTimeout, fn: "_initialize", detail: "stopped after 100ms"},
	{fixture: "start_trap", wantErr: ErrTrap, fn: "start", detail: "integer divide by zero"},
	{fixture: "huge_table", wantErr: ErrModuleLimit, mention: []string{"table 0: 100000000 elements", "limit 65536", "MaxTableElements"}},
	{fixture: "missing_alloc", wantErr: ErrIncompatible, mention: []string{"alloc"}},
	{fixture: "wrong_signature", wantErr: ErrIncompatible, mention: []string{"flaron/v1.spark_get", "(i32) -> i64", "(i32,i32) -> i64"}},
	{fixture: "unknown_import", wantErr: ErrIncompatible, mention: []string{"flaron/v1.spark_frobnicate"}},
	{fixture: "huge_memory", wantErr: ErrMemoryLimit, mention: []string{"memory: 1024 initial pages", "limit 256"}},
}

// TestHostileLoads loads every fixture that must fail at Load, in every
// timeout mode: a refused module gets one line naming what is wrong; a
// start function or _initialize that fails or runs past the timeout a
// *GuestError naming it; the host keeps serving.
func TestHostileLoads(t *testing.T) {
	for _, tc := range hostileLoads {
		for _, mode := range allModes {
			t.Run(tc.fixture+"/"+mode.String(), func(t *testing.T) {
				o := defaultEnvOptions()
				o.mode = mode
				o.limits.InvocationTimeout = 100 * time.Millisecond
				e := newEnv(t, o)
				wasm, err := os.ReadFile(hostileDir + tc.fixture + ".wasm")
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				_, err = e.h.Load(context.Background(), tc.fixture, wasm)
				took := time.Since(start)
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Load: %v, want %v", err, tc.wantErr)
				}
				if took > 3*time.Second {
					t.Errorf("Load took %v", took)
				}
				msg := err.Error()
				if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "flare["+tc.fixture+"] ") {
					t.Errorf("not one line naming the flare: %q", msg)
				}
				if tc.fn != "" {
					var ge *GuestError
					if !errors.As(err, &ge) || ge.Func != tc.fn || ge.Detail != tc.detail {
						t.Errorf("Load: %#v, want a GuestError for %s: %s", err, tc.fn, tc.detail)
					}
				}
				for _, m := range tc.mention {
					if !strings.Contains(msg, m) {
						t.Errorf("%q does not mention %q", msg, m)
					}
				}
				mustStillServe(t, e)
			})
		}
	}
}

func TestLoadRefusesJunk(t *testing.T) {
	e := newEnv(t, defaultEnvOptions())
	for _, junk := range [][]byte{[]byte("not wasm"), []byte("\x00asm\x01\x00\x00\x00\x0a\xff")} {
		_, err := e.h.Load(context.Background(), "junk", junk)
		if err == nil || !strings.HasPrefix(err.Error(), "flare[junk] load: malformed or unsupported module: ") {
			t.Errorf("Load of junk %q: %v, want a malformed module", junk, err)
		}
	}
	mustStillServe(t, e)
}

// flareWith returns a minimal valid flare (memory, alloc, handle_request)
// whose alloc has the given local groups, followed by extra sections.
func flareWith(allocLocals []byte, extra ...[]byte) []byte {
	sec := func(out []byte, id byte, body []byte) []byte {
		out = append(out, id)
		out = binary.AppendUvarint(out, uint64(len(body)))
		return append(out, body...)
	}
	out := []byte("\x00asm\x01\x00\x00\x00")
	out = sec(out, 1, []byte{2, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 0, 1, 0x7e})
	out = sec(out, 3, []byte{2, 0, 1})
	out = sec(out, 5, []byte{1, 0, 1})
	out = sec(out, 7, []byte{3, 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0, 5, 'a', 'l', 'l', 'o', 'c', 0, 0,
		14, 'h', 'a', 'n', 'd', 'l', 'e', '_', 'r', 'e', 'q', 'u', 'e', 's', 't', 0, 1})
	alloc := append(append([]byte{}, allocLocals...), 0x41, 0, 0x0b)
	code := binary.AppendUvarint([]byte{2}, uint64(len(alloc)))
	code = append(code, alloc...)
	code = append(code, 8, 0, 0x42, 0x80, 0x80, 0x80, 0x80, 0x10, 0x0b)
	out = sec(out, 10, code)
	for _, x := range extra {
		out = append(out, x...)
	}
	return out
}

// TestLoadDecoderBombs: modules of about a hundred bytes whose counts made
// wazero's decoder allocate without bound (the process died with "fatal
// error: runtime: out of memory") are refused, or lose the section, before
// wazero sees them.
func TestLoadDecoderBombs(t *testing.T) {
	huge := []byte{0xff, 0xff, 0xff, 0xff, 0x0f}
	cases := []struct {
		name    string
		wasm    []byte
		wantErr error // nil: loads (the section is dropped)
	}{
		// A name section declaring 4G function names: 96 GB.
		{"name section", flareWith([]byte{0}, append([]byte{0, 12, 4, 'n', 'a', 'm', 'e', 1, 5}, huge...)), nil},
		// alloc with one group of 4G-1 locals: 32 GB.
		{"locals", flareWith(append([]byte{1}, append(huge, 0x7f)...)), ErrModuleLimit},
		// A data segment declaring 4 GB of bytes it does not hold.
		{"data segment", flareWith([]byte{0}, append([]byte{11, 10, 1, 0, 0x41, 0, 0x0b}, huge...)), guard.ErrMalformed},
		// An import section declaring 4G imports in 5 bytes: 10 GB (the
		// limit refuses it first; past the bytes, guard's TestCountsBeyondBytes).
		{"imports", append([]byte("\x00asm\x01\x00\x00\x00\x02\x05"), huge...), ErrModuleLimit},
		// An export section declaring 4G exports in 5 bytes.
		{"exports", append([]byte("\x00asm\x01\x00\x00\x00\x07\x05"), huge...), ErrModuleLimit},
		// 1000 imports (at the limit) declared in 5 bytes.
		{"imports past the bytes", []byte("\x00asm\x01\x00\x00\x00\x02\x02\xe8\x07"), guard.ErrMalformed},
	}
	e := newEnv(t, defaultEnvOptions())
	for _, tc := range cases {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := e.h.Load(context.Background(), "bomb", tc.wasm)
		runtime.ReadMemStats(&after)
		switch {
		case tc.wantErr == nil && err != nil:
			t.Errorf("%s: %v, want it loaded without the section", tc.name, err)
		case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
			t.Errorf("%s: %v, want %v", tc.name, err, tc.wantErr)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
			t.Errorf("%s: Load allocated %d MB", tc.name, alloc>>20)
		}
	}
	mustStillServe(t, e)
}

// cancelAfter returns a context canceled after d.
func cancelAfter(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	timer := time.AfterFunc(d, cancel)
	t.Cleanup(func() { timer.Stop(); cancel() })
	return ctx
}

// cancelWait is how long a call may take to return once its context is
// canceled: the host promises a second; the test allows for a loaded
// machine and logs what it measured.
const cancelWait = 2 * time.Second

// TestCancelStopsGuests: with a timeout of a minute (none in TimeoutNone
// mode), a runaway start function, _initialize or handle_request returns
// within a second of its context being canceled, wrapping
// context.Canceled, in every timeout mode.
func TestCancelStopsGuests(t *testing.T) {
	for _, mode := range allModes {
		for _, fixture := range []string{"start_loop", "initialize_loop", "infinite_loop", "hostcall_loop", "alloc_loop"} {
			t.Run(fixture+"/"+mode.String(), func(t *testing.T) {
				load := strings.HasPrefix(fixture, "start") || strings.HasPrefix(fixture, "initialize")
				o := defaultEnvOptions()
				o.mode = mode
				o.limits.InvocationTimeout = time.Minute
				e := newEnv(t, o)
				wasm, err := os.ReadFile(hostileDir + fixture + ".wasm")
				if err != nil {
					t.Fatal(err)
				}
				const after = 100 * time.Millisecond
				start := time.Now()
				if load {
					_, err = e.h.Load(cancelAfter(t, after), fixture, wasm)
				} else {
					f, lerr := e.h.Load(context.Background(), fixture, wasm)
					if lerr != nil {
						t.Fatal(lerr)
					}
					_, err = e.h.Invoke(cancelAfter(t, after), f, &Request{Node: "edge-a", Site: "shop.example", Method: "GET", URL: "/"})
				}
				took := time.Since(start) - after
				t.Logf("returned %v after the cancel", took)
				if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "flare["+fixture+"] ") {
					t.Errorf("err = %v, want context.Canceled naming the flare", err)
				}
				if KindOf(err) != KindOther {
					t.Errorf("kind %v: a canceled call is not a failure of the guest", KindOf(err))
				}
				if took > cancelWait {
					t.Errorf("returned %v after the cancel", took)
				}
				mustStillServe(t, e)
			})
		}
	}
}

// TestCloseStopsGuests: Close stops calls in progress at once (they fail
// with ErrClosed) and does not wait for them, in every timeout mode. A
// runaway guest does not keep the Go runtime from collecting garbage,
// which must stop every goroutine. In TimeoutNone mode an invocation runs
// past the timeout until Close.
func TestCloseStopsGuests(t *testing.T) {
	for _, mode := range allModes {
		for _, fixture := range []string{"infinite_loop", "hostcall_loop"} {
			t.Run(fixture+"/"+mode.String(), func(t *testing.T) {
				o := defaultEnvOptions()
				o.mode = mode
				o.limits.InvocationTimeout = time.Minute
				if mode == TimeoutNone {
					o.limits.InvocationTimeout = 100 * time.Millisecond // not enforced on invocations
				}
				e := newEnv(t, o)
				f := e.load(hostileDir + fixture + ".wasm")
				done := make(chan error, 1)
				go func() {
					_, err := e.h.Invoke(context.Background(), f, &Request{Node: "edge-a", Site: "shop.example", Method: "GET", URL: "/"})
					done <- err
				}()
				time.Sleep(150 * time.Millisecond)
				gc := time.Now()
				runtime.GC() // with a guest spinning: it must still stop the world
				t.Logf("GC beside the guest took %v", time.Since(gc))
				select {
				case err := <-done:
					t.Fatalf("returned before Close: %v", err)
				default:
				}
				start := time.Now()
				if err := e.h.Close(context.Background()); err != nil {
					t.Errorf("Close: %v", err)
				}
				if took := time.Since(start); took > cancelWait {
					t.Errorf("Close took %v", took)
				}
				select {
				case err := <-done:
					if !errors.Is(err, ErrClosed) || !strings.HasPrefix(err.Error(), "flare["+fixture+"] handle_request: ") {
						t.Errorf("invocation: %v, want ErrClosed naming the flare", err)
					}
				case <-time.After(cancelWait):
					t.Errorf("invocation still running %v after Close", cancelWait)
				}
			})
		}
	}
}

// manyFunctions returns a valid flare module with n functions besides
// alloc and handle_request, each of reps (i32.const 1; drop): a module
// whose compilation takes long.
func manyFunctions(n, reps int) []byte {
	u32 := func(b []byte, v uint32) []byte { return binary.AppendUvarint(b, uint64(v)) }
	sec := func(out []byte, id byte, body []byte) []byte {
		out = append(out, id)
		out = u32(out, uint32(len(body)))
		return append(out, body...)
	}
	out := []byte("\x00asm\x01\x00\x00\x00")
	// types: 0 () -> (), 1 (i32) -> i32, 2 () -> i64
	out = sec(out, 1, []byte{3, 0x60, 0, 0, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 0, 1, 0x7e})
	funcs := u32(nil, uint32(n+2))
	funcs = append(funcs, 1, 2)
	for i := 0; i < n; i++ {
		funcs = append(funcs, 0)
	}
	out = sec(out, 3, funcs)
	out = sec(out, 5, []byte{1, 0, 1})
	exports := []byte{3}
	for _, e := range []struct {
		name string
		kind byte
		idx  byte
	}{{"memory", 2, 0}, {"alloc", 0, 0}, {"handle_request", 0, 1}} {
		exports = append(exports, byte(len(e.name)))
		exports = append(exports, e.name...)
		exports = append(exports, e.kind, e.idx)
	}
	out = sec(out, 7, exports)
	code := u32(nil, uint32(n+2))
	code = append(code, 4, 0, 0x41, 0, 0x0b)                            // alloc: 0
	code = append(code, 8, 0, 0x42, 0x80, 0x80, 0x80, 0x80, 0x10, 0x0b) // handle_request: respond (1 << 32)
	body := []byte{0}
	for i := 0; i < reps; i++ {
		body = append(body, 0x41, 1, 0x1a) // i32.const 1; drop
	}
	body = append(body, 0x0b)
	for i := 0; i < n; i++ {
		code = u32(code, uint32(len(body)))
		code = append(code, body...)
	}
	return sec(out, 10, code)
}

// TestLoadCanceledDuringCompile: a module that takes seconds to compile
// does not keep Load past its context; the compilation stops soon after.
func TestLoadCanceledDuringCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a 6 MB module")
	}
	wasm := manyFunctions(DefaultMaxFunctions-2, 20)
	e := newEnv(t, defaultEnvOptions())
	if f, err := e.h.Load(context.Background(), "small", manyFunctions(10, 20)); err != nil {
		t.Fatalf("the generated module does not load: %v", err)
	} else if _, err := e.h.Invoke(context.Background(), f, &Request{Node: "edge-a", Site: "shop.example"}); err != nil {
		t.Fatalf("the generated module does not serve: %v", err)
	}
	before := runtime.NumGoroutine()
	const after = 100 * time.Millisecond
	start := time.Now()
	_, err := e.h.Load(cancelAfter(t, after), "slow", wasm)
	took := time.Since(start) - after
	t.Logf("Load of a %d-byte module returned %v after the cancel: %v", len(wasm), took, err)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Load: %v, want context.Canceled", err)
	}
	if took > cancelWait {
		t.Errorf("Load returned %v after the cancel", took)
	}
	// The compiler's workers stop at their next function.
	deadline := time.Now().Add(30 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines 30s after the cancel, %d before the Load", n, before)
	}
	mustStillServe(t, e)
}

// TestDeepRecursionConcurrent is the case: 32 invocations of deep
// recursion at a time trap as "stack exhausted", allocating little
// (wazero's own stack grew to 80 MiB per call), while the counter beside
// them keeps serving.
func TestDeepRecursionConcurrent(t *testing.T) {
	e := newEnv(t, defaultEnvOptions())
	f := e.load(hostileDir + "deep_recursion.wasm")
	e.flare("counter")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	errs := make(chan error, 32*8)
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 8; i++ {
				_, err := invokeHostile(e, f, &Request{})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	runtime.ReadMemStats(&after)
	for err := range errs {
		var ge *GuestError
		if !errors.As(err, &ge) || ge.Detail != "stack exhausted" {
			t.Fatalf("deep recursion: %v, want stack exhausted", err)
		}
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("256 deep recursions allocated %d MB", alloc>>20)
	// Each call's stack stays within the 1 MiB budget (wazero doubles it:
	// 2 MiB at most, plus the copy it grew from); instances and their
	// memory come on top.
	if alloc > 1<<30 {
		t.Errorf("256 deep recursions allocated %d MB", alloc>>20)
	}
	mustStillServe(t, e)
}

// TestModuleLimitsDefaults: the default module limits refuse one past
// each, and admit the modules toolchains produce.
func TestModuleLimitsDefaults(t *testing.T) {
	d := DefaultModuleLimits()
	if d.MaxTableElements != DefaultMaxTableElements || d.MaxGlobals != DefaultMaxGlobals || d.MaxImports != DefaultMaxImports ||
		d.MaxSegments != DefaultMaxSegments || d.MaxFunctions != DefaultMaxFunctions || d.MaxFunctionBytes != DefaultMaxFunctionBytes ||
		d.MaxLocals != DefaultMaxLocals || d.MaxTypes != DefaultMaxTypes || d.MaxExports != DefaultMaxExports {
		t.Errorf("DefaultModuleLimits() = %+v", d)
	}
	if (ModuleLimits{}).withDefaults() != d {
		t.Errorf("zero ModuleLimits do not take the defaults")
	}
	e := newEnv(t, defaultEnvOptions())
	o := e.h.guardOptions()
	if o.Limits.MaxTableElements != d.MaxTableElements || o.Limits.MaxFunctions != d.MaxFunctions || o.Limits.MaxTypes != d.MaxTypes ||
		o.Limits.MaxExports != d.MaxExports || o.StackBytes != DefaultMaxStackBytes || !o.StopChecks {
		t.Errorf("guard options %+v do not follow the host's limits", o)
	}
}

// toolchainModules returns real compiler output: the flares of this
// repository (C, AssemblyScript) and wazero's test programs built with
// Rust, TinyGo, Zig and C (wasi-libc), from the module cache.
func toolchainModules(t *testing.T) map[string][]byte {
	mods := map[string][]byte{}
	globs := []string{"../flares/wasm/*.wasm", "testdata/sdk/*.wasm"}
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/tetratelabs/wazero").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		globs = append(globs, dir+"/examples/allocation/*/testdata/*.wasm",
			dir+"/imports/wasi_snapshot_preview1/testdata/*/*.wasm",
			dir+"/imports/wasi_snapshot_preview1/example/testdata/*/*.wasm")
	} else {
		t.Logf("wazero's module directory: %v (only this repository's modules)", err)
	}
	for _, g := range globs {
		paths, _ := filepath.Glob(g)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			mods[p] = b
		}
	}
	return mods
}

// TestModuleLimitsAdmitToolchainModules: what real toolchains produce
// passes the default module limits (and the stack guard) and compiles.
// (Zig's WASI programs start with 257 pages of memory, one past the
// default memory cap, which is not a module limit: it is raised here.)
func TestModuleLimitsAdmitToolchainModules(t *testing.T) {
	mods := toolchainModules(t)
	if len(mods) < 8 {
		t.Fatalf("only %d modules found", len(mods))
	}
	o := defaultEnvOptions()
	o.limits.MaxMemoryPages = 1024
	e := newEnv(t, o)
	for path, wasm := range mods {
		res, err := guard.Instrument(wasm, e.h.guardOptions())
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		c, err := e.h.compile(context.Background(), res.Wasm)
		if err != nil {
			t.Errorf("%s: instrumented module does not compile: %v", path, err)
			continue
		}
		c.Close(context.Background())
	}
}

// TestFlaresFitSmallStack: the built-in flares serve with a stack budget
// of 16 KiB, a sixty-fourth of the default.
func TestFlaresFitSmallStack(t *testing.T) {
	o := defaultEnvOptions()
	o.limits.MaxStackBytes = 16 << 10
	e := newEnv(t, o)
	for _, name := range flares.Names() {
		_, err := e.h.Invoke(context.Background(), e.flare(name), &Request{Node: "edge-a", Site: "shop.example", Method: "GET",
			URL: "https://shop.example/?key=k", Headers: [][2]string{{"x-counter-key", "k"}}})
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestCloseStopsLoad: Close stops a start function that loops in a Load
// in progress; that Load fails (ErrClosed) at once, in every mode.
func TestCloseStopsLoad(t *testing.T) {
	wasm, err := os.ReadFile(hostileDir + "start_loop.wasm")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range allModes {
		t.Run(mode.String(), func(t *testing.T) {
			o := defaultEnvOptions()
			o.mode = mode
			o.limits.InvocationTimeout = time.Minute
			e := newEnv(t, o)
			done := make(chan error, 1)
			go func() {
				_, err := e.h.Load(context.Background(), "start_loop", wasm)
				done <- err
			}()
			time.Sleep(300 * time.Millisecond)
			if err := e.h.Close(context.Background()); err != nil {
				t.Errorf("Close: %v", err)
			}
			select {
			case err := <-done:
				if !errors.Is(err, ErrClosed) {
					t.Errorf("Load: %v, want ErrClosed", err)
				}
			case <-time.After(cancelWait):
				t.Errorf("Load still running %v after Close", cancelWait)
			}
		})
	}
}

// TestWarmStopsWhenCanceled: Warm gives up when its context is done
// instead of instantiating up to its count.
func TestWarmStopsWhenCanceled(t *testing.T) {
	e := newEnv(t, defaultEnvOptions())
	f := e.flare("counter")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := f.Idle()
	if err := f.Warm(ctx, before+100); !errors.Is(err, context.Canceled) {
		t.Errorf("Warm: %v, want context.Canceled", err)
	}
	if f.Idle() != before {
		t.Errorf("idle %d after a canceled Warm, was %d", f.Idle(), before)
	}
}
