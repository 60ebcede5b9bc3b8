;; logloop: calls log_warn("line") N times, N = the little-endian u32
;; request body; answers Respond.
(module
  (import "flaron/v1" "req_body" (func $req_body (result i64)))
  (import "flaron/v1" "log_warn" (func $log_warn (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "line")
  (func (export "alloc") (param $n i32) (result i32)
    (if (result i32) (i32.le_u (local.get $n) (i32.const 4096))
      (then (i32.const 4096))
      (else (i32.const 0))))
  (func (export "handle_request") (result i64)
    (local $packed i64) (local $n i32)
    (local.set $packed (call $req_body))
    (local.set $n (i32.load (i32.wrap_i64 (i64.shr_u (local.get $packed) (i64.const 32)))))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (call $log_warn (i32.const 16) (i32.const 4))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (i64.shl (i64.const 1) (i64.const 32))))
