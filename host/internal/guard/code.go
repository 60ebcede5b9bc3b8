package guard

import "fmt"

// maxLocals bounds the locals of a function Instrument accepts, so that
// the locals it adds keep the count a u32 (no real module comes close, and
// Limits.MaxLocals refuses such modules first).
const maxLocals = 1 << 30

// funcInfo is what analyzeCode learns of one defined function.
type funcInfo struct {
	calls  bool   // calls a function: gets the entry checks
	locals uint64 // parameters and locals
	cost   uint64 // FrameCost of its frame
	wrap   int64  // block type of the body's wrapper (a value type byte or a type index)
}

// analyzeCode checks each body's size and locals against o.Limits and
// estimates its frame; it fixes the wrappers' block types, appending a
// type for each result list a function type has and no block type can
// name.
func (m *module) analyzeCode(o Options) error {
	var body []byte
	for _, s := range m.secs {
		if s.id == secCode {
			body = s.body
		}
	}
	defined := m.funcTypes[m.importedFuncs:]
	if body == nil && len(defined) == 0 {
		return nil
	}
	r := reader{b: body}
	n := r.u32()
	if r.err != nil || int(n) != len(defined) {
		return fmt.Errorf("%w: %d code entries for %d functions", ErrMalformed, n, len(defined))
	}
	m.funcs = make([]funcInfo, n)
	wrapTypes := map[string]int64{}
	for k := uint32(0); k < n; k++ {
		size := r.u32()
		code := r.bytes(int(size))
		if r.err != nil {
			return fmt.Errorf("%w: code entry %d: %v", ErrMalformed, k, r.err)
		}
		fidx := uint32(m.importedFuncs) + k
		if max := o.Limits.MaxFunctionBytes; max > 0 && size > max {
			return &LimitError{Limit: "MaxFunctionBytes", What: fmt.Sprintf("function %d: body of %d bytes", fidx, size), Max: uint64(max)}
		}
		t := m.types[defined[k]]
		info, err := m.analyzeFunc(code, t)
		if err != nil {
			return fmt.Errorf("%w: function body %d: %v", ErrMalformed, k, err)
		}
		if max := o.Limits.MaxLocals; max > 0 && info.locals > uint64(max) {
			return &LimitError{Limit: "MaxLocals", What: fmt.Sprintf("function %d: %d parameters and locals", fidx, info.locals), Max: uint64(max)}
		}
		if info.locals > maxLocals {
			return fmt.Errorf("%w: function %d: %d locals", ErrMalformed, fidx, info.locals)
		}
		switch len(t.results) {
		case 0:
			info.wrap = -64
		case 1:
			info.wrap = int64(int8(t.results[0]<<1) >> 1) // the value type as an s33
		default:
			key := string(t.results)
			idx, ok := wrapTypes[key]
			if !ok {
				idx = -1
				for i, ty := range m.types {
					if len(ty.params) == 0 && string(ty.results) == key {
						idx = int64(i)
						break
					}
				}
				if idx < 0 {
					idx = int64(len(m.types) + len(m.extraTypes))
					m.extraTypes = append(m.extraTypes, funcType{results: t.results})
				}
				wrapTypes[key] = idx
			}
			info.wrap = idx
		}
		m.funcs[k] = info
	}
	if r.i != len(r.b) {
		return fmt.Errorf("%w: trailing bytes in the code section", ErrMalformed)
	}
	return nil
}

// analyzeFunc reads a body's locals and walks its instructions.
func (m *module) analyzeFunc(code []byte, t funcType) (funcInfo, error) {
	r := reader{b: code}
	groups := r.u32()
	values, v128s := uint64(len(t.params)), uint64(0)
	for _, p := range t.params {
		if p == typeV128 {
			v128s++
		}
	}
	for k := uint32(0); k < groups && r.err == nil; k++ {
		n := uint64(r.u32())
		if r.byte() == typeV128 {
			v128s += n
		}
		values += n
	}
	if r.err != nil {
		return funcInfo{}, r.err
	}
	e := heightEstimate{m: m, frames: []controlFrame{{results: int64(len(t.results))}}}
	info := funcInfo{locals: values}
	for {
		if r.i >= len(r.b) {
			return funcInfo{}, fmt.Errorf("no end")
		}
		op := r.byte()
		switch op {
		case 0x10, 0x11, 0x12, 0x13, 0x14, 0x15: // call call_indirect return_call return_call_indirect call_ref return_call_ref
			info.calls = true
		}
		end, err := e.step(op, &r)
		if err != nil {
			return funcInfo{}, err
		}
		if end {
			break
		}
	}
	if r.i != len(r.b) {
		return funcInfo{}, fmt.Errorf("%d bytes after the end", len(r.b)-r.i)
	}
	info.cost = FrameCost(values, v128s, uint64(e.max), e.simd || v128s > 0 || m.v128)
	return info, nil
}

// leafCost returns the largest frame of a function that calls none: the
// room the stack guard of a caller keeps for it.
func (m *module) leafCost() uint64 {
	c := uint64(0)
	for _, f := range m.funcs {
		if !f.calls {
			c = max(c, f.cost)
		}
	}
	return c
}

// codeSection returns the rewritten code section.
func (m *module) codeSection(body []byte, o Options) []byte {
	stop, _, stack := m.globals(o)
	slack := m.leafCost()
	r := reader{b: body}
	n := r.u32()
	out := appendU32(make([]byte, 0, len(body)+len(body)/4), n)
	var fn []byte
	for k := uint32(0); k < n; k++ {
		code := r.bytes(int(r.u32()))
		fn = m.funcs[k].rewrite(fn[:0], code, stop, stack, slack, m.hasMemory)
		out = appendU32(out, uint32(len(fn)))
		out = append(out, fn...)
	}
	return out
}

// rewrite appends the instrumented body of f (analyzeFunc accepted code)
// to dst: when stop >= 0, the check at entry (if f calls) and at loop
// heads; when stack >= 0 and f calls, the stack charge, wrapper and
// refund.
func (f funcInfo) rewrite(dst, code []byte, stop, stack int64, slack uint64, hasMemory bool) []byte {
	r := reader{b: code}
	groups := r.u32()
	first := r.i
	for k := uint32(0); k < groups; k++ {
		r.u32()
		r.valtype()
	}
	guard := stack >= 0 && f.calls
	// Added i32 locals, after all the others (no index shifts): the loop
	// counter and a scratch for the checks.
	counter, scratch := uint32(f.locals), uint32(f.locals+1)
	if stop >= 0 || guard {
		dst = appendU32(dst, groups+1)
		dst = append(dst, code[first:r.i]...)
		dst = append(dst, 2, 0x7f)
	} else {
		dst = append(dst, code[:r.i]...)
	}
	var check, loopCheck []byte
	if stop >= 0 {
		check = appendCheck(nil, uint32(stop), scratch, hasMemory)
		loopCheck = appendLoopCheck(nil, uint32(stop), counter, check)
	}
	if f.calls {
		// A function that calls no other can neither recurse nor run
		// unboundedly but in its loops, which are checked: only callers
		// need the entry check.
		dst = append(dst, check...)
	}
	if guard {
		dst = appendStackCharge(dst, uint32(stack), scratch, f.cost, slack, f.wrap)
	}
	depth := uint32(0) // blocks open inside the body (the wrapper is depth 0's target)
	last := r.i
	for {
		at := r.i
		op := r.byte()
		_ = r.skipImmediates(op) // analyzeFunc decoded it
		switch op {
		case 0x02, 0x04, 0x06, 0x1f: // block if try try_table
			depth++
		case 0x03: // loop: the check runs on every iteration
			depth++
			if stop >= 0 {
				dst = append(dst, code[last:r.i]...)
				dst = append(dst, loopCheck...)
				last = r.i
			}
		case 0x0f: // return: a branch to the wrapper, so the refund runs
			if guard {
				dst = append(dst, code[last:at]...)
				dst = append(dst, 0x0c)
				dst = appendU32(dst, depth)
				last = r.i
			}
		case 0x0b, 0x18: // end delegate
			if depth == 0 { // the function's end
				dst = append(dst, code[last:at]...)
				if guard {
					dst = appendStackRefund(dst, uint32(stack), f.cost)
				}
				return append(dst, 0x0b)
			}
			depth--
		}
	}
}

// appendStackCharge appends the stack guard's entry, for a frame of cost
// bytes, keeping slack bytes for a callee that calls none, with scratch
// local t, and opens the body's wrapper block of type wrap:
//
//	global.get $stack
//	i32.const cost
//	i32.sub
//	local.tee $t
//	i32.const slack
//	i32.lt_s
//	if
//	  i32.const -1       ;; StackExhausted: tells the host why it trapped
//	  global.set $stack
//	  unreachable
//	end
//	local.get $t
//	global.set $stack
//	block (wrap)
func appendStackCharge(dst []byte, s, t uint32, cost, slack uint64, wrap int64) []byte {
	cost, slack = min(cost, MaxStackBytes), min(slack, MaxStackBytes)
	dst = append(dst, 0x23)
	dst = appendU32(dst, s)
	dst = append(dst, 0x41)
	dst = appendS32(dst, int32(cost))
	dst = append(dst, 0x6b, 0x22)
	dst = appendU32(dst, t)
	dst = append(dst, 0x41)
	dst = appendS32(dst, int32(slack))
	dst = append(dst, 0x48, 0x04, 0x40, 0x41, 0x7f, 0x24)
	dst = appendU32(dst, s)
	dst = append(dst, 0x00, 0x0b, 0x20)
	dst = appendU32(dst, t)
	dst = append(dst, 0x24)
	dst = appendU32(dst, s)
	dst = append(dst, 0x02)
	return appendS33(dst, wrap)
}

// appendStackRefund closes the wrapper and gives the frame's cost back:
//
//	end
//	global.get $stack
//	i32.const cost
//	i32.add
//	global.set $stack
func appendStackRefund(dst []byte, s uint32, cost uint64) []byte {
	dst = append(dst, 0x0b, 0x23)
	dst = appendU32(dst, s)
	dst = append(dst, 0x41)
	dst = appendS32(dst, int32(min(cost, MaxStackBytes)))
	dst = append(dst, 0x6a, 0x24)
	return appendU32(dst, s)
}
