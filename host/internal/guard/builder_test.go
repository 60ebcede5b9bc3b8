package guard

// A minimal module builder for tests that need shapes too large or too
// many to keep as .wat files (hundreds of locals, one past each limit).

const (
	i32  = 0x7f
	i64  = 0x7e
	f32  = 0x7d
	f64  = 0x7c
	v128 = 0x7b
)

type testFunc struct {
	typ    uint32
	locals []byte // encoded local groups, without their count
	groups uint32
	code   []byte // instructions, without the final end
}

type testModule struct {
	types   []funcType
	imports [][]byte // encoded import entries
	funcs   []testFunc
	tables  [][]byte // encoded table entries
	memory  []byte   // encoded limits, nil for none
	globals [][]byte // encoded global entries
	exports [][]byte // encoded export entries
	start   int64    // -1: none
	elems   [][]byte // encoded element segments
	datas   [][]byte // encoded data segments
}

func newTestModule() *testModule { return &testModule{start: -1} }

func (m *testModule) addType(params, results []byte) uint32 {
	m.types = append(m.types, funcType{params: params, results: results})
	return uint32(len(m.types) - 1)
}

// addFunc adds a function and returns its index (imports come first).
func (m *testModule) addFunc(typ uint32, code []byte, locals ...[2]uint32) uint32 {
	f := testFunc{typ: typ, code: code}
	for _, l := range locals {
		f.locals = appendU32(f.locals, l[0])
		f.locals = append(f.locals, byte(l[1]))
		f.groups++
	}
	m.funcs = append(m.funcs, f)
	return uint32(len(m.imports) + len(m.funcs) - 1)
}

func (m *testModule) export(name string, kind byte, idx uint32) {
	e := appendU32(nil, uint32(len(name)))
	e = append(e, name...)
	e = append(e, kind)
	m.exports = append(m.exports, appendU32(e, idx))
}

func (m *testModule) importFunc(module, name string, typ uint32) {
	e := appendU32(nil, uint32(len(module)))
	e = append(e, module...)
	e = appendU32(e, uint32(len(name)))
	e = append(e, name...)
	e = append(e, kindFunc)
	m.imports = append(m.imports, appendU32(e, typ))
}

func vec(entries [][]byte) []byte {
	b := appendU32(nil, uint32(len(entries)))
	for _, e := range entries {
		b = append(b, e...)
	}
	return b
}

func (m *testModule) bytes() []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	sec := func(id byte, body []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	var types [][]byte
	for _, t := range m.types {
		e := []byte{0x60}
		e = appendU32(e, uint32(len(t.params)))
		e = append(e, t.params...)
		e = appendU32(e, uint32(len(t.results)))
		types = append(types, append(e, t.results...))
	}
	sec(secType, vec(types))
	if len(m.imports) > 0 {
		sec(secImport, vec(m.imports))
	}
	var fs [][]byte
	for _, f := range m.funcs {
		fs = append(fs, appendU32(nil, f.typ))
	}
	sec(secFunction, vec(fs))
	if len(m.tables) > 0 {
		sec(secTable, vec(m.tables))
	}
	if m.memory != nil {
		sec(secMemory, append([]byte{1}, m.memory...))
	}
	if len(m.globals) > 0 {
		sec(secGlobal, vec(m.globals))
	}
	if len(m.exports) > 0 {
		sec(secExport, vec(m.exports))
	}
	if m.start >= 0 {
		sec(secStart, appendU32(nil, uint32(m.start)))
	}
	if len(m.elems) > 0 {
		sec(secElement, vec(m.elems))
	}
	var bodies [][]byte
	for _, f := range m.funcs {
		b := appendU32(nil, f.groups)
		b = append(b, f.locals...)
		b = append(b, f.code...)
		b = append(b, 0x0b)
		bodies = append(bodies, append(appendU32(nil, uint32(len(b))), b...))
	}
	sec(secCode, vec(bodies))
	if len(m.datas) > 0 {
		sec(secData, vec(m.datas))
	}
	return out
}

// Instruction helpers.
func localGet(i uint32) []byte  { return appendU32([]byte{0x20}, i) }
func localSet(i uint32) []byte  { return appendU32([]byte{0x21}, i) }
func globalGet(i uint32) []byte { return appendU32([]byte{0x23}, i) }
func globalSet(i uint32) []byte { return appendU32([]byte{0x24}, i) }
func call(f uint32) []byte      { return appendU32([]byte{0x10}, f) }
func i32Const(v int32) []byte   { return appendS32([]byte{0x41}, v) }
func i64Const(v int64) []byte   { return appendS33([]byte{0x42}, v) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
