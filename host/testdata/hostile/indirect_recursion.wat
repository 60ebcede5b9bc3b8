;; indirect_recursion: unbounded recursion through call_indirect (a function
;; table), which no static call graph shows.
;;
;; Expected: trap "stack exhausted" at once in every timeout mode.
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

  (type $rec (func (param i64) (result i64)))
  (table 1 funcref)
  (elem (i32.const 0) $down)
  (func $down (param $depth i64) (result i64)
    (i64.add
      (call_indirect (type $rec) (i64.add (local.get $depth) (i64.const 1)) (i32.const 0))
      (local.get $depth)))
  (func (export "handle_request") (result i64)
    (call $down (i64.const 0)))
)
