package guard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
)

var testLimits = Limits{
	MaxMemoryPages:   4,
	MaxTableElements: 100,
	MaxGlobals:       10,
	MaxImports:       10,
	MaxTypes:         10,
	MaxExports:       10,
	MaxSegments:      10,
	MaxFunctions:     10,
	MaxFunctionBytes: 1000,
	MaxLocals:        100,
}

// limitShapes builds, for each limit, a module declaring n of what it
// bounds.
var limitShapes = []struct {
	limit string
	max   uint32
	build func(n uint32) []byte
}{
	{"MaxMemoryPages", testLimits.MaxMemoryPages, func(n uint32) []byte {
		m := newTestModule()
		m.memory = appendU32([]byte{0}, n)
		return m.bytes()
	}},
	{"MaxTableElements", testLimits.MaxTableElements, func(n uint32) []byte { // one table
		m := newTestModule()
		m.tables = append(m.tables, appendU32([]byte{0x70, 0}, n))
		return m.bytes()
	}},
	{"MaxTableElements", testLimits.MaxTableElements, func(n uint32) []byte { // two tables
		m := newTestModule()
		m.tables = append(m.tables, appendU32([]byte{0x70, 0}, n/2), appendU32([]byte{0x70, 0}, n-n/2))
		return m.bytes()
	}},
	{"MaxTableElements", testLimits.MaxTableElements, func(n uint32) []byte { // a passive segment
		m := newTestModule()
		m.addFunc(m.addType(nil, nil), nil)
		seg := appendU32([]byte{1, 0}, n)
		for i := uint32(0); i < n; i++ {
			seg = append(seg, 0)
		}
		m.elems = append(m.elems, seg)
		return m.bytes()
	}},
	{"MaxTableElements", testLimits.MaxTableElements, func(n uint32) []byte { // expressions, declarative
		m := newTestModule()
		m.addFunc(m.addType(nil, nil), nil)
		seg := appendU32([]byte{7, 0x70}, n)
		for i := uint32(0); i < n; i++ {
			seg = append(seg, 0xd2, 0, 0x0b) // ref.func 0
		}
		m.elems = append(m.elems, seg)
		return m.bytes()
	}},
	{"MaxGlobals", testLimits.MaxGlobals, func(n uint32) []byte {
		m := newTestModule()
		for i := uint32(0); i < n; i++ {
			m.globals = append(m.globals, []byte{i32, 0, 0x41, 0, 0x0b})
		}
		return m.bytes()
	}},
	{"MaxImports", testLimits.MaxImports, func(n uint32) []byte {
		m := newTestModule()
		typ := m.addType(nil, nil)
		for i := uint32(0); i < n; i++ {
			m.importFunc("env", fmt.Sprint("f", i), typ)
		}
		return m.bytes()
	}},
	{"MaxTypes", testLimits.MaxTypes, func(n uint32) []byte {
		m := newTestModule()
		for i := uint32(0); i < n; i++ {
			m.addType(nil, nil)
		}
		return m.bytes()
	}},
	{"MaxExports", testLimits.MaxExports, func(n uint32) []byte {
		m := newTestModule()
		m.addFunc(m.addType(nil, nil), nil)
		for i := uint32(0); i < n; i++ {
			m.export(fmt.Sprint("e", i), kindFunc, 0)
		}
		return m.bytes()
	}},
	{"MaxSegments", testLimits.MaxSegments, func(n uint32) []byte { // data
		m := newTestModule()
		for i := uint32(0); i < n; i++ {
			m.datas = append(m.datas, []byte{1, 0}) // passive, empty
		}
		return m.bytes()
	}},
	{"MaxSegments", testLimits.MaxSegments, func(n uint32) []byte { // element
		m := newTestModule()
		for i := uint32(0); i < n; i++ {
			m.elems = append(m.elems, []byte{1, 0, 0}) // passive, empty
		}
		return m.bytes()
	}},
	{"MaxFunctions", testLimits.MaxFunctions, func(n uint32) []byte { // defined
		m := newTestModule()
		typ := m.addType(nil, nil)
		for i := uint32(0); i < n; i++ {
			m.addFunc(typ, nil)
		}
		return m.bytes()
	}},
	{"MaxFunctions", testLimits.MaxFunctions, func(n uint32) []byte { // imported and defined
		m := newTestModule()
		typ := m.addType(nil, nil)
		for i := uint32(0); i < n/2; i++ {
			m.importFunc("env", fmt.Sprint("f", i), typ)
		}
		for i := n / 2; i < n; i++ {
			m.addFunc(typ, nil)
		}
		return m.bytes()
	}},
	{"MaxFunctionBytes", testLimits.MaxFunctionBytes, func(n uint32) []byte {
		m := newTestModule()
		code := make([]byte, n-2) // size = local group count + code + end
		for i := range code {
			code[i] = 0x01 // nop
		}
		m.addFunc(m.addType(nil, nil), code)
		return m.bytes()
	}},
	{"MaxLocals", testLimits.MaxLocals, func(n uint32) []byte {
		m := newTestModule()
		m.addFunc(m.addType([]byte{i32, i32}, nil), nil, [2]uint32{n - 2, i64})
		return m.bytes()
	}},
}

// TestLimits: a module declaring as much as a limit allows is accepted and
// still compiles; one more is refused with a LimitError naming the limit.
func TestLimits(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	for i, s := range limitShapes {
		t.Run(fmt.Sprint(s.limit, i), func(t *testing.T) {
			at := s.build(s.max)
			if c, err := rt.CompileModule(ctx, at); err != nil {
				t.Fatalf("test module does not compile: %v", err)
			} else {
				c.Close(ctx)
			}
			res, err := Instrument(at, Options{StopChecks: true, StackBytes: 1 << 20, Limits: testLimits})
			if err != nil {
				t.Fatalf("at the limit: %v", err)
			}
			if c, err := rt.CompileModule(ctx, res.Wasm); err != nil {
				t.Fatalf("instrumented module does not compile: %v", err)
			} else {
				c.Close(ctx)
			}
			_, err = Instrument(s.build(s.max+1), Options{Limits: testLimits})
			var le *LimitError
			if !errors.As(err, &le) || le.Limit != s.limit || le.Max != uint64(s.max) {
				t.Fatalf("one past the limit: %v, want a LimitError for %s", err, s.limit)
			}
			if !strings.Contains(err.Error(), fmt.Sprint(s.max+1)) {
				t.Errorf("%q does not say how many", err)
			}
			if _, err := Instrument(s.build(s.max+1), Options{}); err != nil {
				t.Errorf("without limits: %v", err)
			}
		})
	}
}

// TestTableGrowClamped: table.grow fails (-1) past MaxTableElements however
// the module declares its table's maximum, and succeeds within it.
func TestTableGrowClamped(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	for _, decl := range [][]byte{
		{0x70, 0, 1}, // min 1, no maximum
		{0x70, 1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f}, // maximum 2^32-1
		{0x70, 1, 1, 50}, // maximum 50, below the limit: kept
	} {
		m := newTestModule()
		m.tables = append(m.tables, decl)
		// grow(n i32) -> i32: table.grow 0 (ref.null func, n)
		m.addFunc(m.addType([]byte{i32}, []byte{i32}), cat([]byte{0xd0, 0x70}, localGet(0), []byte{0xfc, 15, 0}))
		m.export("grow", kindFunc, 0)
		res, err := Instrument(m.bytes(), Options{Limits: testLimits})
		if err != nil {
			t.Fatal(err)
		}
		mod, err := rt.Instantiate(ctx, res.Wasm)
		if err != nil {
			t.Fatal(err)
		}
		grow := mod.ExportedFunction("grow")
		limit := uint64(testLimits.MaxTableElements)
		if decl[1] == 1 && decl[len(decl)-1] == 50 {
			limit = 50
		}
		if r, err := grow.Call(ctx, 100_000_000); err != nil || int32(r[0]) != -1 {
			t.Errorf("%x: grow(100M) = %v %v, want -1", decl, r, err)
		}
		if r, err := grow.Call(ctx, limit-1); err != nil || r[0] != 1 {
			t.Errorf("%x: grow(%d) = %v %v, want the old size 1", decl, limit-1, r, err)
		}
		if r, err := grow.Call(ctx, 1); err != nil || int32(r[0]) != -1 {
			t.Errorf("%x: grow past %d = %v %v, want -1", decl, limit, r, err)
		}
		mod.Close(ctx)
	}
}

// TestStartDetached: the start function no longer runs at instantiation;
// it is exported as StartExport and runs when called.
func TestStartDetached(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	m := newTestModule()
	m.globals = append(m.globals, []byte{i32, 1, 0x41, 0, 0x0b})
	typ := m.addType(nil, nil)
	m.start = int64(m.addFunc(typ, cat(i32Const(7), globalSet(0))))
	m.export("g", kindGlobal, 0)
	plain := m.bytes()
	for _, o := range []Options{{}, all} {
		res, err := Instrument(plain, o)
		if err != nil {
			t.Fatal(err)
		}
		if !res.HasStart {
			t.Errorf("%+v: HasStart false", o)
		}
		mod, err := rt.InstantiateWithConfig(ctx, res.Wasm, wazero.NewModuleConfig().WithName(""))
		if err != nil {
			t.Fatal(err)
		}
		g := mod.ExportedGlobal("g")
		if g.Get() != 0 {
			t.Errorf("%+v: the start function ran at instantiation", o)
		}
		if _, err := mod.ExportedFunction(StartExport).Call(ctx); err != nil || g.Get() != 7 {
			t.Errorf("%+v: %s: %v, global %d", o, StartExport, err, g.Get())
		}
		mod.Close(ctx)
	}
	if res, err := Instrument(readFile(t, "testdata/calc.wasm"), all); err != nil || res.HasStart {
		t.Errorf("calc: HasStart %v %v", res.HasStart, err)
	}
}

// TestCountsBeyondBytes: a count its section's bytes cannot hold is refused
// (ErrMalformed) before anything allocates it: wazero's decoder would
// allocate what it declares. Each module is a few bytes.
func TestCountsBeyondBytes(t *testing.T) {
	huge := []byte{0xff, 0xff, 0xff, 0xff, 0x0f} // 2^32-1
	header := "\x00asm\x01\x00\x00\x00"
	sec := func(id byte, body ...[]byte) []byte {
		b := cat(body...)
		return cat([]byte(header), []byte{id}, appendU32(nil, uint32(len(b))), b)
	}
	withCode := func(body ...[]byte) []byte { // one function () -> (), its body given
		b := cat(body...)
		return cat([]byte(header), []byte{1, 4, 1, 0x60, 0, 0}, []byte{3, 2, 1, 0},
			[]byte{10}, appendU32(nil, uint32(len(b)+2)), []byte{1}, appendU32(nil, uint32(len(b))), b)
	}
	for name, wasm := range map[string][]byte{
		"types":              sec(1, huge),
		"type params":        sec(1, []byte{1, 0x60}, huge),
		"imports":            sec(2, huge),
		"import name":        sec(2, []byte{1}, huge),
		"functions":          sec(3, huge),
		"tables":             sec(4, huge),
		"globals":            sec(6, huge),
		"exports":            sec(7, huge),
		"export name":        sec(7, []byte{1}, huge),
		"element segments":   sec(9, huge),
		"element entries":    sec(9, []byte{1, 1, 0}, huge),
		"data segments":      sec(11, huge),
		"data segment bytes": sec(11, []byte{1, 1}, huge),
		"code entries":       sec(10, huge),
		"local groups":       withCode(huge),
		"tag section":        sec(13, []byte{0}),
		"unknown section":    sec(42, []byte{0}),
		"version 2":          []byte("\x00asm\x02\x00\x00\x00"),
	} {
		_, err := Instrument(wasm, Options{StopChecks: true, StackBytes: 1 << 20})
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

// TestCustomSectionsDropped: name and debug sections do not reach wazero.
func TestCustomSectionsDropped(t *testing.T) {
	m := newTestModule()
	m.addFunc(m.addType(nil, nil), nil)
	// A name section declaring 4G function names: wazero allocated 96 GB
	// for it (fatal error: out of memory).
	name := cat([]byte{4}, []byte("name"), []byte{1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f})
	wasm := cat(m.bytes(), []byte{0}, appendU32(nil, uint32(len(name))), name)
	res, err := Instrument(wasm, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for r := (reader{b: res.Wasm, i: 8}); r.i < len(r.b) && r.err == nil; {
		if id := r.byte(); id == secCustom {
			t.Errorf("custom section kept")
		}
		r.bytes(int(r.u32()))
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	if c, err := rt.CompileModule(ctx, res.Wasm); err != nil {
		t.Errorf("compile: %v", err)
	} else {
		c.Close(ctx)
	}
}
