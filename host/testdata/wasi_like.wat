;; wasi_like: the shape of a flare built with a WASI toolchain (Rust
;; wasm32-wasip1 cdylib): WASI imports and an _initialize export the host
;; must call once. handle_request answers 200 with x-init: 1 when
;; _initialize ran, after calling random_get and fd_write (to stdout).
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "flaron/v1" "resp_set_status" (func $resp_set_status (param i32)))
  (import "flaron/v1" "resp_header_set" (func $resp_header_set (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 200) "x-init1")
  (data (i32.const 300) "hello\n")
  (global $init (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $init (i32.const 1)))
  (func (export "alloc") (param $n i32) (result i32)
    (if (result i32) (i32.le_u (local.get $n) (i32.const 4096))
      (then (i32.const 4096))
      (else (i32.const 0))))
  (func (export "handle_request") (result i64)
    (drop (call $random_get (i32.const 100) (i32.const 16)))
    ;; iovec at 400: {ptr 300, len 6}; nwritten at 408
    (i32.store (i32.const 400) (i32.const 300))
    (i32.store (i32.const 404) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 400) (i32.const 1) (i32.const 408)))
    (call $resp_set_status (i32.const 200))
    (if (global.get $init)
      (then (call $resp_header_set (i32.const 200) (i32.const 6) (i32.const 206) (i32.const 1))))
    (i64.shl (i64.const 1) (i64.const 32))))
