package guard

import (
	"errors"
	"fmt"
)

var errEOF = errors.New("unexpected end")

// reader decodes the binary format; the first error sticks.
type reader struct {
	b   []byte
	i   int
	err error
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.i >= len(r.b) {
		r.err = errEOF
		return 0
	}
	c := r.b[r.i]
	r.i++
	return c
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || r.i+n > len(r.b) {
		r.err = errEOF
		return nil
	}
	s := r.b[r.i : r.i+n]
	r.i += n
	return s
}

// leb reads an unsigned or signed LEB128 of at most max bytes, returning
// the unsigned value (callers that need signed values do not).
func (r *reader) leb(max int) uint64 {
	var v uint64
	for k := 0; k < max; k++ {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		if k < 10 {
			v |= uint64(c&0x7f) << (7 * k)
		}
		if c&0x80 == 0 {
			return v
		}
	}
	r.err = errors.New("LEB128 too long")
	return 0
}

func (r *reader) u32() uint32 { return uint32(r.leb(5)) }

func (r *reader) name() []byte { return r.bytes(int(r.u32())) }

// valtype reads a value type: one byte for every type wazero supports.
func (r *reader) valtype() { r.byte() }

// limits reads a table's or memory's limits.
func (r *reader) limits() (min, max uint64, hasMax bool) {
	flags := r.byte()
	min = r.leb(10)
	if flags&1 != 0 {
		max, hasMax = r.leb(10), true
	}
	return min, max, hasMax
}

// s33 reads a block type: negative for a value type (-64 for none), else
// a type index.
func (r *reader) s33() int64 {
	var v int64
	shift := uint(0)
	for k := 0; k < 5; k++ {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if c&0x40 != 0 {
				v |= -1 << shift // sign-extend
			}
			return v
		}
	}
	r.err = errors.New("s33 too long")
	return 0
}

// skipConstExpr skips a constant expression up to its end.
func (r *reader) skipConstExpr() error {
	for r.err == nil {
		op := r.byte()
		if op == 0x0b {
			return r.err
		}
		if err := r.skipImmediates(op); err != nil {
			return err
		}
	}
	return r.err
}

func (r *reader) memarg() {
	align := r.u32()
	if align&0x40 != 0 { // multi-memory: memory index follows
		r.u32()
	}
	r.leb(10)
}

// skipImmediates skips the immediates of op.
func (r *reader) skipImmediates(op byte) error {
	switch {
	case op == 0x02 || op == 0x03 || op == 0x04 || op == 0x06: // block loop if try: blocktype (s33)
		r.leb(5)
	case op == 0x1f: // try_table
		r.leb(5)
		n := r.u32()
		for k := uint32(0); k < n && r.err == nil; k++ {
			switch r.byte() {
			case 0x00, 0x01:
				r.u32()
				r.u32()
			case 0x02, 0x03:
				r.u32()
			default:
				return fmt.Errorf("try_table catch kind")
			}
		}
	case op == 0x07 || op == 0x08 || op == 0x09 || op == 0x18: // catch throw rethrow delegate
		r.u32()
	case op == 0x0c || op == 0x0d || op == 0xd5 || op == 0xd6: // br br_if br_on_null br_on_non_null
		r.u32()
	case op == 0x0e: // br_table
		n := r.u32()
		for k := uint32(0); k <= n && r.err == nil; k++ {
			r.u32()
		}
	case op == 0x10 || op == 0x12 || op == 0x14 || op == 0x15 || op == 0xd2: // call return_call call_ref return_call_ref ref.func
		r.u32()
	case op == 0x11 || op == 0x13: // call_indirect return_call_indirect
		r.u32()
		r.u32()
	case op == 0x1c: // select t*
		n := r.u32()
		for k := uint32(0); k < n && r.err == nil; k++ {
			r.valtype()
		}
	case op >= 0x20 && op <= 0x26: // local.*, global.*, table.get/set
		r.u32()
	case op >= 0x28 && op <= 0x3e: // loads and stores
		r.memarg()
	case op == 0x3f || op == 0x40: // memory.size memory.grow
		r.u32()
	case op == 0x41:
		r.leb(5)
	case op == 0x42:
		r.leb(10)
	case op == 0x43:
		r.bytes(4)
	case op == 0x44:
		r.bytes(8)
	case op == 0xd0: // ref.null heaptype
		r.leb(5)
	case op == 0xfc:
		return r.skipFC()
	case op == 0xfd:
		_, err := r.simd()
		return err
	case op == 0xfe:
		sub := r.u32()
		if sub == 0x03 { // atomic.fence
			r.byte()
		} else {
			r.memarg()
		}
	case op <= 0x01 || op == 0x05 || op == 0x0a || op == 0x0b || op == 0x0f || op == 0x19 || op == 0x1a || op == 0x1b:
	case op >= 0x45 && op <= 0xc4, op == 0xd1, op == 0xd3, op == 0xd4:
	default:
		return fmt.Errorf("unsupported opcode 0x%02x at %d", op, r.i-1)
	}
	return nil
}

func (r *reader) skipFC() error {
	switch sub := r.u32(); {
	case sub <= 7: // trunc_sat
	case sub == 8: // memory.init data mem
		r.u32()
		r.u32()
	case sub == 9, sub == 11, sub == 13, sub == 15, sub == 16, sub == 17: // data.drop memory.fill elem.drop table.grow/size/fill
		r.u32()
	case sub == 10, sub == 12, sub == 14: // memory.copy table.init table.copy
		r.u32()
		r.u32()
	default:
		return fmt.Errorf("unsupported 0xfc %d", sub)
	}
	return nil
}

// simd reads a 0xfd instruction's opcode and skips its immediates.
func (r *reader) simd() (uint32, error) {
	sub := r.u32()
	switch {
	case sub <= 11, sub == 92, sub == 93: // loads, store, load_zero
		r.memarg()
	case sub == 12, sub == 13: // v128.const, i8x16.shuffle
		r.bytes(16)
	case sub >= 21 && sub <= 34: // extract/replace lane
		r.byte()
	case sub >= 84 && sub <= 91: // load/store lane
		r.memarg()
		r.byte()
	}
	return sub, r.err
}

func appendU32(dst []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(dst, c)
		}
		dst = append(dst, c|0x80)
	}
}

func appendS32(dst []byte, v int32) []byte { return appendS33(dst, int64(v)) }

// appendS33 appends v as a signed LEB128 (block types are s33).
func appendS33(dst []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(dst, c)
		}
		dst = append(dst, c|0x80)
	}
}
