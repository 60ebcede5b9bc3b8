;; table_grow: grows its table (1 element, no declared maximum) by N elements
;; with table.grow; N is the request body as a u32 LE, 100,000,000 when empty.
;; Answers 200 with x-refused (1 if table.grow answered -1) and x-size (the
;; table's size afterwards).
;;
;; Expected: the host clamps the table's maximum to
;; ModuleLimits.MaxTableElements: growing by 100M is refused (x-refused 1,
;; x-size 1, nothing allocated); growing by 1000 succeeds (x-refused 0, x-size
;; 1001).
(module
  (import "flaron/v1" "req_body" (func $req_body (result i64)))
  (import "flaron/v1" "resp_set_status" (func $resp_set_status (param i32)))
  (import "flaron/v1" "resp_header_set" (func $resp_header_set (param i32 i32 i32 i32)))
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

  (func $body_word (param $i i32) (result i32)
    (local $packed i64) (local $ptr i32) (local $len i32) (local $off i32)
    (local.set $packed (call $req_body))
    (local.set $ptr (i32.wrap_i64 (i64.shr_u (local.get $packed) (i64.const 32))))
    (local.set $len (i32.wrap_i64 (local.get $packed)))
    (local.set $off (i32.mul (local.get $i) (i32.const 4)))
    (if (i32.lt_u (local.get $len) (i32.add (local.get $off) (i32.const 4)))
      (then (return (i32.const 0))))
    (i32.load (i32.add (local.get $ptr) (local.get $off))))

  (table $t 1 funcref)
  (func (export "handle_request") (result i64)
    (local $n i32) (local $r i32)
    (global.set $bump (i32.const 0x10000))
    (local.set $n (call $body_word (i32.const 0)))
    (if (i32.eqz (local.get $n)) (then (local.set $n (i32.const 100000000))))
    (local.set $r (table.grow $t (ref.null func) (local.get $n)))
    (call $resp_set_status (i32.const 200))
    (call $hdr (i32.const 0x200) (i32.const 9) (i32.eq (local.get $r) (i32.const -1)))
    (call $hdr (i32.const 0x210) (i32.const 6) (table.size $t))
    (i64.const 0x100000000))
  (data (i32.const 0x200) "x-refused")
  (data (i32.const 0x210) "x-size")
)
