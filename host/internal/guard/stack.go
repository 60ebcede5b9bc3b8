package guard

import "fmt"

// Frame size estimate. wazero's compiler keeps a function's parameters,
// locals and operand-stack values in registers, spilling to the frame those
// live across a call: measured on amd64 (TestFrameCostCoversWazeroFrames),
// a frame takes about 40 bytes plus 8 to 13 per i64 or f64 value live
// across a call and 8 to 25 per v128, the most per value in functions with
// about a thousand. The estimate counts every parameter, local and the
// deepest operand stack as live, at twice the measured rate for the common
// sizes, and a fixed part for the return address and saved registers.
const (
	frameBase       = 64
	bytesPerValue   = 16
	bytesPerV128    = 32
	bytesPerOperand = 16 // in a function that may hold no v128 on its operand stack
	// insertedOperands is the operand stack the inserted checks use.
	insertedOperands = 3
)

const typeV128 = 0x7b

// FrameCost returns the stack guard's estimate of a frame, in bytes: the
// fixed part, each parameter and local, and the deepest operand stack, its
// values counted as v128 if simd (operand types are not tracked).
func FrameCost(values, v128s, maxOperands uint64, simd bool) uint64 {
	perOperand := uint64(bytesPerOperand)
	if simd {
		perOperand = bytesPerV128
	}
	return frameBase + bytesPerValue*values + (bytesPerV128-bytesPerValue)*v128s +
		perOperand*(maxOperands+insertedOperands)
}

// controlFrame is a block of the operand-height estimate.
type controlFrame struct {
	base    int64 // operand height below the block's parameters
	params  int64
	results int64
}

// heightEstimate bounds the operand stack of a function body from above,
// following the stack effect of every instruction of the features wazero
// enables (an instruction whose effect depends on what is not tracked is
// counted as pushing at least what it does).
type heightEstimate struct {
	m      *module
	frames []controlFrame
	h, max int64
	simd   bool // a SIMD instruction was seen
}

func (e *heightEstimate) pop(n int64) {
	e.h -= n
	if base := e.frames[len(e.frames)-1].base; e.h < base {
		e.h = base // unreachable code pops from a polymorphic stack
	}
}

func (e *heightEstimate) push(n int64) {
	e.h += n
	if e.h > e.max {
		e.max = e.h
	}
}

// unreachable makes the rest of the block polymorphic.
func (e *heightEstimate) unreachable() { e.h = e.frames[len(e.frames)-1].base }

// blockType returns the parameter and result counts of a block type.
func (e *heightEstimate) blockType(bt int64) (int64, int64, error) {
	switch {
	case bt == -64: // 0x40: no values
		return 0, 0, nil
	case bt < 0: // a value type
		return 0, 1, nil
	case bt < int64(len(e.m.types)):
		t := e.m.types[bt]
		return int64(len(t.params)), int64(len(t.results)), nil
	}
	return 0, 0, fmt.Errorf("block type %d of %d types", bt, len(e.m.types))
}

func (e *heightEstimate) enter(bt int64) error {
	p, r, err := e.blockType(bt)
	if err != nil {
		return err
	}
	e.pop(p)
	e.frames = append(e.frames, controlFrame{base: e.h, params: p, results: r})
	e.push(p)
	return nil
}

func (e *heightEstimate) typeOf(idx uint64) (funcType, error) {
	if idx >= uint64(len(e.m.types)) {
		return funcType{}, fmt.Errorf("type %d of %d", idx, len(e.m.types))
	}
	return e.m.types[idx], nil
}

// step applies the stack effect of op, whose immediates r reads; it
// reports whether op ended the function.
func (e *heightEstimate) step(op byte, r *reader) (bool, error) {
	switch {
	case op == 0x02 || op == 0x03: // block loop
		return false, e.enter(r.s33())
	case op == 0x04: // if
		e.pop(1)
		return false, e.enter(r.s33())
	case op == 0x06 || op == 0x1f: // try try_table (not enabled in wazero's defaults)
		if err := r.skipImmediates(op); err != nil {
			return false, err
		}
		e.frames = append(e.frames, controlFrame{base: e.h})
	case op == 0x05 || op == 0x07 || op == 0x19: // else catch catch_all
		if op == 0x07 {
			r.u32()
		}
		f := e.frames[len(e.frames)-1]
		e.h = f.base
		e.push(f.params)
	case op == 0x0b || op == 0x18: // end delegate
		if op == 0x18 {
			r.u32()
		}
		f := e.frames[len(e.frames)-1]
		e.frames = e.frames[:len(e.frames)-1]
		if len(e.frames) == 0 {
			return true, nil
		}
		e.h = f.base
		e.push(f.results)
	case op == 0x00 || op == 0x0f: // unreachable return
		e.unreachable()
	case op == 0x0c: // br
		r.u32()
		e.unreachable()
	case op == 0x0e: // br_table
		if err := r.skipImmediates(op); err != nil {
			return false, err
		}
		e.unreachable()
	case op == 0x08 || op == 0x09: // throw rethrow
		r.u32()
		e.unreachable()
	case op == 0x0d || op == 0xd5 || op == 0xd6: // br_if br_on_null br_on_non_null
		r.u32()
		e.pop(1)
	case op == 0x10 || op == 0x12: // call return_call
		f := uint64(r.u32())
		if f >= uint64(len(e.m.funcTypes)) {
			return false, fmt.Errorf("call of function %d of %d", f, len(e.m.funcTypes))
		}
		t := e.m.types[e.m.funcTypes[f]]
		e.pop(int64(len(t.params)))
		e.push(int64(len(t.results)))
		if op == 0x12 {
			e.unreachable()
		}
	case op == 0x11 || op == 0x13: // call_indirect return_call_indirect
		t, err := e.typeOf(uint64(r.u32()))
		if err != nil {
			return false, err
		}
		r.u32()
		e.pop(1 + int64(len(t.params)))
		e.push(int64(len(t.results)))
		if op == 0x13 {
			e.unreachable()
		}
	case op == 0x14 || op == 0x15: // call_ref return_call_ref (not enabled)
		t, err := e.typeOf(uint64(r.u32()))
		if err != nil {
			return false, err
		}
		e.pop(1 + int64(len(t.params)))
		e.push(int64(len(t.results)))
		if op == 0x15 {
			e.unreachable()
		}
	case op == 0x1a: // drop
		e.pop(1)
	case op == 0x1b || op == 0x1c: // select, select t*
		if err := r.skipImmediates(op); err != nil {
			return false, err
		}
		e.pop(3)
		e.push(1)
	case op == 0x20 || op == 0x23: // local.get global.get
		r.u32()
		e.push(1)
	case op == 0x21 || op == 0x24: // local.set global.set
		r.u32()
		e.pop(1)
	case op == 0x22 || op == 0x25: // local.tee table.get
		r.u32()
	case op == 0x26: // table.set
		r.u32()
		e.pop(2)
	case op >= 0x28 && op <= 0x35: // loads
		r.memarg()
	case op >= 0x36 && op <= 0x3e: // stores
		r.memarg()
		e.pop(2)
	case op == 0x3f: // memory.size
		r.u32()
		e.push(1)
	case op == 0x40: // memory.grow
		r.u32()
	case op >= 0x41 && op <= 0x44, op == 0xd0, op == 0xd2: // consts ref.null ref.func
		if err := r.skipImmediates(op); err != nil {
			return false, err
		}
		e.push(1)
	case op == 0x45 || op == 0x50 || // eqz
		op >= 0x67 && op <= 0x69 || op >= 0x79 && op <= 0x7b || // clz ctz popcnt
		op >= 0x8b && op <= 0x91 || op >= 0x99 && op <= 0x9f || // float unary
		op >= 0xa7 && op <= 0xc4 || // conversions, sign extension
		op == 0xd1 || op == 0xd3 || op == 0xd4: // ref.is_null ref.eq ref.as_non_null
	case op >= 0x46 && op <= 0xa6: // comparisons and binary operators
		e.pop(2)
		e.push(1)
	case op == 0x01: // nop
	case op == 0xfc:
		sub := r.u32()
		switch {
		case sub <= 7, sub == 9, sub == 13: // trunc_sat data.drop elem.drop
		case sub == 8, sub == 10, sub == 11, sub == 12, sub == 14, sub == 17: // memory.init/copy/fill table.init/copy/fill
			e.pop(3)
		case sub == 15: // table.grow
			e.pop(2)
			e.push(1)
		case sub == 16: // table.size
			e.push(1)
		default:
			return false, fmt.Errorf("unsupported 0xfc %d", sub)
		}
		switch sub {
		case 8, 10, 12, 14:
			r.u32()
			r.u32()
		case 9, 11, 13, 15, 16, 17:
			r.u32()
		}
	case op == 0xfd:
		e.simd = true
		sub, err := r.simd()
		if err != nil {
			return false, err
		}
		switch {
		case sub == 12: // v128.const
			e.push(1)
		case sub == 11 || sub >= 88 && sub <= 91: // v128.store, store_lane
			e.pop(2)
		}
		// Every other SIMD instruction pops at least as many values as it
		// pushes: counted as neither.
	case op == 0xfe: // threads (not enabled)
		if err := r.skipImmediates(op); err != nil {
			return false, err
		}
	default:
		return false, fmt.Errorf("unsupported opcode 0x%02x at %d", op, r.i-1)
	}
	return false, r.err
}
