;; getloop: calls spark_get("bench:key") N times per invocation, N being the
;; little-endian u32 request body. Used by BenchmarkSparkGet to measure the
;; per-call cost of spark_get from a guest. alloc hands out one fixed buffer.
(module
  (import "flaron/v1" "req_body" (func $req_body (result i64)))
  (import "flaron/v1" "spark_get" (func $spark_get (param i32 i32) (result i64)))
  (memory (export "memory") 2)
  (data (i32.const 16) "bench:key")
  (func (export "alloc") (param $n i32) (result i32)
    (if (result i32) (i32.le_u (local.get $n) (i32.const 65536))
      (then (i32.const 65536))
      (else (i32.const 0))))
  (func (export "handle_request") (result i64)
    (local $packed i64) (local $n i32)
    (local.set $packed (call $req_body))
    (if (i64.ne (local.get $packed) (i64.const 0))
      (then (local.set $n (i32.load (i32.wrap_i64 (i64.shr_u (local.get $packed) (i64.const 32)))))))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (drop (call $spark_get (i32.const 16) (i32.const 9)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (i64.shl (i64.const 1) (i64.const 32))))
