// Package wasmscan reads the import section of a WebAssembly binary without
// compiling it, so that a workload can be checked (does this flare write
// Spark?) before any runtime exists.
package wasmscan

import (
	"errors"
	"fmt"
)

// Import is one imported item.
type Import struct {
	Module, Name string
	Kind         byte // 0 func, 1 table, 2 memory, 3 global, 4 tag
}

// ErrNotWasm is returned for input without the wasm magic and version 1.
var ErrNotWasm = errors.New("not a WebAssembly binary")

// Export is one exported item.
type Export struct {
	Name string
	Kind byte // 0 func, 1 table, 2 memory, 3 global, 4 tag
}

// Imports returns the module's imports in order.
func Imports(b []byte) ([]Import, error) {
	imps, _, err := Scan(b)
	return imps, err
}

// Scan returns the module's imports and exports in order.
func Scan(b []byte) ([]Import, []Export, error) {
	var imports []Import
	var exports []Export
	if len(b) < 8 || string(b[:4]) != "\x00asm" || b[4] != 1 || b[5] != 0 || b[6] != 0 || b[7] != 0 {
		return nil, nil, ErrNotWasm
	}
	r := reader{b: b, p: 8}
	for r.p < len(r.b) {
		id := r.byte()
		size := r.u32()
		if r.err != nil {
			return nil, nil, r.err
		}
		if uint64(size) > uint64(len(r.b)-r.p) {
			return nil, nil, fmt.Errorf("section %d: size %d beyond end of module", id, size)
		}
		end := r.p + int(size)
		if id == 7 {
			sec := reader{b: r.b[:end], p: r.p}
			n := sec.u32()
			for i := uint32(0); i < n && sec.err == nil; i++ {
				e := Export{Name: sec.name(), Kind: sec.byte()}
				sec.u32()
				exports = append(exports, e)
			}
			if sec.err != nil {
				return nil, nil, fmt.Errorf("export section: %w", sec.err)
			}
		}
		if id != 2 {
			r.p = end
			continue
		}
		sec := reader{b: r.b[:end], p: r.p}
		n := sec.u32()
		for i := uint32(0); i < n && sec.err == nil; i++ {
			im := Import{Module: sec.name(), Name: sec.name(), Kind: sec.byte()}
			switch im.Kind {
			case 0, 4:
				if im.Kind == 4 {
					sec.byte()
				}
				sec.u32()
			case 1:
				sec.byte()
				sec.limits()
			case 2:
				sec.limits()
			case 3:
				sec.byte()
				sec.byte()
			default:
				return nil, nil, fmt.Errorf("import %d: unknown kind %d", i, im.Kind)
			}
			imports = append(imports, im)
		}
		if sec.err != nil {
			return nil, nil, fmt.Errorf("import section: %w", sec.err)
		}
		r.p = end
	}
	return imports, exports, nil
}

// KindName names an import or export kind.
func KindName(k byte) string {
	switch k {
	case 0:
		return "func"
	case 1:
		return "table"
	case 2:
		return "memory"
	case 3:
		return "global"
	case 4:
		return "tag"
	}
	return "unknown"
}

var errTruncated = errors.New("truncated module")

type reader struct {
	b   []byte
	p   int
	err error
}

func (r *reader) byte() byte {
	if r.err != nil || r.p >= len(r.b) {
		r.err = errTruncated
		return 0
	}
	c := r.b[r.p]
	r.p++
	return c
}

func (r *reader) u32() uint32 {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			if v > 1<<32-1 {
				r.err = errors.New("LEB128 value overflows u32")
				return 0
			}
			return uint32(v)
		}
	}
	r.err = errors.New("LEB128 too long")
	return 0
}

func (r *reader) name() string {
	n := r.u32()
	if r.err != nil {
		return ""
	}
	if uint64(n) > uint64(len(r.b)-r.p) {
		r.err = errTruncated
		return ""
	}
	s := string(r.b[r.p : r.p+int(n)])
	r.p += int(n)
	return s
}

func (r *reader) limits() {
	flags := r.byte()
	r.u32()
	if flags&1 != 0 {
		r.u32()
	}
}
