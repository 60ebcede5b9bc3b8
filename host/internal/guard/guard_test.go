package guard

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

//go:generate sh -c "cd testdata && for f in *.wat; do wat2wasm --enable-all -o ${f%.wat}.wasm $f; done"

// all selects every rewrite.
var all = Options{StopChecks: true, StackBytes: 1 << 20}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestInstrumentEveryModule instruments every module of the repository:
// the output must compile and export both globals, and instrumenting it
// again must be refused.
func TestInstrumentEveryModule(t *testing.T) {
	var paths []string
	for _, glob := range []string{"../../../flares/wasm/*.wasm", "../../testdata/*.wasm", "../../testdata/hostile/*.wasm", "testdata/*.wasm"} {
		m, _ := filepath.Glob(glob)
		paths = append(paths, m...)
	}
	if len(paths) < 10 {
		t.Fatalf("only %d modules found", len(paths))
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	for _, p := range paths {
		in := readFile(t, p)
		orig := append([]byte(nil), in...)
		res, err := Instrument(in, all)
		out := res.Wasm
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if !bytes.Equal(in, orig) {
			t.Errorf("%s: input modified", p)
		}
		c, err := rt.CompileModule(ctx, out)
		if err != nil {
			t.Errorf("%s: instrumented module does not compile: %v", p, err)
			continue
		}
		c.Close(ctx)
		for _, name := range []string{StopExport, FuelExport} {
			if !exportsName(out, name) {
				t.Errorf("%s: export %s missing", p, name)
			}
		}
		if _, err := Instrument(out, all); err == nil {
			t.Errorf("%s: instrumenting twice was not refused", p)
		}
	}
}

func instantiateCalc(t *testing.T, rt wazero.Runtime, wasm []byte, name string) api.Module {
	t.Helper()
	ctx := context.Background()
	m, err := rt.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName(name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestInstrumentKeepsSemantics compares every export of calc.wat with and
// without instrumentation.
func TestInstrumentKeepsSemantics(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	if _, err := rt.InstantiateWithConfig(ctx, readFile(t, "testdata/env.wasm"), wazero.NewModuleConfig().WithName("env")); err != nil {
		t.Fatal(err)
	}
	plain := readFile(t, "testdata/calc.wasm")
	inst, err := Instrument(plain, all)
	if err != nil {
		t.Fatal(err)
	}
	a, b := instantiateCalc(t, rt, plain, "plain"), instantiateCalc(t, rt, inst.Wasm, "instrumented")
	stack := b.ExportedGlobal(StackExport)
	for _, call := range []struct {
		fn  string
		arg uint64
	}{{"fib", 20}, {"sum", 100000}, {"classify", 0}, {"classify", 1}, {"classify", 2}, {"classify", 9},
		{"fill", 64}, {"nested", 300}, {"ways", 0}, {"ways", 1}, {"ways", 2}, {"ways", 3}, {"deep", 100}} {
		ra, err1 := a.ExportedFunction(call.fn).Call(ctx, call.arg)
		rb, err2 := b.ExportedFunction(call.fn).Call(ctx, call.arg)
		if err1 != nil || err2 != nil || !slices.Equal(ra, rb) {
			t.Errorf("%s(%d): plain %v %v, instrumented %v %v", call.fn, call.arg, ra, err1, rb, err2)
		}
		if got := stack.Get(); got != uint64(all.StackBytes) {
			t.Errorf("%s(%d): stack global %d after the call, want the whole budget %d back", call.fn, call.arg, got, all.StackBytes)
		}
	}
	// nested(300) runs 90,000 inner iterations: the fuel counter wraps
	// past its slow path at least once and the result is still exact.
	if fuel := b.ExportedGlobal(FuelExport).Get(); fuel == uint64(Fuel) {
		t.Errorf("fuel never consumed")
	}
}

// TestStopFlagStopsSpinningGuest: raising the flag from another goroutine
// stops a guest spinning in a loop, without wazero's termination checks.
func TestStopFlagStopsSpinningGuest(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx) // no WithCloseOnContextDone
	defer rt.Close(ctx)
	if _, err := rt.InstantiateWithConfig(ctx, readFile(t, "testdata/env.wasm"), wazero.NewModuleConfig().WithName("env")); err != nil {
		t.Fatal(err)
	}
	inst, err := Instrument(readFile(t, "testdata/calc.wasm"), all)
	if err != nil {
		t.Fatal(err)
	}
	m := instantiateCalc(t, rt, inst.Wasm, "spin")
	done := make(chan error, 1)
	go func() {
		_, err := m.ExportedFunction("spin").Call(ctx)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("spin returned before the stop: %v", err)
	default:
	}
	m.ExportedGlobal(StopExport).(api.MutableGlobal).Set(1)
	m.ExportedGlobal(FuelExport).(api.MutableGlobal).Set(0)
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("spin returned without a trap")
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("spinning guest not stopped 10s after the flag was raised")
	}
}

// TestTestdataFresh: committed .wasm match their .wat (when wat2wasm is
// installed).
func TestTestdataFresh(t *testing.T) {
	if _, err := exec.LookPath("wat2wasm"); err != nil {
		t.Skip("wat2wasm not installed")
	}
	wats, _ := filepath.Glob("testdata/*.wat")
	for _, wat := range wats {
		out := filepath.Join(t.TempDir(), "out.wasm")
		if msg, err := exec.Command("wat2wasm", "--enable-all", "-o", out, wat).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", wat, err, msg)
		}
		if !bytes.Equal(readFile(t, out), readFile(t, wat[:len(wat)-4]+".wasm")) {
			t.Errorf("%s.wasm is stale: go generate ./host/internal/guard", wat[:len(wat)-4])
		}
	}
}

// FuzzInstrument: Instrument never panics, and what it accepts compiles
// after instrumentation unless the input itself does not. The raw input is
// never handed to wazero unless Instrument accepted it (then without its
// custom sections): wazero's decoder allocates what counts declare, and a
// few bytes made the fuzzer's workers run out of memory.
func FuzzInstrument(f *testing.F) {
	for _, p := range []string{"testdata/calc.wasm", "testdata/env.wasm", "../../testdata/getloop.wasm", "../../testdata/probe.wasm"} {
		f.Add(readFile(f, p))
	}
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	f.Fuzz(func(t *testing.T, wasm []byte) {
		res, err := Instrument(wasm, all)
		if err != nil {
			return // refused, before anything was allocated for it
		}
		c, err := rt.CompileModule(ctx, res.Wasm)
		if err == nil {
			c.Close(ctx)
			return
		}
		if c, cerr := rt.CompileModule(ctx, withoutCustomSections(wasm)); cerr == nil {
			c.Close(ctx)
			t.Fatalf("instrumented module invalid: %v", err)
		}
	})
}

// withoutCustomSections returns wasm (which Instrument accepted) without
// its custom sections.
func withoutCustomSections(wasm []byte) []byte {
	out := append([]byte(nil), wasm[:8]...)
	for r := (reader{b: wasm, i: 8}); r.i < len(r.b) && r.err == nil; {
		start := r.i
		id := r.byte()
		r.bytes(int(r.u32()))
		if id != secCustom {
			out = append(out, wasm[start:r.i]...)
		}
	}
	return out
}

func exportsName(wasm []byte, name string) bool {
	r := reader{b: wasm, i: 8}
	for r.i < len(r.b) && r.err == nil {
		id := r.byte()
		body := r.bytes(int(r.u32()))
		if id == secExport && hasExport(body, name) {
			return true
		}
	}
	return false
}
