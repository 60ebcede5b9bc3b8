package guard

// appendCheck appends the check of stop global g and fuel global g+1,
// with scratch local t:
//
//	global.get $fuel
//	i32.const 1
//	i32.sub
//	local.tee $t
//	i32.const 0
//	i32.lt_s         ;; not i32.eqz: the watchdog's write of 0 may race
//	if               ;; with the decrement and leave -1
//	  global.get $stop
//	  if
//	    unreachable
//	  end
//	  i32.const Fuel-1
//	  local.set $t
//	  i32.const 0      ;; memory.grow 0 leaves native code for Go: a
//	  memory.grow 0    ;; preemption point, so that guests spinning on
//	  drop             ;; every P cannot starve the watchdog goroutine, nor
//	end                ;; keep the runtime from stopping the world for GC
//	local.get $t
//	global.set $fuel
//
// The fast path is one global read, one write and a branch.
func appendCheck(dst []byte, g, t uint32, hasMemory bool) []byte {
	dst = append(dst, 0x23)
	dst = appendU32(dst, g+1)
	dst = append(dst, 0x41, 0x01, 0x6b, 0x22) // i32.const 1; i32.sub; local.tee
	dst = appendU32(dst, t)
	dst = append(dst, 0x41, 0x00, 0x48, 0x04, 0x40, 0x23) // i32.const 0; i32.lt_s; if; global.get
	dst = appendU32(dst, g)
	dst = append(dst, 0x04, 0x40, 0x00, 0x0b, 0x41) // if unreachable end; i32.const
	dst = appendS32(dst, Fuel-1)
	dst = append(dst, 0x21)
	dst = appendU32(dst, t)
	if hasMemory {
		dst = append(dst, 0x41, 0x00, 0x40, 0x00, 0x1a)
	}
	dst = append(dst, 0x0b, 0x20)
	dst = appendU32(dst, t)
	dst = append(dst, 0x24)
	return appendU32(dst, g+1)
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
