package guard

import (
	"bytes"
	"errors"
	"fmt"
)

// Names under which Instrument exports what it adds.
const (
	StopExport  = "__sparkbench_stop"
	FuelExport  = "__sparkbench_fuel"
	StackExport = "__sparkbench_stack"
	StartExport = "__sparkbench_start"
)

// Fuel is how many checks pass between two slow-path checks, which read
// the stop flag and give the Go scheduler a preemption point.
const Fuel = 65536

// LoopStride is how many loop-head checks of one function activation pass
// between two reads of the stop flag; each read charges LoopStride to the
// fuel. Between them a loop head only counts in a local (a register): no
// global is read or written on a loop's fast path.
const LoopStride = 1024

// MaxStackBytes is the largest stack budget Options.StackBytes may ask for:
// the guard compares with signed i32 arithmetic.
const MaxStackBytes = 1 << 30

// StackExhausted is the value (as a uint32) the stack global holds after
// the stack guard trapped: the host tells the guard's trap from the guest's
// own unreachable by it.
const StackExhausted = 0xffffffff

// Options select what Instrument adds.
type Options struct {
	// StopChecks adds the stop flag and fuel globals and their checks.
	StopChecks bool
	// StackBytes is the call-stack budget of one call into the guest, in
	// estimated bytes of native stack (see FrameCost); 0 adds no stack
	// guard. At most MaxStackBytes.
	StackBytes uint32
	// Limits bound what the module may declare.
	Limits Limits
}

// Limits bound what a module may declare; a zero field checks nothing.
// The field names are the host's (host.Limits and host.ModuleLimits), so
// that a LimitError can name the setting.
type Limits struct {
	MaxMemoryPages   uint32 // initial pages of the memory
	MaxTableElements uint32 // elements of all tables (initial, and reachable by table.grow) and of all element segments
	MaxGlobals       uint32 // globals, imported and defined
	MaxImports       uint32 // imports of every kind
	MaxTypes         uint32 // function types
	MaxExports       uint32 // exports
	MaxSegments      uint32 // data segments, and element segments (each)
	MaxFunctions     uint32 // functions, imported and defined
	MaxFunctionBytes uint32 // size of one function body
	MaxLocals        uint32 // parameters and locals of one function
}

// Result is an instrumented module.
type Result struct {
	Wasm []byte
	// HasStart reports that the module had a start section: its function
	// is exported as StartExport and no longer runs at instantiation; the
	// host must call it before any other export.
	HasStart bool
}

// ErrMalformed: the module could not be decoded for instrumentation, or
// declares counts its bytes do not bear.
var ErrMalformed = errors.New("malformed or unsupported module")

// LimitError reports the first limit a module exceeds.
type LimitError struct {
	Limit string // the Limits field, e.g. "MaxTableElements"
	What  string // what the module declares, e.g. "table 0: 100000000 elements"
	Max   uint64 // the limit
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s, limit %d (%s)", e.What, e.Max, e.Limit)
}

const (
	secCustom   = 0
	secType     = 1
	secImport   = 2
	secFunction = 3
	secTable    = 4
	secMemory   = 5
	secGlobal   = 6
	secExport   = 7
	secStart    = 8
	secElement  = 9
	secCode     = 10
	secData     = 11
	kindFunc    = 0
	kindTable   = 1
	kindMemory  = 2
	kindGlobal  = 3
	kindTag     = 4
)

// sectionRank orders the known sections as the binary format requires.
var sectionRank = map[byte]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}

type section struct {
	id   byte
	body []byte
}

// funcType is a function type: its parameter and result value types.
type funcType struct {
	params, results []byte
}

// module is what Instrument learns of a module before rewriting it.
type module struct {
	secs            []section
	types           []funcType
	funcTypes       []uint32 // type index of every function, imported ones first
	importedFuncs   int
	importedGlobals int
	definedGlobals  int
	hasMemory       bool
	start           int64 // function index of the start section, -1 if none
	tables          []tableDecl
	funcs           []funcInfo // defined functions, from analyze
	v128            bool       // a function type or global has a v128
	extraTypes      []funcType // types appended for the wrappers of multi-result functions
}

// Instrument returns a copy of wasm rewritten as o selects (see the
// package documentation). The input is not modified. A module it cannot
// decode gives ErrMalformed; one over a limit a *LimitError.
func Instrument(wasm []byte, o Options) (Result, error) {
	if o.StackBytes > MaxStackBytes {
		return Result{}, fmt.Errorf("guard: stack budget %d over %d", o.StackBytes, MaxStackBytes)
	}
	m, err := parse(wasm, o.Limits)
	if err != nil {
		return Result{}, err
	}
	if err := m.checkLimits(o.Limits); err != nil {
		return Result{}, err
	}
	if err := m.analyzeCode(o); err != nil {
		return Result{}, err
	}
	return Result{Wasm: m.emit(wasm[:8], o), HasStart: m.start >= 0}, nil
}

// sectionNames names the sections in errors.
var sectionNames = map[byte]string{0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory",
	6: "global", 7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "data count", 13: "tag"}

// parse splits wasm into sections and reads the types, imports, functions,
// tables, globals, exports and start section, checking every count against
// l first and against what its section holds: wazero's decoder allocates
// what a count declares before reading the entries (a 14-byte import
// section declaring 100M imports made it allocate 10 GB), so no count may
// reach it that the bytes and the limits do not bear.
func parse(wasm []byte, l Limits) (*module, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, fmt.Errorf("%w: no wasm header", ErrMalformed)
	}
	if v := wasm[4:8]; string(v) != "\x01\x00\x00\x00" {
		return nil, fmt.Errorf("%w: binary format version %d, want 1", ErrMalformed, uint32(v[0])|uint32(v[1])<<8|uint32(v[2])<<16|uint32(v[3])<<24)
	}
	m := &module{start: -1}
	for r := (reader{b: wasm, i: 8}); r.i < len(r.b); {
		id := r.byte()
		n := r.u32()
		body := r.bytes(int(n))
		if r.err != nil {
			return nil, fmt.Errorf("%w: section %d: %v", ErrMalformed, id, r.err)
		}
		if _, known := sectionNames[id]; !known || id == 13 {
			// Tags are exception handling's, which the host's wazero
			// does not enable.
			return nil, fmt.Errorf("%w: section %d not supported", ErrMalformed, id)
		}
		m.secs = append(m.secs, section{id: id, body: body})
	}
	var defined []uint32
	for _, s := range m.secs {
		r := reader{b: s.body}
		var err error
		switch s.id {
		case secType:
			var n uint32
			if n, err = r.count("MaxTypes", l.MaxTypes, "types"); err == nil {
				m.types = readTypes(&r, n)
			}
		case secImport:
			err = m.readImports(&r, l)
		case secFunction:
			var n uint32
			if n, err = r.count("MaxFunctions", l.MaxFunctions, "functions defined"); err == nil {
				defined = make([]uint32, 0, n)
				for k := uint32(0); k < n && r.err == nil; k++ {
					defined = append(defined, r.u32())
				}
			}
		case secTable:
			var n uint32
			if n, err = r.count("MaxTableElements", l.MaxTableElements, "tables"); err == nil {
				for k := uint32(0); k < n && r.err == nil; k++ {
					ref := r.byte()
					min, max, hasMax := r.limits()
					m.tables = append(m.tables, tableDecl{ref: ref, min: min, max: max, hasMax: hasMax})
				}
			}
		case secMemory:
			m.hasMemory = m.hasMemory || r.u32() > 0
		case secGlobal:
			var n uint32
			if n, err = r.count("MaxGlobals", l.MaxGlobals, "globals defined"); err == nil {
				m.definedGlobals = int(n)
				for k := 0; k < m.definedGlobals && r.err == nil && err == nil; k++ {
					m.v128 = m.v128 || r.byte() == typeV128
					r.byte()
					err = r.skipConstExpr()
				}
			}
		case secExport:
			err = readExports(&r, l)
		case secStart:
			m.start = int64(r.u32())
		case secData:
			err = readData(&r, l)
		}
		if err == nil {
			err = r.err
		}
		if err != nil {
			var le *LimitError
			if errors.As(err, &le) || errors.Is(err, ErrMalformed) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %s section: %v", ErrMalformed, sectionNames[s.id], err)
		}
	}
	m.funcTypes = append(m.funcTypes, defined...)
	for _, t := range m.types {
		m.v128 = m.v128 || bytes.IndexByte(t.params, typeV128) >= 0 || bytes.IndexByte(t.results, typeV128) >= 0
	}
	for k, t := range m.funcTypes {
		if int(t) >= len(m.types) {
			return nil, fmt.Errorf("%w: function %d has type %d of %d", ErrMalformed, k, t, len(m.types))
		}
	}
	return m, nil
}

// count reads the count of a vector and checks it: against the limit
// named field (0: none), and against the bytes left (each entry takes at
// least one).
func (r *reader) count(field string, max uint32, what string) (uint32, error) {
	n := r.u32()
	if r.err != nil {
		return 0, r.err
	}
	if max > 0 && n > max {
		return 0, &LimitError{Limit: field, What: fmt.Sprintf("%d %s", n, what), Max: uint64(max)}
	}
	if int64(n) > int64(len(r.b)-r.i) {
		return 0, fmt.Errorf("%d %s declared in %d bytes", n, what, len(r.b)-r.i)
	}
	return n, nil
}

// readExports checks the export section: every entry within its bytes,
// none of the names Instrument adds.
func readExports(r *reader, l Limits) error {
	n, err := r.count("MaxExports", l.MaxExports, "exports")
	if err != nil {
		return err
	}
	for k := uint32(0); k < n && r.err == nil; k++ {
		name := string(r.name())
		r.byte()
		r.u32()
		switch name {
		case StopExport, FuelExport, StackExport, StartExport:
			return fmt.Errorf("%w: already exports %s", ErrMalformed, name)
		}
	}
	return r.err
}

// readData checks the data section: every segment within its bytes.
func readData(r *reader, l Limits) error {
	n, err := r.count("MaxSegments", l.MaxSegments, "data segments")
	if err != nil {
		return err
	}
	for k := uint32(0); k < n && r.err == nil; k++ {
		switch flags := r.u32(); flags {
		case 0, 2: // active: (memory index,) offset expression
			if flags == 2 {
				r.u32()
			}
			if err := r.skipConstExpr(); err != nil {
				return fmt.Errorf("segment %d: %v", k, err)
			}
		case 1: // passive
		default:
			return fmt.Errorf("segment %d: flags %d", k, flags)
		}
		r.bytes(int(r.u32()))
	}
	return r.err
}

func readTypes(r *reader, n uint32) []funcType {
	out := make([]funcType, 0, n)
	for k := uint32(0); k < n && r.err == nil; k++ {
		if form := r.byte(); form != 0x60 {
			if r.err == nil {
				r.err = fmt.Errorf("type %d: form 0x%02x", k, form)
			}
			break
		}
		var t funcType
		t.params = r.bytes(int(r.u32())) // one byte per value type wazero supports
		t.results = r.bytes(int(r.u32()))
		out = append(out, t)
	}
	return out
}

func (m *module) readImports(r *reader, l Limits) error {
	n, err := r.count("MaxImports", l.MaxImports, "imports")
	if err != nil {
		return err
	}
	for k := uint32(0); k < n && r.err == nil; k++ {
		r.name()
		r.name()
		switch kind := r.byte(); kind {
		case kindFunc:
			m.funcTypes = append(m.funcTypes, r.u32())
			m.importedFuncs++
		case kindTable:
			r.valtype()
			r.limits()
		case kindMemory:
			r.limits()
			m.hasMemory = true
		case kindGlobal:
			m.v128 = m.v128 || r.byte() == typeV128
			r.byte()
			m.importedGlobals++
		case kindTag:
			r.byte()
			r.u32()
		default:
			if r.err == nil {
				return fmt.Errorf("import kind %d", kind)
			}
		}
	}
	return r.err
}

func hasExport(body []byte, name string) bool {
	r := reader{b: body}
	n := r.u32()
	for k := uint32(0); k < n && r.err == nil; k++ {
		if string(r.name()) == name {
			return true
		}
		r.byte()
		r.u32()
	}
	return false
}

// globals returns the indices of the globals Instrument adds: stop and
// fuel (when o.StopChecks) and stack (when o.StackBytes > 0), in that
// order after every existing global; -1 for those not added.
func (m *module) globals(o Options) (stop, fuel, stack int64) {
	next := int64(m.importedGlobals + m.definedGlobals)
	stop, fuel, stack = -1, -1, -1
	if o.StopChecks {
		stop, fuel = next, next+1
		next += 2
	}
	if o.StackBytes > 0 {
		stack = next
	}
	return stop, fuel, stack
}

// emit writes the rewritten module after header.
func (m *module) emit(header []byte, o Options) []byte {
	stop, fuel, stack := m.globals(o)
	var newGlobals []byte // entries to append to the global section
	var newExports []byte // entries to append to the export section
	nGlobals, nExports := uint32(0), uint32(0)
	addExport := func(name string, kind byte, idx uint32) {
		newExports = appendU32(newExports, uint32(len(name)))
		newExports = append(newExports, name...)
		newExports = append(newExports, kind)
		newExports = appendU32(newExports, idx)
		nExports++
	}
	if stop >= 0 {
		newGlobals = append(newGlobals, 0x7f, 0x01, 0x41, 0x00, 0x0b) // (mut i32) 0
		newGlobals = append(newGlobals, 0x7f, 0x01, 0x41)             // (mut i32) Fuel
		newGlobals = appendS32(newGlobals, Fuel)
		newGlobals = append(newGlobals, 0x0b)
		nGlobals += 2
		addExport(StopExport, kindGlobal, uint32(stop))
		addExport(FuelExport, kindGlobal, uint32(fuel))
	}
	if stack >= 0 {
		newGlobals = append(newGlobals, 0x7f, 0x01, 0x41) // (mut i32) StackBytes
		newGlobals = appendS32(newGlobals, int32(o.StackBytes))
		newGlobals = append(newGlobals, 0x0b)
		nGlobals++
		addExport(StackExport, kindGlobal, uint32(stack))
	}
	if m.start >= 0 {
		addExport(StartExport, kindFunc, uint32(m.start))
	}

	out := append([]byte(nil), header...)
	emitSection := func(id byte, body []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	// extend emits section id with n more entries appended to its existing
	// entries (body without its count; nil for a section the module lacks).
	extend := func(id byte, body []byte, n uint32, entries []byte) {
		count := uint32(0)
		if body != nil {
			r := reader{b: body}
			count = r.u32()
			body = body[r.i:]
		}
		b := appendU32(nil, count+n)
		b = append(b, body...)
		emitSection(id, append(b, entries...))
	}
	var extraTypes []byte
	for _, t := range m.extraTypes {
		extraTypes = append(extraTypes, 0x60)
		extraTypes = appendU32(extraTypes, uint32(len(t.params)))
		extraTypes = append(extraTypes, t.params...)
		extraTypes = appendU32(extraTypes, uint32(len(t.results)))
		extraTypes = append(extraTypes, t.results...)
	}
	done := map[byte]bool{}
	// insertMissing emits the sections Instrument adds to, if the module
	// has none, before a section of rank r.
	insertMissing := func(r int) {
		for _, id := range []byte{secGlobal, secExport} {
			if !done[id] && r > sectionRank[id] {
				switch {
				case id == secGlobal && nGlobals > 0:
					extend(secGlobal, nil, nGlobals, newGlobals)
				case id == secExport && nExports > 0:
					extend(secExport, nil, nExports, newExports)
				}
				done[id] = true
			}
		}
	}
	for _, s := range m.secs {
		if s.id != secCustom {
			insertMissing(sectionRank[s.id])
		}
		switch s.id {
		case secType:
			extend(secType, s.body, uint32(len(m.extraTypes)), extraTypes)
		case secTable:
			emitSection(secTable, m.tableSection())
		case secGlobal:
			extend(secGlobal, s.body, nGlobals, newGlobals)
			done[secGlobal] = true
		case secExport:
			extend(secExport, s.body, nExports, newExports)
			done[secExport] = true
		case secStart:
			// Detached: exported as StartExport instead.
		case secCustom:
			// Dropped: the host reads no name or debug section, and
			// wazero's decoder trusts their counts (a name section
			// declaring 4G function names made it allocate 96 GB).
		case secCode:
			emitSection(secCode, m.codeSection(s.body, o))
		default:
			emitSection(s.id, s.body)
		}
	}
	insertMissing(1 << 30)
	return out
}
