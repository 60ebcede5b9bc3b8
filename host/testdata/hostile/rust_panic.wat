;; rust_panic: what a Rust flare's panic does (panic = "abort"): the panic
;; hook logs "panicked at src/lib.rs:3:5:\nboom" with log_error, then the
;; guest executes unreachable.
;;
;; Expected: trap with Detail `unreachable after log_error "panicked at
;; src/lib.rs:3:5: boom"`: the message the guest logged last names the
;; panic.
(module
  (import "flaron/v1" "log_error" (func $log_error (param i32 i32)))
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

  (func (export "handle_request") (result i64)
    (call $log_error (i32.const 0x100) (i32.const 32))
    (unreachable))
  (data (i32.const 0x100) "panicked at src/lib.rs:3:5:\nboom")
)
