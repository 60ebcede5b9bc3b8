;; spark_set_10k: 10,000 spark_set calls in one invocation, keys "h0000".."h9999",
;; value "v", TTL 0.
;;
;; Answers 200 with headers (decimal):
;;   x-ok           calls that returned 0
;;   x-write-limit  calls that returned 3 (WriteLimit)
;;   x-other        calls that returned anything else
;;   x-first-other  the first such other code (0 if none)
;; Expected with default limits (100 writes) and the writes_spark_kv
;; capability: x-ok 100, x-write-limit 9900, x-other 0; keys h0000..h0099 exist
;; afterwards and h0100..h9999 do not (a refused call writes nothing). Without
;; the capability: x-other 10000, x-first-other 9. Spark disabled: x-first-other 5.
(module
  (import "flaron/v1" "spark_set" (func $spark_set (param i32 i32 i32 i32 i32) (result i32)))
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

  (func (export "handle_request") (result i64)
    (local $i i32) (local $code i32) (local $ok i32) (local $wl i32) (local $other i32) (local $first i32)
    (global.set $bump (i32.const 0x10000))
    (i32.store8 (i32.const 0x500) (i32.const 104)) ;; 'h'
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (i32.const 10000)))
        (i32.store8 (i32.const 0x501) (i32.add (i32.const 48) (i32.div_u (local.get $i) (i32.const 1000))))
        (i32.store8 (i32.const 0x502)
          (i32.add (i32.const 48) (i32.rem_u (i32.div_u (local.get $i) (i32.const 100)) (i32.const 10))))
        (i32.store8 (i32.const 0x503)
          (i32.add (i32.const 48) (i32.rem_u (i32.div_u (local.get $i) (i32.const 10)) (i32.const 10))))
        (i32.store8 (i32.const 0x504) (i32.add (i32.const 48) (i32.rem_u (local.get $i) (i32.const 10))))
        (local.set $code (call $spark_set (i32.const 0x500) (i32.const 5) (i32.const 0x600) (i32.const 1) (i32.const 0)))
        (if (i32.eqz (local.get $code))
          (then (local.set $ok (i32.add (local.get $ok) (i32.const 1))))
          (else
            (if (i32.eq (local.get $code) (i32.const 3))
              (then (local.set $wl (i32.add (local.get $wl) (i32.const 1))))
              (else
                (local.set $other (i32.add (local.get $other) (i32.const 1)))
                (if (i32.eqz (local.get $first)) (then (local.set $first (local.get $code))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $resp_set_status (i32.const 200))
    (call $hdr (i32.const 0x700) (i32.const 4) (local.get $ok))
    (call $hdr (i32.const 0x710) (i32.const 13) (local.get $wl))
    (call $hdr (i32.const 0x720) (i32.const 7) (local.get $other))
    (call $hdr (i32.const 0x730) (i32.const 13) (local.get $first))
    (i64.const 0x100000000))
  (data (i32.const 0x600) "v")
  (data (i32.const 0x700) "x-ok")
  (data (i32.const 0x710) "x-write-limit")
  (data (i32.const 0x720) "x-other")
  (data (i32.const 0x730) "x-first-other")
)
