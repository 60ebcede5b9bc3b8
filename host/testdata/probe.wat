;; probe: calls one host function with arguments taken from the request body,
;; so that tests can drive every non-Spark host function from a real guest.
;;
;; Body (little endian): [0:4) selector, [4:8) lenA, [8:12) lenB,
;; [12:20) i64 d, then lenA bytes A, then lenB bytes B.
;; Calls the selected function with (A, B, d) as its signature needs and
;; answers 200 with the result: for an i64 (packed ptr,len) result, the bytes
;; it points at (204 when the host returned 0); for an i32 result, 4 bytes LE;
;; nothing for no result. Selectors:
;;   0 req_method()  1 req_url()  2 req_header_get(A)  3 req_body()
;;   4 secret_get(A)  5 beam_fetch(A, B)  6 plasma_set(A, B) -> i32
;;   7 plasma_get(A)  8 plasma_increment(A, d)  9 plasma_list()
;;   10 log_info(A)  11 crypto_hash(A)  12 encoding_base64_encode(A)
;;   13 crypto_hmac(A)  14 ws_send(A) -> i32  15 ws_event_type()
;;   16 ws_close_code() -> i32  17 resp_header_set(A, B) then status 201
;;   18 id_uuid(A)  19 timestamp(A)
(module
  (import "flaron/v1" "req_method" (func $req_method (result i64)))
  (import "flaron/v1" "req_url" (func $req_url (result i64)))
  (import "flaron/v1" "req_header_get" (func $req_header_get (param i32 i32) (result i64)))
  (import "flaron/v1" "req_body" (func $req_body (result i64)))
  (import "flaron/v1" "resp_set_status" (func $resp_set_status (param i32)))
  (import "flaron/v1" "resp_header_set" (func $resp_header_set (param i32 i32 i32 i32)))
  (import "flaron/v1" "resp_body_set" (func $resp_body_set (param i32 i32)))
  (import "flaron/v1" "secret_get" (func $secret_get (param i32 i32) (result i64)))
  (import "flaron/v1" "beam_fetch" (func $beam_fetch (param i32 i32 i32 i32) (result i64)))
  (import "flaron/v1" "plasma_set" (func $plasma_set (param i32 i32 i32 i32) (result i32)))
  (import "flaron/v1" "plasma_get" (func $plasma_get (param i32 i32) (result i64)))
  (import "flaron/v1" "plasma_increment" (func $plasma_increment (param i32 i32 i64) (result i64)))
  (import "flaron/v1" "plasma_list" (func $plasma_list (result i64)))
  (import "flaron/v1" "log_info" (func $log_info (param i32 i32)))
  (import "flaron/v1" "crypto_hash" (func $crypto_hash (param i32 i32) (result i64)))
  (import "flaron/v1" "encoding_base64_encode" (func $b64 (param i32 i32) (result i64)))
  (import "flaron/v1" "crypto_hmac" (func $crypto_hmac (param i32 i32) (result i64)))
  (import "flaron/v1" "ws_send" (func $ws_send (param i32 i32) (result i32)))
  (import "flaron/v1" "ws_event_type" (func $ws_event_type (result i64)))
  (import "flaron/v1" "ws_close_code" (func $ws_close_code (result i32)))
  (import "flaron/v1" "id_uuid" (func $id_uuid (param i32 i32) (result i64)))
  (import "flaron/v1" "timestamp" (func $timestamp (param i32 i32) (result i64)))
  (memory (export "memory") 8)

  (global $bump (mut i32) (i32.const 0x10000))
  (func $alloc (export "alloc") (param $n i32) (result i32)
    (local $p i32)
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const 0))))
    (local.set $p (i32.and (i32.add (global.get $bump) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (local.get $n) (i32.sub (i32.const 0x50000) (local.get $p)))
      (then (return (i32.const 0))))
    (global.set $bump (i32.add (local.get $p) (local.get $n)))
    (local.get $p))

  ;; answer the packed result: its bytes, or 204 when 0
  (func $packed (param $r i64)
    (if (i64.eqz (local.get $r))
      (then (call $resp_set_status (i32.const 204)))
      (else
        (call $resp_set_status (i32.const 200))
        (call $resp_body_set
          (i32.wrap_i64 (i64.shr_u (local.get $r) (i64.const 32)))
          (i32.wrap_i64 (local.get $r))))))

  ;; answer an i32 result as 4 bytes LE
  (func $int (param $v i32)
    (i32.store (i32.const 0x100) (local.get $v))
    (call $resp_set_status (i32.const 200))
    (call $resp_body_set (i32.const 0x100) (i32.const 4)))

  (func (export "handle_request") (result i64)
    (local $body i32) (local $sel i32) (local $a i32) (local $la i32) (local $b i32) (local $lb i32) (local $d i64)
    (local $r i64)
    (global.set $bump (i32.const 0x10000))
    (local.set $r (call $req_body))
    (local.set $body (i32.wrap_i64 (i64.shr_u (local.get $r) (i64.const 32))))
    (local.set $sel (i32.load (local.get $body)))
    (local.set $la (i32.load offset=4 (local.get $body)))
    (local.set $lb (i32.load offset=8 (local.get $body)))
    (local.set $d (i64.load offset=12 (local.get $body)))
    (local.set $a (i32.add (local.get $body) (i32.const 20)))
    (local.set $b (i32.add (local.get $a) (local.get $la)))
    (block $done
      (block $s19 (block $s18 (block $s17 (block $s16 (block $s15 (block $s14 (block $s13 (block $s12
      (block $s11 (block $s10 (block $s9 (block $s8 (block $s7 (block $s6 (block $s5 (block $s4
      (block $s3 (block $s2 (block $s1 (block $s0
        (br_table $s0 $s1 $s2 $s3 $s4 $s5 $s6 $s7 $s8 $s9 $s10 $s11 $s12 $s13 $s14 $s15 $s16 $s17 $s18 $s19 $done
          (local.get $sel)))
      (call $packed (call $req_method)) (br $done))
      (call $packed (call $req_url)) (br $done))
      (call $packed (call $req_header_get (local.get $a) (local.get $la))) (br $done))
      (call $packed (call $req_body)) (br $done))
      (call $packed (call $secret_get (local.get $a) (local.get $la))) (br $done))
      (call $packed (call $beam_fetch (local.get $a) (local.get $la) (local.get $b) (local.get $lb))) (br $done))
      (call $int (call $plasma_set (local.get $a) (local.get $la) (local.get $b) (local.get $lb))) (br $done))
      (call $packed (call $plasma_get (local.get $a) (local.get $la))) (br $done))
      (call $packed (call $plasma_increment (local.get $a) (local.get $la) (local.get $d))) (br $done))
      (call $packed (call $plasma_list)) (br $done))
      (call $log_info (local.get $a) (local.get $la)) (br $done))
      (call $packed (call $crypto_hash (local.get $a) (local.get $la))) (br $done))
      (call $packed (call $b64 (local.get $a) (local.get $la))) (br $done))
      (call $packed (call $crypto_hmac (local.get $a) (local.get $la))) (br $done))
      (call $int (call $ws_send (local.get $a) (local.get $la))) (br $done))
      (call $packed (call $ws_event_type)) (br $done))
      (call $int (call $ws_close_code)) (br $done))
      (call $resp_header_set (local.get $a) (local.get $la) (local.get $b) (local.get $lb))
      (call $resp_header_set (local.get $a) (local.get $la) (local.get $b) (local.get $lb))
      (call $resp_set_status (i32.const 201)) (br $done))
      (call $packed (call $id_uuid (local.get $a) (local.get $la))) (br $done))
      (call $packed (call $timestamp (local.get $a) (local.get $la))) (br $done))
    (i64.shl (i64.const 1) (i64.const 32))))
