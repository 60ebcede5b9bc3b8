;; calc: loops, recursion, br_table, an imported global and defined globals,
;; bulk memory and a tail of SIMD, to check that instrumentation keeps the
;; results of every export.
(module
  (import "env" "base" (global $base i32))
  (memory (export "memory") 1)
  (global $acc (mut i64) (i64.const 0))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "sum") (param $n i32) (result i64)
    (local $i i32)
    (global.set $acc (i64.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (global.set $acc (i64.add (global.get $acc) (i64.extend_i32_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.add (global.get $acc) (i64.extend_i32_u (global.get $base))))
  (func (export "classify") (param $x i32) (result i32)
    (block $c (block $b (block $a
      (br_table $a $b $c (local.get $x)))
      (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.const 30))
  (func (export "fill") (param $n i32) (result i32)
    (memory.fill (i32.const 0) (i32.const 7) (local.get $n))
    (memory.copy (i32.const 100) (i32.const 0) (local.get $n))
    (i32x4.extract_lane 1 (v128.load (i32.const 100))))
  (func (export "nested") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $c i32)
    (loop $outer
      (local.set $j (i32.const 0))
      (loop $inner
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $inner (i32.lt_u (local.get $j) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $c))
  (func (export "spin") (loop $l (br $l))))
