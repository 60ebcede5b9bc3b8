// Scratch space the host writes results into. The host calls alloc(n)
// during a host function and hands back (ptr << 32) | len; handle_request
// rewinds the arena first thing, so each invocation starts empty.

const SCRATCH_BYTES: i32 = 256 << 10;
const scratch: usize = memory.data(SCRATCH_BYTES, 8);
let used: i32 = 0;

export function rewind(): void {
  used = 0;
}

// alloc answers 0 for a non-positive size or when the arena is full.
export function alloc(size: i32): i32 {
  if (size <= 0) return 0;
  const start = (used + 7) & ~7;
  if (start > SCRATCH_BYTES - size) return 0;
  used = start + size;
  return <i32>scratch + start;
}

export function packedPtr(packed: i64): usize {
  return <usize>(<u64>packed >>> 32);
}

export function packedLen(packed: i64): i32 {
  return <i32>(packed & 0xffffffff);
}
