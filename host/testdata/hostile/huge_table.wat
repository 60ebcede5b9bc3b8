;; huge_table: declares a table of 100,000,000 elements (800 MB per instance
;; in wazero) in a module of a few hundred bytes.
;;
;; Expected: Load refuses it (module_limit), naming the table and
;; ModuleLimits.MaxTableElements (65,536), before anything is allocated.
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

  (table 100000000 funcref)
  (func (export "handle_request") (result i64)
    (i64.const 0x100000000))
)
