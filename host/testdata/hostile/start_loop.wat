;; start_loop: the module's start function (its start section) loops forever.
;;
;; wazero runs a start section inside Instantiate, where nothing can stop it:
;; validate, run and inspect used to spin at 100% CPU ignoring SIGINT.
;; Expected: Load fails with timeout (Func "start") after
;; Limits.InvocationTimeout in every timeout mode (in mode none the host stops
;; waiting and abandons the goroutine), and within a second of its context
;; being canceled.
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

  (func $start (loop $forever (br $forever)))
  (start $start)
  (func (export "handle_request") (result i64)
    (i64.const 0x100000000))
)
