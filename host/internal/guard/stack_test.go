package guard

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
)

// recursionShape builds a module whose export "go" recurses through
// function "down" (i64 depth) -> i64 until the stack overflows, recording
// the depth reached in the global exported as "depth". body returns the
// instructions of down after the depth is recorded, given the index of
// down; extra params and locals as the shape needs.
type recursionShape struct {
	name     string
	params   []byte // down's parameters after the i64 depth
	locals   [][2]uint32
	body     func(down uint32) []byte
	indirect bool // the recursive call goes through a table
}

func (s recursionShape) module() []byte {
	m := newTestModule()
	params := append([]byte{i64}, s.params...)
	tDown := m.addType(params, []byte{i64})
	tGo := m.addType(nil, []byte{i64})
	m.globals = append(m.globals, []byte{i64, 1, 0x42, 0, 0x0b})
	down := uint32(0)
	code := cat(localGet(0), globalSet(0), s.body(down))
	m.addFunc(tDown, code, s.locals...)
	var args []byte
	for range params {
		args = append(args, i64Const(0)...)
	}
	m.addFunc(tGo, cat(args, call(down)))
	m.addFunc(tGo, globalGet(0))
	m.export("go", kindFunc, 1)
	m.export("depth", kindFunc, 2)
	if s.indirect {
		m.tables = append(m.tables, []byte{0x70, 0x00, 0x01})
		m.elems = append(m.elems, cat([]byte{0}, i32Const(0), []byte{0x0b, 1, 0}))
	}
	return m.bytes()
}

// recurse returns the instructions calling down (directly or through the
// table) with the depth plus one, then every extra parameter (all i64).
func (s recursionShape) recurse(down uint32) []byte {
	b := cat(localGet(0), i64Const(1), []byte{0x7c}) // i64.add
	for i := range s.params {
		b = append(b, localGet(uint32(i+1))...)
	}
	if s.indirect {
		return cat(b, i32Const(0), []byte{0x11, 0, 0}) // call_indirect type 0 table 0
	}
	return cat(b, call(down))
}

func recursionShapes() []recursionShape {
	var shapes []recursionShape
	plain := recursionShape{name: "plain"}
	plain.body = func(down uint32) []byte {
		return cat(plain.recurse(down), localGet(0), []byte{0x7c})
	}
	shapes = append(shapes, plain)
	for _, k := range []uint32{10, 100, 1000, 5000} {
		for _, ty := range []byte{i64, f64, v128} {
			s := recursionShape{name: fmt.Sprintf("%d-locals-%#x", k, ty), locals: [][2]uint32{{k, uint32(ty)}}}
			s.body = func(down uint32) []byte {
				var b []byte
				for i := uint32(0); i < k; i++ { // local i+1 = depth * (i+3), kept live across the call
					v := cat(localGet(0), i64Const(int64(i+3)), []byte{0x7e}) // i64.mul
					switch ty {
					case f64:
						v = append(v, 0xb9) // f64.convert_i64_s
					case v128:
						v = append(v, 0xfd, 0x12) // i64x2.splat
					}
					b = append(b, cat(v, localSet(i+1))...)
				}
				b = append(b, s.recurse(down)...)
				for i := uint32(0); i < k; i++ {
					v := localGet(i + 1)
					switch ty {
					case f64:
						v = append(v, 0xb0) // i64.trunc_f64_s
					case v128:
						v = append(v, 0xfd, 0x1d, 0) // i64x2.extract_lane 0
					}
					b = append(b, cat(v, []byte{0x7c})...)
				}
				return b
			}
			shapes = append(shapes, s)
		}
	}
	for _, k := range []int{10, 200} {
		s := recursionShape{name: fmt.Sprintf("%d-operands", k)}
		s.body = func(down uint32) []byte {
			var b []byte
			for i := 0; i < k; i++ {
				b = append(b, cat(localGet(0), i64Const(int64(i)), []byte{0x7c})...)
			}
			b = append(b, s.recurse(down)...)
			for i := 0; i < k; i++ {
				b = append(b, 0x7c)
			}
			return b
		}
		shapes = append(shapes, s)
	}
	for _, k := range []int{200, 1000} {
		s := recursionShape{name: fmt.Sprintf("%d-v128-operands", k)}
		s.body = func(down uint32) []byte {
			var b []byte
			for i := 0; i < k; i++ {
				b = append(b, cat(localGet(0), i64Const(int64(i)), []byte{0x7c, 0xfd, 0x12})...) // i64x2.splat
			}
			b = append(b, s.recurse(down)...)
			b = append(b, 0xfd, 0x12)
			for i := 0; i < k; i++ {
				b = append(b, 0xfd, 0xce, 0x01) // i64x2.add
			}
			return append(b, 0xfd, 0x1d, 0) // i64x2.extract_lane 0
		}
		shapes = append(shapes, s)
	}
	many := recursionShape{name: "50-params", params: make([]byte, 49)}
	for i := range many.params {
		many.params[i] = i64
	}
	many.body = func(down uint32) []byte { return cat(many.recurse(down), localGet(0), []byte{0x7c}) }
	shapes = append(shapes, many)
	ind := recursionShape{name: "indirect", indirect: true}
	ind.body = func(down uint32) []byte { return cat(ind.recurse(down), localGet(0), []byte{0x7c}) }
	shapes = append(shapes, ind)
	return shapes
}

// wazeroStackAtOverflow is the size of wazero's call stack when it gives
// up: it starts at 10 KiB and doubles until it passes 50,000,000 bytes,
// so it last grows from 41.9 MB to about 83.9 MB (wazevo's growStack).
const wazeroStackAtOverflow = 10240 << 13

// TestFrameCostCoversWazeroFrames: for recursion of many shapes, the
// guard's frame estimate is at least the frame wazero's compiler really
// uses (its stack at overflow divided by the depth reached), so that the
// stack budget bounds the real stack.
func TestFrameCostCoversWazeroFrames(t *testing.T) {
	if testing.Short() {
		t.Skip("overflows wazero's 80 MiB stack once per shape")
	}
	ctx := context.Background()
	for _, cfg := range []struct {
		name string
		rc   wazero.RuntimeConfig
	}{
		{"plain", wazero.NewRuntimeConfigCompiler()},
		{"termination-checks", wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(true)},
	} {
		rt := wazero.NewRuntimeWithConfig(ctx, cfg.rc)
		for _, s := range recursionShapes() {
			t.Run(cfg.name+"/"+s.name, func(t *testing.T) {
				wasm := s.module()
				mod, err := rt.Instantiate(ctx, wasm)
				if err != nil {
					t.Fatal(err)
				}
				defer mod.Close(ctx)
				if _, err := mod.ExportedFunction("go").Call(ctx); err == nil {
					t.Fatal("unbounded recursion returned")
				}
				d, err := mod.ExportedFunction("depth").Call(ctx)
				if err != nil || d[0] == 0 {
					t.Fatalf("depth %v %v", d, err)
				}
				real := wazeroStackAtOverflow / d[0]
				m, err := parse(wasm, Limits{})
				if err != nil {
					t.Fatal(err)
				}
				if err := m.analyzeCode(Options{}); err != nil {
					t.Fatal(err)
				}
				est := m.funcs[0].cost
				t.Logf("depth %d: real frame %d bytes, estimate %d", d[0], real, est)
				if est < real {
					t.Errorf("estimate %d bytes below the real frame of %d", est, real)
				}
			})
		}
		rt.Close(ctx)
	}
}

// TestStackGuardTrapsDeepRecursion: recursion past the budget traps at once
// with the stack global at StackExhausted, leaving wazero's own stack small;
// recursion within it runs and gives the whole budget back.
func TestStackGuardTrapsDeepRecursion(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	if _, err := rt.InstantiateWithConfig(ctx, readFile(t, "testdata/env.wasm"), wazero.NewModuleConfig().WithName("env")); err != nil {
		t.Fatal(err)
	}
	for _, budget := range []uint32{64 << 10, 1 << 20} {
		res, err := Instrument(readFile(t, "testdata/calc.wasm"), Options{StopChecks: true, StackBytes: budget})
		if err != nil {
			t.Fatal(err)
		}
		m := instantiateCalc(t, rt, res.Wasm, fmt.Sprintf("deep%d", budget))
		stack := m.ExportedGlobal(StackExport)
		deep := m.ExportedFunction("deep")
		if r, err := deep.Call(ctx, 100); err != nil || r[0] != 100 {
			t.Fatalf("budget %d: deep(100) = %v %v", budget, r, err)
		}
		start := time.Now()
		_, err = deep.Call(ctx, 10_000_000)
		if err == nil {
			t.Fatalf("budget %d: deep(10M) returned", budget)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("budget %d: trap took %v", budget, took)
		}
		if got := uint32(stack.Get()); got != StackExhausted {
			t.Errorf("budget %d: stack global %#x after the trap, want StackExhausted (%v)", budget, got, err)
		}
		if strings.Contains(err.Error(), "stack overflow") {
			t.Errorf("budget %d: wazero's own overflow, not the guard: %v", budget, err)
		}
		m.Close(ctx)
	}
}
