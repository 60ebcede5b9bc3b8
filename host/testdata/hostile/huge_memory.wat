;; huge_memory: declares an initial memory of 1024 pages (64 MiB), above the
;; default cap of 256 pages (Limits.MaxMemoryPages).
;;
;; Expected: memory_limit when the host loads or instantiates it (or the module
;; is refused at Load with a clear line naming the memory cap).
(module

  (memory (export "memory") 1024)

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

  (func (export "handle_request") (result i64)
    (i64.const 0x100000000))
)
