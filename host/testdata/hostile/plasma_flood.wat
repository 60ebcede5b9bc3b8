;; plasma_flood: plasma_set("pN", <64 KiB of zeros>) for N = 0, 1, ... until a
;; set does not answer 0; answers 200 with x-code (that answer) and x-count
;; (how many sets succeeded).
;;
;; Expected: plasma's capacity (Config.PlasmaBytes, 64 MiB of keys and
;; values by default) stops it: x-code 2 (write limit), x-count 1023, so no
;; guest can make the host's plasma grow without bound. Run again on the same
;; host, the sets overwrite the same keys: the same answer.
(module
  (import "flaron/v1" "plasma_set" (func $plasma_set (param i32 i32 i32 i32) (result i32)))
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
    (local $i i32) (local $n i32) (local $code i32)
    (i32.store8 (i32.const 0x100) (i32.const 112)) ;; 'p'
    (block $done
      (loop $each
        (local.set $n (call $dec (local.get $i) (i32.const 0x101)))
        (local.set $code (call $plasma_set (i32.const 0x100) (i32.add (local.get $n) (i32.const 1))
          (i32.const 0x10000) (i32.const 65536)))
        (br_if $done (local.get $code))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $resp_set_status (i32.const 200))
    (call $hdr (i32.const 0x200) (i32.const 6) (local.get $code))
    (call $hdr (i32.const 0x210) (i32.const 7) (local.get $i))
    (i64.const 0x100000000))
  (data (i32.const 0x200) "x-code")
  (data (i32.const 0x210) "x-count")
)
