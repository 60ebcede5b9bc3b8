;; as_like: the shape of an AssemblyScript flare: env.abort/trace/seed
;; imports beside flaron/v1 and a start section that runs top-level
;; initialisers at instantiation. handle_request calls seed and trace,
;; answers 200 with x-started: 1 when the start function ran, and calls
;; env.abort (a trap) when the request body is not empty.
(module
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
  (import "env" "trace" (func $trace (param i32 i32 f64 f64 f64 f64 f64)))
  (import "env" "seed" (func $seed (result f64)))
  (import "flaron/v1" "req_body" (func $req_body (result i64)))
  (import "flaron/v1" "resp_set_status" (func $resp_set_status (param i32)))
  (import "flaron/v1" "resp_header_set" (func $resp_header_set (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  ;; AS strings: UTF-16LE with the byte length in the u32 before them.
  (data (i32.const 60) "\08\00\00\00b\00o\00o\00m\00")
  (data (i32.const 80) "\0e\00\00\00a\00s\00.\00t\00s\00 \00!\00")
  (data (i32.const 200) "x-started1")
  (global $started (mut i32) (i32.const 0))
  (func $init (global.set $started (i32.const 1)))
  (start $init)
  (func (export "alloc") (param $n i32) (result i32)
    (if (result i32) (i32.le_u (local.get $n) (i32.const 4096))
      (then (i32.const 4096))
      (else (i32.const 0))))
  (func (export "handle_request") (result i64)
    (drop (call $seed))
    (call $trace (i32.const 64) (i32.const 0) (f64.const 0) (f64.const 0) (f64.const 0) (f64.const 0) (f64.const 0))
    (if (i32.wrap_i64 (call $req_body)) ;; body length != 0
      (then (call $abort (i32.const 64) (i32.const 84) (i32.const 7) (i32.const 3))))
    (call $resp_set_status (i32.const 200))
    (if (global.get $started)
      (then (call $resp_header_set (i32.const 200) (i32.const 9) (i32.const 209) (i32.const 1))))
    (i64.shl (i64.const 1) (i64.const 32))))
