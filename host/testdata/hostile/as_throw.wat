;; as_throw: what an AssemblyScript `throw new Error("boom")` compiles to: a
;; call of env.abort(message, file, line, column) with AssemblyScript strings
;; (UTF-16LE, byte length in the u32 before the pointer).
;;
;; Expected: trap with Detail `env.abort: "boom" at assembly/index.ts:7:5`.
(module

  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
  (memory (export "memory") 1)

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
    (call $abort (i32.const 0x104) (i32.const 0x204) (i32.const 7) (i32.const 5))
    (unreachable))
  (data (i32.const 0x100) "\08\00\00\00b\00o\00o\00m\00")
  (data (i32.const 0x200) "\22\00\00\00a\00s\00s\00e\00m\00b\00l\00y\00/\00i\00n\00d\00e\00x\00.\00t\00s\00")
)
