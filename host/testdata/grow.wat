;; grow: grows memory by N pages (N = the little-endian u32 request body,
;; 0 if absent) and answers Respond; memory.grow's result is ignored.
(module
  (import "flaron/v1" "req_body" (func $req_body (result i64)))
  (memory (export "memory") 2)
  (func (export "alloc") (param $n i32) (result i32)
    (if (result i32) (i32.le_u (local.get $n) (i32.const 4096))
      (then (i32.const 4096))
      (else (i32.const 0))))
  (func (export "handle_request") (result i64)
    (local $packed i64)
    (local.set $packed (call $req_body))
    (if (i64.ne (local.get $packed) (i64.const 0))
      (then (drop (memory.grow
        (i32.load (i32.wrap_i64 (i64.shr_u (local.get $packed) (i64.const 32))))))))
    (i64.shl (i64.const 1) (i64.const 32))))
