;; abi_fuzz: the fuzz target for the flaron/v1 boundary.
;;
;; The request body is 32 bytes, little endian (shorter bodies are zero-padded):
;;   [0:4)   selector: index of the host function in host/internal/abi.FlaronV1
;;           (0 req_method ... 47 ws_close_code; see README.md)
;;   [4:24)  a0..a4: the i32 arguments, in order (unused ones ignored)
;;   [24:32) d: the i64 argument (plasma_increment/decrement delta)
;; The module calls that host function with exactly those arguments and answers
;; 200 with the 8-byte little-endian result (i32 results sign-extended, 0 for
;; functions without a result). An unknown selector answers 400.
;; The host must never crash or hang: each call either returns or ends the
;; invocation with a classified error (abi_violation for bad pointers).
(module
  (import "flaron/v1" "req_method" (func $req_method (result i64)))
  (import "flaron/v1" "req_url" (func $req_url (result i64)))
  (import "flaron/v1" "req_header_get" (func $req_header_get (param i32 i32) (result i64)))
  (import "flaron/v1" "req_body" (func $req_body (result i64)))
  (import "flaron/v1" "resp_set_status" (func $resp_set_status (param i32)))
  (import "flaron/v1" "resp_header_set" (func $resp_header_set (param i32 i32 i32 i32)))
  (import "flaron/v1" "resp_body_set" (func $resp_body_set (param i32 i32)))
  (import "flaron/v1" "spark_get" (func $spark_get (param i32 i32) (result i64)))
  (import "flaron/v1" "spark_set" (func $spark_set (param i32 i32 i32 i32 i32) (result i32)))
  (import "flaron/v1" "spark_delete" (func $spark_delete (param i32 i32)))
  (import "flaron/v1" "spark_list" (func $spark_list (result i64)))
  (import "flaron/v1" "spark_pull" (func $spark_pull (param i32 i32 i32 i32) (result i32)))
  (import "flaron/v1" "plasma_get" (func $plasma_get (param i32 i32) (result i64)))
  (import "flaron/v1" "plasma_set" (func $plasma_set (param i32 i32 i32 i32) (result i32)))
  (import "flaron/v1" "plasma_delete" (func $plasma_delete (param i32 i32) (result i32)))
  (import "flaron/v1" "plasma_increment" (func $plasma_increment (param i32 i32 i64) (result i64)))
  (import "flaron/v1" "plasma_decrement" (func $plasma_decrement (param i32 i32 i64) (result i64)))
  (import "flaron/v1" "plasma_list" (func $plasma_list (result i64)))
  (import "flaron/v1" "beam_fetch" (func $beam_fetch (param i32 i32 i32 i32) (result i64)))
  (import "flaron/v1" "log_info" (func $log_info (param i32 i32)))
  (import "flaron/v1" "log_warn" (func $log_warn (param i32 i32)))
  (import "flaron/v1" "log_error" (func $log_error (param i32 i32)))
  (import "flaron/v1" "crypto_hash" (func $crypto_hash (param i32 i32) (result i64)))
  (import "flaron/v1" "crypto_hmac" (func $crypto_hmac (param i32 i32) (result i64)))
  (import "flaron/v1" "crypto_sign_jwt" (func $crypto_sign_jwt (param i32 i32) (result i64)))
  (import "flaron/v1" "crypto_encrypt_aes" (func $crypto_encrypt_aes (param i32 i32) (result i64)))
  (import "flaron/v1" "crypto_decrypt_aes" (func $crypto_decrypt_aes (param i32 i32) (result i64)))
  (import "flaron/v1" "crypto_random_bytes" (func $crypto_random_bytes (param i32) (result i64)))
  (import "flaron/v1" "encoding_base64_encode" (func $encoding_base64_encode (param i32 i32) (result i64)))
  (import "flaron/v1" "encoding_base64_decode" (func $encoding_base64_decode (param i32 i32) (result i64)))
  (import "flaron/v1" "encoding_hex_encode" (func $encoding_hex_encode (param i32 i32) (result i64)))
  (import "flaron/v1" "encoding_hex_decode" (func $encoding_hex_decode (param i32 i32) (result i64)))
  (import "flaron/v1" "encoding_url_encode" (func $encoding_url_encode (param i32 i32) (result i64)))
  (import "flaron/v1" "encoding_url_decode" (func $encoding_url_decode (param i32 i32) (result i64)))
  (import "flaron/v1" "id_uuid" (func $id_uuid (param i32 i32) (result i64)))
  (import "flaron/v1" "id_ulid" (func $id_ulid (result i64)))
  (import "flaron/v1" "id_nanoid" (func $id_nanoid (param i32) (result i64)))
  (import "flaron/v1" "id_ksuid" (func $id_ksuid (result i64)))
  (import "flaron/v1" "id_snowflake" (func $id_snowflake (result i64)))
  (import "flaron/v1" "snowflake_id" (func $snowflake_id (result i64)))
  (import "flaron/v1" "timestamp" (func $timestamp (param i32 i32) (result i64)))
  (import "flaron/v1" "secret_get" (func $secret_get (param i32 i32) (result i64)))
  (import "flaron/v1" "ws_send" (func $ws_send (param i32 i32) (result i32)))
  (import "flaron/v1" "ws_close_conn" (func $ws_close_conn (param i32)))
  (import "flaron/v1" "ws_conn_id" (func $ws_conn_id (result i64)))
  (import "flaron/v1" "ws_event_type" (func $ws_event_type (result i64)))
  (import "flaron/v1" "ws_event_data" (func $ws_event_data (result i64)))
  (import "flaron/v1" "ws_close_code" (func $ws_close_code (result i32)))
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
    (local $packed i64) (local $ptr i32) (local $len i32) (local $i i32) (local $sel i32)
    (global.set $bump (i32.const 0x10000))
    ;; copy up to 32 body bytes into a zeroed scratch at 0x200
    (i64.store (i32.const 0x200) (i64.const 0))
    (i64.store (i32.const 0x208) (i64.const 0))
    (i64.store (i32.const 0x210) (i64.const 0))
    (i64.store (i32.const 0x218) (i64.const 0))
    (local.set $packed (call $req_body))
    (local.set $ptr (i32.wrap_i64 (i64.shr_u (local.get $packed) (i64.const 32))))
    (local.set $len (i32.wrap_i64 (local.get $packed)))
    (if (i32.gt_u (local.get $len) (i32.const 32)) (then (local.set $len (i32.const 32))))
    (block $copied
      (loop $copy
        (br_if $copied (i32.ge_u (local.get $i) (local.get $len)))
        (i32.store8 (i32.add (i32.const 0x200) (local.get $i))
          (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $copy)))
    (local.set $sel (i32.load (i32.const 0x200)))
    (i64.store (i32.const 0x300) (i64.const 0))
    (block $done
      (block $default
      (block $f47
      (block $f46
      (block $f45
      (block $f44
      (block $f43
      (block $f42
      (block $f41
      (block $f40
      (block $f39
      (block $f38
      (block $f37
      (block $f36
      (block $f35
      (block $f34
      (block $f33
      (block $f32
      (block $f31
      (block $f30
      (block $f29
      (block $f28
      (block $f27
      (block $f26
      (block $f25
      (block $f24
      (block $f23
      (block $f22
      (block $f21
      (block $f20
      (block $f19
      (block $f18
      (block $f17
      (block $f16
      (block $f15
      (block $f14
      (block $f13
      (block $f12
      (block $f11
      (block $f10
      (block $f9
      (block $f8
      (block $f7
      (block $f6
      (block $f5
      (block $f4
      (block $f3
      (block $f2
      (block $f1
      (block $f0
        (br_table $f0 $f1 $f2 $f3 $f4 $f5 $f6 $f7 $f8 $f9 $f10 $f11 $f12 $f13 $f14 $f15 $f16 $f17 $f18 $f19 $f20 $f21 $f22 $f23 $f24 $f25 $f26 $f27 $f28 $f29 $f30 $f31 $f32 $f33 $f34 $f35 $f36 $f37 $f38 $f39 $f40 $f41 $f42 $f43 $f44 $f45 $f46 $f47 $default (local.get $sel)))
      (i64.store (i32.const 0x300) (call $req_method))
      (br $done))
      (i64.store (i32.const 0x300) (call $req_url))
      (br $done))
      (i64.store (i32.const 0x300) (call $req_header_get (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (call $req_body))
      (br $done))
      (call $resp_set_status (i32.load (i32.const 516)))
      (br $done))
      (call $resp_header_set (i32.load (i32.const 516)) (i32.load (i32.const 520)) (i32.load (i32.const 524)) (i32.load (i32.const 528)))
      (br $done))
      (call $resp_body_set (i32.load (i32.const 516)) (i32.load (i32.const 520)))
      (br $done))
      (i64.store (i32.const 0x300) (call $spark_get (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (i64.extend_i32_s (call $spark_set (i32.load (i32.const 516)) (i32.load (i32.const 520)) (i32.load (i32.const 524)) (i32.load (i32.const 528)) (i32.load (i32.const 532)))))
      (br $done))
      (call $spark_delete (i32.load (i32.const 516)) (i32.load (i32.const 520)))
      (br $done))
      (i64.store (i32.const 0x300) (call $spark_list))
      (br $done))
      (i64.store (i32.const 0x300) (i64.extend_i32_s (call $spark_pull (i32.load (i32.const 516)) (i32.load (i32.const 520)) (i32.load (i32.const 524)) (i32.load (i32.const 528)))))
      (br $done))
      (i64.store (i32.const 0x300) (call $plasma_get (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (i64.extend_i32_s (call $plasma_set (i32.load (i32.const 516)) (i32.load (i32.const 520)) (i32.load (i32.const 524)) (i32.load (i32.const 528)))))
      (br $done))
      (i64.store (i32.const 0x300) (i64.extend_i32_s (call $plasma_delete (i32.load (i32.const 516)) (i32.load (i32.const 520)))))
      (br $done))
      (i64.store (i32.const 0x300) (call $plasma_increment (i32.load (i32.const 516)) (i32.load (i32.const 520)) (i64.load (i32.const 0x218))))
      (br $done))
      (i64.store (i32.const 0x300) (call $plasma_decrement (i32.load (i32.const 516)) (i32.load (i32.const 520)) (i64.load (i32.const 0x218))))
      (br $done))
      (i64.store (i32.const 0x300) (call $plasma_list))
      (br $done))
      (i64.store (i32.const 0x300) (call $beam_fetch (i32.load (i32.const 516)) (i32.load (i32.const 520)) (i32.load (i32.const 524)) (i32.load (i32.const 528))))
      (br $done))
      (call $log_info (i32.load (i32.const 516)) (i32.load (i32.const 520)))
      (br $done))
      (call $log_warn (i32.load (i32.const 516)) (i32.load (i32.const 520)))
      (br $done))
      (call $log_error (i32.load (i32.const 516)) (i32.load (i32.const 520)))
      (br $done))
      (i64.store (i32.const 0x300) (call $crypto_hash (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (call $crypto_hmac (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (call $crypto_sign_jwt (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (call $crypto_encrypt_aes (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (call $crypto_decrypt_aes (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (call $crypto_random_bytes (i32.load (i32.const 516))))
      (br $done))
      (i64.store (i32.const 0x300) (call $encoding_base64_encode (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (call $encoding_base64_decode (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (call $encoding_hex_encode (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (call $encoding_hex_decode (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (call $encoding_url_encode (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (call $encoding_url_decode (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (call $id_uuid (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (call $id_ulid))
      (br $done))
      (i64.store (i32.const 0x300) (call $id_nanoid (i32.load (i32.const 516))))
      (br $done))
      (i64.store (i32.const 0x300) (call $id_ksuid))
      (br $done))
      (i64.store (i32.const 0x300) (call $id_snowflake))
      (br $done))
      (i64.store (i32.const 0x300) (call $snowflake_id))
      (br $done))
      (i64.store (i32.const 0x300) (call $timestamp (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (call $secret_get (i32.load (i32.const 516)) (i32.load (i32.const 520))))
      (br $done))
      (i64.store (i32.const 0x300) (i64.extend_i32_s (call $ws_send (i32.load (i32.const 516)) (i32.load (i32.const 520)))))
      (br $done))
      (call $ws_close_conn (i32.load (i32.const 516)))
      (br $done))
      (i64.store (i32.const 0x300) (call $ws_conn_id))
      (br $done))
      (i64.store (i32.const 0x300) (call $ws_event_type))
      (br $done))
      (i64.store (i32.const 0x300) (call $ws_event_data))
      (br $done))
      (i64.store (i32.const 0x300) (i64.extend_i32_s (call $ws_close_code)))
      (br $done))
      ;; unknown selector
      (call $resp_set_status (i32.const 400))
      (return (i64.const 0x100000000)))

    (call $resp_set_status (i32.const 200))
    (call $resp_body_set (i32.const 0x300) (i32.const 8))
    (i64.const 0x100000000))
)
