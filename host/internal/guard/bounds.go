package guard

import (
	"errors"
	"fmt"
)

// tableDecl is a table of the table section.
type tableDecl struct {
	ref         byte
	min, max    uint64
	hasMax      bool
	clampedMax  uint64 // the maximum emitted
	clampToSize bool   // emit clampedMax
}

// checkLimits checks what the module declares against l, and fixes the
// maximum each table is emitted with. wazero allocates per instance what a
// module declares (8 bytes per table element and per entry of a passive
// element segment, an object per global and per imported function, a slice
// header per segment) however small the module: without limits a 149-byte
// module declaring a 100M-element table costs 800 MB per instance. Its
// compiler takes time and memory with each function and with the size of
// the largest (57 MiB of 4.6M tiny functions: 37 s and 2.8 GB).
func (m *module) checkLimits(l Limits) error {
	over := func(field string, got uint64, max uint32, what string, args ...any) error {
		if max == 0 || got <= uint64(max) {
			return nil
		}
		return &LimitError{Limit: field, What: fmt.Sprintf(what, args...), Max: uint64(max)}
	}
	globals, tableElems := uint64(m.importedGlobals+m.definedGlobals), uint64(0)
	var memMin uint64
	for _, s := range m.secs {
		r := reader{b: s.body}
		switch s.id {
		case secMemory:
			if r.u32() > 0 {
				memMin, _, _ = r.limits()
			}
		case secElement:
			_, entries, err := countElements(s.body, l)
			if err != nil {
				return err
			}
			if err := over("MaxTableElements", entries, l.MaxTableElements, "element segments: %d entries", entries); err != nil {
				return err
			}
		}
		if r.err != nil {
			return fmt.Errorf("%w: %s section: %v", ErrMalformed, sectionNames[s.id], r.err)
		}
	}
	if err := over("MaxGlobals", globals, l.MaxGlobals, "%d globals", globals); err != nil {
		return err
	}
	if n := uint64(len(m.funcTypes)); n > 0 {
		if err := over("MaxFunctions", n, l.MaxFunctions, "%d functions", n); err != nil {
			return err
		}
	}
	if err := over("MaxMemoryPages", memMin, l.MaxMemoryPages, "memory: %d initial pages", memMin); err != nil {
		return err
	}
	for i, t := range m.tables {
		tableElems += max(t.min, 1) // a table costs at least what one element does
		if err := over("MaxTableElements", t.min, l.MaxTableElements, "table %d: %d elements", i, t.min); err != nil {
			return err
		}
	}
	if err := over("MaxTableElements", tableElems, l.MaxTableElements, "tables: %d elements in all", tableElems); err != nil {
		return err
	}
	if l.MaxTableElements > 0 && len(m.tables) > 0 {
		// Share what the initial sizes leave among the tables, so that
		// growing all of them cannot pass the limit either.
		share := (uint64(l.MaxTableElements) - tableElems) / uint64(len(m.tables))
		for i := range m.tables {
			t := &m.tables[i]
			t.clampedMax = max(t.min, 1) + share
			if t.hasMax && t.max < t.clampedMax {
				t.clampedMax = t.max
			}
			t.clampToSize = true
		}
	}
	return nil
}

// tableSection returns the table section with each table's maximum
// clamped (see checkLimits).
func (m *module) tableSection() []byte {
	b := appendU32(nil, uint32(len(m.tables)))
	for _, t := range m.tables {
		b = append(b, t.ref)
		switch {
		case t.clampToSize:
			b = append(b, 0x01)
			b = appendU32(b, uint32(t.min))
			b = appendU32(b, uint32(t.clampedMax))
		case t.hasMax:
			b = append(b, 0x01)
			b = appendU32(b, uint32(t.min))
			b = appendU32(b, uint32(t.max))
		default:
			b = append(b, 0x00)
			b = appendU32(b, uint32(t.min))
		}
	}
	return b
}

// countElements returns the number of element segments and of their
// entries, in any of the eight segment encodings, checking every count
// (see parse).
func countElements(body []byte, l Limits) (segs uint32, entries uint64, err error) {
	r := reader{b: body}
	if segs, err = r.count("MaxSegments", l.MaxSegments, "element segments"); err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			return 0, 0, err
		}
		return 0, 0, fmt.Errorf("%w: element section: %v", ErrMalformed, err)
	}
	for k := uint32(0); k < segs && r.err == nil; k++ {
		flags := r.u32()
		if flags > 7 {
			return 0, 0, fmt.Errorf("%w: element segment %d: flags %d", ErrMalformed, k, flags)
		}
		if flags&3 == 2 { // explicit table index
			r.u32()
		}
		if flags&1 == 0 { // active: offset expression
			if err := r.skipConstExpr(); err != nil {
				return 0, 0, fmt.Errorf("%w: element segment %d: %v", ErrMalformed, k, err)
			}
		}
		if flags&3 != 0 { // elemkind or reftype
			r.byte()
		}
		n, err := r.count("MaxTableElements", l.MaxTableElements, "entries in an element segment")
		if err != nil {
			var le *LimitError
			if errors.As(err, &le) {
				return 0, 0, err
			}
			return 0, 0, fmt.Errorf("%w: element segment %d: %v", ErrMalformed, k, err)
		}
		entries += uint64(n)
		for e := uint32(0); e < n && r.err == nil; e++ {
			if flags&4 == 0 {
				r.u32() // function index
			} else if err := r.skipConstExpr(); err != nil {
				return 0, 0, fmt.Errorf("%w: element segment %d: %v", ErrMalformed, k, err)
			}
		}
	}
	if r.err != nil {
		return 0, 0, fmt.Errorf("%w: element section: %v", ErrMalformed, r.err)
	}
	return segs, entries, nil
}
