package host

import (
	"context"
	"errors"
	"fmt"
	"unsafe"

	"github.com/tetratelabs/wazero/sys"
)

// fail aborts the call into the guest from inside a host function with a
// failure of kind: the error is kept for classify (which reports it, not
// wazero's wrapping, and fills in the flare and function) and the panic
// unwinds the guest; wazero recovers it and fails the call.
func (inst *instance) fail(kind ErrorKind, detail, info string) {
	err := &GuestError{Kind: kind, Detail: detail, Info: info}
	inst.inv.abort = err
	panic(err)
}

// arg returns the guest bytes at (ptr, n) as a view into guest memory
// (valid until the guest runs again or memory grows), aborting the
// invocation with ErrABIViolation when out of bounds. A zero length is an
// empty argument whatever the pointer: SDKs pass handle 0 for empty values.
func (inst *instance) arg(ptr, n uint64, fn, what string) []byte {
	if uint32(n) == 0 {
		return nil
	}
	b, ok := inst.mem.Read(uint32(ptr), uint32(n))
	if !ok {
		inst.fail(KindABIViolation, fn+": "+what+" outside guest memory",
			fmt.Sprintf("ptr %d, len %d, memory %d bytes", uint32(ptr), int32(n), inst.mem.Size()))
	}
	return b
}

// allocate asks the guest's alloc export for n bytes. 0 means the guest
// had no room: the host function then returns "no result". A pointer whose
// range leaves guest memory is an ABI violation.
func (inst *instance) allocate(ctx context.Context, fn string, n int) uint32 {
	if n <= 0 || n > 1<<31-1 {
		return 0
	}
	if inst.inAlloc {
		inst.fail(KindABIViolation, fn+": host function called from inside alloc", "")
	}
	inst.inAlloc = true
	inst.allocStack[0] = uint64(uint32(n))
	err := inst.alloc.CallWithStack(ctx, inst.allocStack[:])
	inst.inAlloc = false
	if err != nil {
		var exit *sys.ExitError
		if errors.As(err, &exit) {
			panic(exit) // closed by the watchdog or a deadline: classified by Invoke
		}
		inst.fail(KindAllocFailed, fn+": alloc: "+trapText(err), fmt.Sprintf("alloc(%d)", n))
	}
	p := uint32(inst.allocStack[0])
	if p == 0 {
		return 0
	}
	if uint64(p)+uint64(n) > uint64(inst.mem.Size()) {
		inst.fail(KindABIViolation, fn+": alloc returned a block outside guest memory",
			fmt.Sprintf("alloc(%d) = %d, memory %d bytes", n, p, inst.mem.Size()))
	}
	return p
}

func pack(p uint32, n int) uint64 { return uint64(p)<<32 | uint64(uint32(n)) }

// give copies b into guest memory and returns the packed (ptr, len), or 0
// ("no result") when the guest's arena is full. An empty b is a present
// but empty result: one byte is allocated so that the pointer is not 0
// (every SDK reads ptr != 0, len 0 as empty, and 0 as absent).
func (inst *instance) give(ctx context.Context, fn string, b []byte) uint64 {
	p := inst.allocate(ctx, fn, max(len(b), 1))
	if p == 0 {
		return 0
	}
	inst.mem.Write(p, b)
	return pack(p, len(b))
}

// giveString is give for a string, without copying it first.
func (inst *instance) giveString(ctx context.Context, fn string, s string) uint64 {
	return inst.give(ctx, fn, unsafe.Slice(unsafe.StringData(s), len(s)))
}
