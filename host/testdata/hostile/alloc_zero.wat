;; alloc_zero: alloc always answers 0 (a full arena).
;;
;; handle_request calls req_method, req_url, id_ulid and encoding_hex_encode("k"),
;; all of which have data to return, and answers 200 with header x-results set
;; to how many of them returned non-zero.
;; Expected: not an error. The host returns 0 ("no result") from each call
;; (DESIGN §2), so the invocation succeeds with status 200 and x-results: 0.
(module
  (import "flaron/v1" "req_method" (func $req_method (result i64)))
  (import "flaron/v1" "req_url" (func $req_url (result i64)))
  (import "flaron/v1" "id_ulid" (func $id_ulid (result i64)))
  (import "flaron/v1" "encoding_hex_encode" (func $encoding_hex_encode (param i32 i32) (result i64)))
  (import "flaron/v1" "resp_set_status" (func $resp_set_status (param i32)))
  (import "flaron/v1" "resp_header_set" (func $resp_header_set (param i32 i32 i32 i32)))
  (memory (export "memory") 8)

  (func (export "alloc") (param i32) (result i32) (i32.const 0))

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
    (local $n i32)
    ;; four host calls that always have data to return
    (local.set $n (i32.add (local.get $n) (i64.ne (call $req_method) (i64.const 0))))
    (local.set $n (i32.add (local.get $n) (i64.ne (call $req_url) (i64.const 0))))
    (local.set $n (i32.add (local.get $n) (i64.ne (call $id_ulid) (i64.const 0))))
    (local.set $n (i32.add (local.get $n)
      (i64.ne (call $encoding_hex_encode (i32.const 0x100) (i32.const 1)) (i64.const 0))))

    (call $resp_set_status (i32.const 200))
    (call $hdr (i32.const 0x110) (i32.const 9) (local.get $n))
    (i64.const 0x100000000))
  (data (i32.const 0x100) "k")
  (data (i32.const 0x110) "x-results")
)
