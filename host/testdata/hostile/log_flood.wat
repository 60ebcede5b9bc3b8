;; log_flood: 100,000 log_info calls of a 1 KiB message in one invocation,
;; then answers 200.
;;
;; Expected: 200, no error; the host writes at most its per-invocation line
;; cap (Config.LogLinesPerInvocation, default 16) and counts/drops the rest, so
;; a chatty guest cannot flood the log or the host's memory.
(module
  (import "flaron/v1" "log_info" (func $log_info (param i32 i32)))
  (import "flaron/v1" "resp_set_status" (func $resp_set_status (param i32)))
  (memory (export "memory") 8)

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
    (local $i i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (i32.const 100000)))
        (call $log_info (i32.const 0x1000) (i32.const 1024))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $resp_set_status (i32.const 200))
    (i64.const 0x100000000))
  (data (i32.const 0x1000) "log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log flood log ")
)
