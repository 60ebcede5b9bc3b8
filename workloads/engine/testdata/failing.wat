;; failing: a flare that fails on purpose, as the first byte of the request
;; body says, so that tests can count each kind of failure and its message:
;;   '1'  unreachable                       trap "unreachable"
;;   '2'  i32.div_s by zero                 trap "integer divide by zero"
;;   '3'  AssemblyScript abort("boom", "assembly/index.ts", 7, 5)
;;                                          trap `env.abort: "boom" at assembly/index.ts:7:5`
;;   '4'  answers 500 "upstream exploded: connection reset"
;;   anything else, or no body: answers 200.
;; Assemble with: wat2wasm failing.wat -o failing.wasm
(module
  (import "flaron/v1" "req_body" (func $req_body (result i64)))
  (import "flaron/v1" "resp_set_status" (func $set_status (param i32)))
  (import "flaron/v1" "resp_body_set" (func $set_body (param i32 i32)))
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))

  (memory (export "memory") 6)

  ;; AssemblyScript strings: the byte length (u32 LE) at ptr-4, UTF-16LE at ptr.
  (data (i32.const 0x100) "\08\00\00\00b\00o\00o\00m\00")
  (data (i32.const 0x200) "\22\00\00\00a\00s\00s\00e\00m\00b\00l\00y\00/\00i\00n\00d\00e\00x\00.\00t\00s\00")
  (data (i32.const 0x300) "upstream exploded: connection reset")

  ;; A bump arena of 256 KiB at 0x10000, reset by handle_request.
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
    (local $body i64)
    (local $mode i32)
    (global.set $bump (i32.const 0x10000))
    (local.set $body (call $req_body))
    (if (i64.ne (local.get $body) (i64.const 0))
      (then (local.set $mode
        (i32.load8_u (i32.wrap_i64 (i64.shr_u (local.get $body) (i64.const 32)))))))
    (if (i32.eq (local.get $mode) (i32.const 0x31)) (then (unreachable)))
    (if (i32.eq (local.get $mode) (i32.const 0x32))
      (then (drop (i32.div_s (i32.const 1) (i32.sub (local.get $mode) (i32.const 0x32))))))
    (if (i32.eq (local.get $mode) (i32.const 0x33))
      (then
        (call $abort (i32.const 0x104) (i32.const 0x204) (i32.const 7) (i32.const 5))
        (unreachable)))
    (if (i32.eq (local.get $mode) (i32.const 0x34))
      (then
        (call $set_status (i32.const 500))
        (call $set_body (i32.const 0x300) (i32.const 35))))
    ;; action 1 (respond) in the high 32 bits
    (i64.const 0x100000000))
)
