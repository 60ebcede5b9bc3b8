;; alloc_reentrant: alloc calls back into the host (spark_set "r" = "x", TTL 0)
;; before answering from its arena, so a host function runs while another is
;; waiting for alloc.
;;
;; handle_request calls req_url (the host calls alloc once) and spark_get("r"),
;; then answers 200 with x-reentrant-code (what the nested spark_set returned,
;; -1 if alloc never ran) and x-r ("hit" or "miss").
;; Expected: no deadlock, no crash. Either the host serves the nested call
;; (x-reentrant-code 0, x-r hit; the write counts against the invocation's
;; write limit like any other) or it refuses re-entry with abi_violation.
(module
  (import "flaron/v1" "req_url" (func $req_url (result i64)))
  (import "flaron/v1" "spark_set" (func $spark_set (param i32 i32 i32 i32 i32) (result i32)))
  (import "flaron/v1" "spark_get" (func $spark_get (param i32 i32) (result i64)))
  (import "flaron/v1" "resp_set_status" (func $resp_set_status (param i32)))
  (import "flaron/v1" "resp_header_set" (func $resp_header_set (param i32 i32 i32 i32)))
  (memory (export "memory") 8)

  (global $code (mut i32) (i32.const -1))
  (global $bump (mut i32) (i32.const 0x10000))
  (func $alloc (export "alloc") (param $n i32) (result i32)
    (local $p i32)
    (global.set $code (call $spark_set (i32.const 0x100) (i32.const 1) (i32.const 0x108) (i32.const 1) (i32.const 0)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const 0))))
    (local.set $p (i32.and (i32.add (global.get $bump) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (local.get $n) (i32.sub (i32.const 0x50000) (local.get $p)))
      (then (return (i32.const 0))))
    (global.set $bump (i32.add (local.get $p) (local.get $n)))
    (local.get $p))

  (func $dec (param $v i32) (param $dst i32) (result i32)
    (local $n i32) (local $t i32) (local $i i32)
    (local.set $t (local.get $v))
    (local.set $n (i32.const 1))
    (block $done
      (loop $count
        (br_if $done (i32.lt_u (local.get $t) (i32.const 10)))
        (local.set $t (i32.div_u (local.get $t) (i32.const 10)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $count)))
    (local.set $i (local.get $n))
    (loop $write
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (local.get $dst) (local.get $i))
        (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $write (local.get $i)))
    (local.get $n))
  ;; $hdr sets response header (name at $np, $nl) to the decimal of $v.
  (func $hdr (param $np i32) (param $nl i32) (param $v i32)
    (call $resp_header_set (local.get $np) (local.get $nl)
      (i32.const 0xf00) (call $dec (local.get $v) (i32.const 0xf00))))

  (func (export "handle_request") (result i64)
    (global.set $bump (i32.const 0x10000))
    (global.set $code (i32.const -1))
    (drop (call $req_url))
    (call $resp_set_status (i32.const 200))
    (if (i32.lt_s (global.get $code) (i32.const 0))
      (then (call $resp_header_set (i32.const 0x200) (i32.const 16) (i32.const 0x220) (i32.const 2)))
      (else (call $hdr (i32.const 0x200) (i32.const 16) (global.get $code))))
    (if (i64.eqz (call $spark_get (i32.const 0x100) (i32.const 1)))
      (then (call $resp_header_set (i32.const 0x230) (i32.const 3) (i32.const 0x240) (i32.const 4)))
      (else (call $resp_header_set (i32.const 0x230) (i32.const 3) (i32.const 0x248) (i32.const 3))))
    (i64.const 0x100000000))
  (data (i32.const 0x100) "r")
  (data (i32.const 0x108) "x")
  (data (i32.const 0x200) "x-reentrant-code")
  (data (i32.const 0x220) "-1")
  (data (i32.const 0x230) "x-r")
  (data (i32.const 0x240) "miss")
  (data (i32.const 0x248) "hit")
)
