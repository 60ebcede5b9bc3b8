;; deep_recursion: unbounded recursion until the wasm call stack overflows.
;;
;; Expected: trap "stack exhausted" within microseconds, in every timeout
;; mode: the host's stack guard stops it at Limits.MaxStackBytes (1 MiB of
;; estimated frames) instead of letting wazero grow its stack to 80 MiB; the
;; host goroutine stays healthy and the instance is discarded.
(module

  (memory (export "memory") 1)

  ;; A bump arena of 256 KiB at 0x10000, reset by handle_request, like the
  ;; runtime of the reference flares: alloc answers 0 when full.
  (global $bump (mut i32) (i32.const 0x10000))
  (func $alloc (export "alloc") (param $n i32) (result i32)
    (local $p i32)
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const 0))))
    (local.set $p (i32.and (i32.add (global.get $bump) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (local.get $n) (i32.sub (i32.const 0x50000) (local.get $p)))
      (then (return (i32.const 0))))
    (global.set $bump (i32.add (local.get $p) (local.get $n)))
    (local.get $p))

  (func $down (param $depth i64) (result i64)
    (i64.add (call $down (i64.add (local.get $depth) (i64.const 1))) (local.get $depth)))
  (func (export "handle_request") (result i64)
    (call $down (i64.const 0)))
)
