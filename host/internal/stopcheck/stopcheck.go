package stopcheck

import (
	"errors"
	"fmt"
)

// ExportName is the name under which the stop global is exported, and
// FuelExportName the fuel counter's.
const (
	ExportName     = "__sparkbench_stop"
	FuelExportName = "__sparkbench_fuel"
)

// Fuel is how many checks pass between two slow-path checks, which read
// the stop flag and give the Go scheduler a preemption point.
const Fuel = 65536

// LoopStride is how many loop-head checks of one function activation pass
// between two reads of the stop flag; each read charges LoopStride to the
// fuel. Between them a loop head only counts in a local (a register): no
// global is read or written on a loop's fast path.
const LoopStride = 1024

// ErrMalformed: the module could not be decoded for instrumentation.
var ErrMalformed = errors.New("stopcheck: malformed or unsupported module")

const (
	secCustom   = 0
	secType     = 1
	secImport   = 2
	secFunction = 3
	secMemory   = 5
	secGlobal   = 6
	secExport   = 7
	secCode     = 10
	importGlobl = 3
	exportGlobl = 3
)

// sectionRank orders the known sections as the binary format requires.
var sectionRank = map[byte]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}

type section struct {
	id   byte
	body []byte
}

// Instrument returns a copy of wasm with the stop global, its export and
// the checks. The input is not modified.
func Instrument(wasm []byte) ([]byte, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, fmt.Errorf("%w: no wasm header", ErrMalformed)
	}
	var secs []section
	for r := (reader{b: wasm, i: 8}); r.i < len(r.b); {
		id := r.byte()
		n := r.u32()
		body := r.bytes(int(n))
		if r.err != nil {
			return nil, fmt.Errorf("%w: section %d: %v", ErrMalformed, id, r.err)
		}
		secs = append(secs, section{id: id, body: body})
	}

	importedGlobals, definedGlobals := 0, 0
	hasMemory := false
	var typeParams, funcTypes []uint32
	for _, s := range secs {
		switch s.id {
		case secType:
			var err error
			if typeParams, err = paramCounts(s.body); err != nil {
				return nil, err
			}
		case secFunction:
			r := reader{b: s.body}
			n := r.u32()
			for k := uint32(0); k < n && r.err == nil; k++ {
				funcTypes = append(funcTypes, r.u32())
			}
			if r.err != nil {
				return nil, fmt.Errorf("%w: function section: %v", ErrMalformed, r.err)
			}
		case secMemory:
			r := reader{b: s.body}
			hasMemory = hasMemory || r.u32() > 0
		case secImport:
			n, mems, err := countImports(s.body)
			if err != nil {
				return nil, err
			}
			importedGlobals = n
			hasMemory = hasMemory || mems > 0
		case secGlobal:
			r := reader{b: s.body}
			definedGlobals = int(r.u32())
			if r.err != nil {
				return nil, fmt.Errorf("%w: global section: %v", ErrMalformed, r.err)
			}
		case secExport:
			if hasExport(s.body, ExportName) || hasExport(s.body, FuelExportName) {
				return nil, fmt.Errorf("%w: already exports %s", ErrMalformed, ExportName)
			}
		}
	}
	g := uint32(importedGlobals + definedGlobals) // stop; fuel is g+1
	check := appendCheck(nil, g, hasMemory)
	// The number of parameters of each defined function: the index of the
	// counter local the loop checks add after its locals.
	params := make([]uint32, len(funcTypes))
	for k, t := range funcTypes {
		if int(t) >= len(typeParams) {
			return nil, fmt.Errorf("%w: function %d has type %d of %d", ErrMalformed, k, t, len(typeParams))
		}
		params[k] = typeParams[t]
	}

	out := append([]byte(nil), wasm[:8]...)
	haveGlobal, haveExport := false, false
	emit := func(id byte, body []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	// insertMissing emits the global and export sections, if the module has
	// none, before a section of rank r.
	insertMissing := func(r int) {
		if !haveGlobal && r > sectionRank[secGlobal] {
			emit(secGlobal, newGlobalSection(nil, 0))
			haveGlobal = true
		}
		if !haveExport && r > sectionRank[secExport] {
			emit(secExport, newExportSection(nil, 0, g))
			haveExport = true
		}
	}
	for _, s := range secs {
		if s.id != secCustom {
			insertMissing(sectionRank[s.id])
		}
		switch s.id {
		case secGlobal:
			r := reader{b: s.body}
			n := r.u32()
			emit(secGlobal, newGlobalSection(s.body[r.i:], n))
			haveGlobal = true
		case secExport:
			r := reader{b: s.body}
			n := r.u32()
			emit(secExport, newExportSection(s.body[r.i:], n, g))
			haveExport = true
		case secCode:
			body, err := instrumentCode(s.body, check, g, params)
			if err != nil {
				return nil, err
			}
			emit(secCode, body)
		default:
			emit(s.id, s.body)
		}
	}
	insertMissing(1 << 30)
	return out, nil
}

// appendCheck appends the check of stop global g and fuel global g+1:
//
//	global.get $fuel
//	i32.const 1
//	i32.lt_s         ;; not i32.eqz: the watchdog's write of 0 may race
//	if               ;; with the decrement below and leave -1
//	  global.get $stop
//	  if
//	    unreachable
//	  end
//	  i32.const Fuel
//	  global.set $fuel
//	  i32.const 0      ;; memory.grow 0 leaves native code for Go: a
//	  memory.grow 0    ;; preemption point, so that guests spinning on
//	  drop             ;; every P cannot starve the watchdog goroutine
//	end
//	global.get $fuel
//	i32.const 1
//	i32.sub
//	global.set $fuel
//
// The fast path is two global reads, one write and a branch.
func appendCheck(dst []byte, g uint32, hasMemory bool) []byte {
	getFuel := appendU32([]byte{0x23}, g+1)
	setFuel := appendU32([]byte{0x24}, g+1)
	dst = append(dst, getFuel...)
	dst = append(dst, 0x41, 0x01, 0x48, 0x04, 0x40, 0x23) // i32.const 1; i32.lt_s; if
	dst = appendU32(dst, g)
	dst = append(dst, 0x04, 0x40, 0x00, 0x0b)
	dst = append(dst, 0x41)
	dst = appendS32(dst, Fuel)
	dst = append(dst, setFuel...)
	if hasMemory {
		dst = append(dst, 0x41, 0x00, 0x40, 0x00, 0x1a)
	}
	dst = append(dst, 0x0b)
	dst = append(dst, getFuel...)
	dst = append(dst, 0x41, 0x01, 0x6b)
	return append(dst, setFuel...)
}

// appendLoopCheck appends the check of a loop head, with counter local l
// (zero at function entry, as every local) and the function-entry check
// for the slow path:
//
//	local.get $l
//	i32.const 1
//	i32.add
//	local.tee $l
//	i32.const LoopStride-1
//	i32.and
//	i32.eqz
//	if               ;; once every LoopStride iterations of this activation
//	  global.get $stop
//	  if
//	    unreachable
//	  end
//	  global.get $fuel
//	  i32.const LoopStride-1
//	  i32.sub
//	  global.set $fuel
//	  CHECK          ;; charges the last unit: refill and preemption point
//	end
//
// The fast path keeps the count in a register: no global is read or
// written, so a loop carries no dependency through memory.
func appendLoopCheck(dst []byte, g, l uint32, check []byte) []byte {
	dst = append(dst, 0x20)
	dst = appendU32(dst, l)
	dst = append(dst, 0x41, 0x01, 0x6a, 0x22)
	dst = appendU32(dst, l)
	dst = append(dst, 0x41)
	dst = appendS32(dst, LoopStride-1)
	dst = append(dst, 0x71, 0x45, 0x04, 0x40, 0x23)
	dst = appendU32(dst, g)
	dst = append(dst, 0x04, 0x40, 0x00, 0x0b, 0x23)
	dst = appendU32(dst, g+1)
	dst = append(dst, 0x41)
	dst = appendS32(dst, LoopStride-1)
	dst = append(dst, 0x6b, 0x24)
	dst = appendU32(dst, g+1)
	dst = append(dst, check...)
	return append(dst, 0x0b)
}

// maxLocals bounds the locals of a function the loop counter is added to;
// beyond it (no real module comes close) loops get the entry check.
const maxLocals = 50000

// paramCounts returns the number of parameters of each function type.
func paramCounts(body []byte) ([]uint32, error) {
	r := reader{b: body}
	n := r.u32()
	var out []uint32
	for k := uint32(0); k < n && r.err == nil; k++ {
		if form := r.byte(); form != 0x60 {
			if r.err == nil {
				return nil, fmt.Errorf("%w: type %d: form 0x%02x", ErrMalformed, k, form)
			}
			break
		}
		np := r.u32()
		for i := uint32(0); i < np && r.err == nil; i++ {
			r.valtype()
		}
		nr := r.u32()
		for i := uint32(0); i < nr && r.err == nil; i++ {
			r.valtype()
		}
		out = append(out, np)
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: type section: %v", ErrMalformed, r.err)
	}
	return out, nil
}

// newGlobalSection appends stop (mut i32) = 0 and fuel (mut i32) = Fuel
// to n existing entries.
func newGlobalSection(entries []byte, n uint32) []byte {
	b := appendU32(nil, n+2)
	b = append(b, entries...)
	b = append(b, 0x7f, 0x01, 0x41, 0x00, 0x0b)
	b = append(b, 0x7f, 0x01, 0x41)
	b = appendS32(b, Fuel)
	return append(b, 0x0b)
}

// newExportSection appends the exports of the stop and fuel globals to n
// existing entries.
func newExportSection(entries []byte, n, g uint32) []byte {
	b := appendU32(nil, n+2)
	b = append(b, entries...)
	for i, name := range []string{ExportName, FuelExportName} {
		b = appendU32(b, uint32(len(name)))
		b = append(b, name...)
		b = append(b, exportGlobl)
		b = appendU32(b, g+uint32(i))
	}
	return b
}

// countImports returns the number of imported globals and memories.
func countImports(body []byte) (globals, memories int, err error) {
	r := reader{b: body}
	n := r.u32()
	for k := uint32(0); k < n && r.err == nil; k++ {
		r.name()
		r.name()
		switch kind := r.byte(); kind {
		case 0: // func
			r.u32()
		case 1: // table
			r.valtype()
			r.limits()
		case 2: // memory
			r.limits()
			memories++
		case importGlobl:
			r.valtype()
			r.byte()
			globals++
		case 4: // tag
			r.byte()
			r.u32()
		default:
			return 0, 0, fmt.Errorf("%w: import kind %d", ErrMalformed, kind)
		}
	}
	if r.err != nil {
		return 0, 0, fmt.Errorf("%w: import section: %v", ErrMalformed, r.err)
	}
	return globals, memories, nil
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

// instrumentCode inserts check at the entry of each function that calls
// another and a loop check at each loop head; params holds each function's
// parameter count.
func instrumentCode(body []byte, check []byte, g uint32, params []uint32) ([]byte, error) {
	r := reader{b: body}
	n := r.u32()
	if int(n) != len(params) {
		return nil, fmt.Errorf("%w: %d code entries for %d functions", ErrMalformed, n, len(params))
	}
	out := appendU32(make([]byte, 0, len(body)+len(body)/8), n)
	var fn []byte
	for k := uint32(0); k < n; k++ {
		size := r.u32()
		code := r.bytes(int(size))
		if r.err != nil {
			return nil, fmt.Errorf("%w: code entry %d: %v", ErrMalformed, k, r.err)
		}
		var err error
		fn, err = instrumentFunc(fn[:0], code, check, g, params[k])
		if err != nil {
			return nil, fmt.Errorf("%w: function body %d: %v", ErrMalformed, k, err)
		}
		out = appendU32(out, uint32(len(fn)))
		out = append(out, fn...)
	}
	if r.i != len(r.b) {
		return nil, fmt.Errorf("%w: trailing bytes in the code section", ErrMalformed)
	}
	return out, nil
}

func instrumentFunc(dst, code, check []byte, g, params uint32) ([]byte, error) {
	r := reader{b: code}
	groups := r.u32()
	first := r.i // the first local group
	locals := uint64(params)
	for k := uint32(0); k < groups && r.err == nil; k++ {
		locals += uint64(r.u32())
		r.valtype()
	}
	if r.err != nil {
		return nil, r.err
	}
	loopCheck := check
	if locals < maxLocals {
		// One more local, the loop counter, after all the others: no
		// index shifts.
		dst = appendU32(dst, groups+1)
		dst = append(dst, code[first:r.i]...)
		dst = append(dst, 0x01, 0x7f)
		loopCheck = appendLoopCheck(nil, g, uint32(locals), check)
	} else {
		dst = append(dst, code[:r.i]...)
	}
	calls, err := hasCall(code[r.i:])
	if err != nil {
		return nil, err
	}
	if calls {
		// A function that calls no other can neither recurse nor run
		// unboundedly but in its loops, which are checked: only callers
		// need the entry check.
		dst = append(dst, check...)
	}
	last := r.i
	for r.i < len(r.b) {
		op := r.byte()
		if err := r.skipImmediates(op); err != nil {
			return nil, err
		}
		if r.err != nil {
			return nil, r.err
		}
		if op == 0x03 { // loop blocktype: the check runs on every iteration
			dst = append(dst, code[last:r.i]...)
			dst = append(dst, loopCheck...)
			last = r.i
		}
	}
	return append(dst, code[last:]...), nil
}

// hasCall reports whether the instructions of a function body call a
// function (directly, indirectly, by reference or as a tail call).
func hasCall(body []byte) (bool, error) {
	r := reader{b: body}
	for r.i < len(r.b) {
		op := r.byte()
		switch op {
		case 0x10, 0x11, 0x12, 0x13, 0x14, 0x15: // call call_indirect return_call return_call_indirect call_ref return_call_ref
			return true, nil
		}
		if err := r.skipImmediates(op); err != nil {
			return false, err
		}
		if r.err != nil {
			return false, r.err
		}
	}
	return false, nil
}
