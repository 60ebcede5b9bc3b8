;; abi_oob: out-of-bounds (ptr, len) arguments on every host function that
;; takes a pointer.
;;
;; The request body is two little-endian u32: selector, mode.
;;   selector  index in host/internal/abi.FlaronV1 (see README.md); functions
;;             without a pointer argument (resp_set_status, crypto_random_bytes,
;;             id_nanoid, ws_close_conn, and the argument-less ones) answer 400.
;;   mode & 15 how the bad pair is formed (memory is 8 pages = 0x80000 bytes):
;;             0: ptr = memory size, len = 1        (starts past the end)
;;             1: ptr = memory size - 1, len = 2    (straddles the end)
;;             2: ptr = 0x100, len = 0x7fffffff     (huge length)
;;             3: ptr = 0x100, len = -1             (negative length)
;;             4: ptr = 0xfffffff0, len = 0x20      (ptr + len wraps 2^32)
;;   mode & 16 for functions with two (ptr, len) pairs (resp_header_set,
;;             spark_set, spark_pull, plasma_set, beam_fetch): the first pair is
;;             valid ("k" at 0x100) and the second is bad. Otherwise the first
;;             pair is bad and any second pair is valid.
;; Other arguments: spark_set ttl 60, plasma_increment/decrement delta 1.
;; Every call must end the invocation with abi_violation and write nothing.
;; If the host wrongly accepts the call the module answers 200.
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

  (func $body_word (param $i i32) (result i32)
    (local $packed i64) (local $ptr i32) (local $len i32) (local $off i32)
    (local.set $packed (call $req_body))
    (local.set $ptr (i32.wrap_i64 (i64.shr_u (local.get $packed) (i64.const 32))))
    (local.set $len (i32.wrap_i64 (local.get $packed)))
    (local.set $off (i32.mul (local.get $i) (i32.const 4)))
    (if (i32.lt_u (local.get $len) (i32.add (local.get $off) (i32.const 4)))
      (then (return (i32.const 0))))
    (i32.load (i32.add (local.get $ptr) (local.get $off))))

  (func (export "handle_request") (result i64)
    (local $sel i32) (local $mode i32) (local $kind i32) (local $bp i32) (local $bl i32)
    (local $bad_first i32) (local $memsize i32)
    (global.set $bump (i32.const 0x10000))
    (local.set $sel (call $body_word (i32.const 0)))
    (local.set $mode (call $body_word (i32.const 1)))
    (local.set $kind (i32.and (local.get $mode) (i32.const 15)))
    (local.set $memsize (i32.shl (memory.size) (i32.const 16)))
    (local.set $bad_first (i32.const 1))
    (if (i32.and (local.get $mode) (i32.const 16))
      (then
        (local.set $bad_first
          (i32.or (i32.or (i32.eq (local.get $sel) (i32.const 5)) (i32.eq (local.get $sel) (i32.const 8)))
            (i32.or (i32.or (i32.eq (local.get $sel) (i32.const 11)) (i32.eq (local.get $sel) (i32.const 13)))
              (i32.eq (local.get $sel) (i32.const 18)))))
        (local.set $bad_first (i32.eqz (local.get $bad_first)))))
    (block $formed
      (if (i32.eq (local.get $kind) (i32.const 0)) (then
        (local.set $bp (local.get $memsize)) (local.set $bl (i32.const 1)) (br $formed)))
      (if (i32.eq (local.get $kind) (i32.const 1)) (then
        (local.set $bp (i32.sub (local.get $memsize) (i32.const 1))) (local.set $bl (i32.const 2)) (br $formed)))
      (if (i32.eq (local.get $kind) (i32.const 2)) (then
        (local.set $bp (i32.const 0x100)) (local.set $bl (i32.const 0x7fffffff)) (br $formed)))
      (if (i32.eq (local.get $kind) (i32.const 3)) (then
        (local.set $bp (i32.const 0x100)) (local.set $bl (i32.const -1)) (br $formed)))
      (if (i32.eq (local.get $kind) (i32.const 4)) (then
        (local.set $bp (i32.const 0xfffffff0)) (local.set $bl (i32.const 0x20)) (br $formed)))
      (call $resp_set_status (i32.const 400))
      (return (i64.const 0x100000000)))
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
      ;; req_method: no pointer argument
      (br $default))
      ;; req_url: no pointer argument
      (br $default))
      ;; req_header_get
      (drop (call $req_header_get (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; req_body: no pointer argument
      (br $default))
      ;; resp_set_status: no pointer argument
      (br $default))
      ;; resp_header_set
      (call $resp_header_set (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first)) (select (local.get $bp) (i32.const 0x100) (i32.eqz (local.get $bad_first))) (select (local.get $bl) (i32.const 1) (i32.eqz (local.get $bad_first))))
      (br $done))
      ;; resp_body_set
      (call $resp_body_set (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first)))
      (br $done))
      ;; spark_get
      (drop (call $spark_get (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; spark_set
      (drop (call $spark_set (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first)) (select (local.get $bp) (i32.const 0x100) (i32.eqz (local.get $bad_first))) (select (local.get $bl) (i32.const 1) (i32.eqz (local.get $bad_first))) (i32.const 60)))
      (br $done))
      ;; spark_delete
      (call $spark_delete (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first)))
      (br $done))
      ;; spark_list: no pointer argument
      (br $default))
      ;; spark_pull
      (drop (call $spark_pull (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first)) (select (local.get $bp) (i32.const 0x100) (i32.eqz (local.get $bad_first))) (select (local.get $bl) (i32.const 1) (i32.eqz (local.get $bad_first)))))
      (br $done))
      ;; plasma_get
      (drop (call $plasma_get (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; plasma_set
      (drop (call $plasma_set (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first)) (select (local.get $bp) (i32.const 0x100) (i32.eqz (local.get $bad_first))) (select (local.get $bl) (i32.const 1) (i32.eqz (local.get $bad_first)))))
      (br $done))
      ;; plasma_delete
      (drop (call $plasma_delete (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; plasma_increment
      (drop (call $plasma_increment (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first)) (i64.const 1)))
      (br $done))
      ;; plasma_decrement
      (drop (call $plasma_decrement (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first)) (i64.const 1)))
      (br $done))
      ;; plasma_list: no pointer argument
      (br $default))
      ;; beam_fetch
      (drop (call $beam_fetch (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first)) (select (local.get $bp) (i32.const 0x100) (i32.eqz (local.get $bad_first))) (select (local.get $bl) (i32.const 1) (i32.eqz (local.get $bad_first)))))
      (br $done))
      ;; log_info
      (call $log_info (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first)))
      (br $done))
      ;; log_warn
      (call $log_warn (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first)))
      (br $done))
      ;; log_error
      (call $log_error (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first)))
      (br $done))
      ;; crypto_hash
      (drop (call $crypto_hash (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; crypto_hmac
      (drop (call $crypto_hmac (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; crypto_sign_jwt
      (drop (call $crypto_sign_jwt (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; crypto_encrypt_aes
      (drop (call $crypto_encrypt_aes (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; crypto_decrypt_aes
      (drop (call $crypto_decrypt_aes (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; crypto_random_bytes: no pointer argument
      (br $default))
      ;; encoding_base64_encode
      (drop (call $encoding_base64_encode (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; encoding_base64_decode
      (drop (call $encoding_base64_decode (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; encoding_hex_encode
      (drop (call $encoding_hex_encode (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; encoding_hex_decode
      (drop (call $encoding_hex_decode (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; encoding_url_encode
      (drop (call $encoding_url_encode (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; encoding_url_decode
      (drop (call $encoding_url_decode (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; id_uuid
      (drop (call $id_uuid (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; id_ulid: no pointer argument
      (br $default))
      ;; id_nanoid: no pointer argument
      (br $default))
      ;; id_ksuid: no pointer argument
      (br $default))
      ;; id_snowflake: no pointer argument
      (br $default))
      ;; snowflake_id: no pointer argument
      (br $default))
      ;; timestamp
      (drop (call $timestamp (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; secret_get
      (drop (call $secret_get (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; ws_send
      (drop (call $ws_send (select (local.get $bp) (i32.const 0x100) (local.get $bad_first)) (select (local.get $bl) (i32.const 1) (local.get $bad_first))))
      (br $done))
      ;; ws_close_conn: no pointer argument
      (br $default))
      ;; ws_conn_id: no pointer argument
      (br $default))
      ;; ws_event_type: no pointer argument
      (br $default))
      ;; ws_event_data: no pointer argument
      (br $default))
      ;; ws_close_code: no pointer argument
      (br $default))
      (call $resp_set_status (i32.const 400))
      (return (i64.const 0x100000000)))

    ;; the host accepted an out-of-bounds argument
    (call $resp_set_status (i32.const 200))
    (i64.const 0x100000000))
  (data (i32.const 0x100) "k")
)
