;; alloc_oob: alloc answers a pointer the host cannot write n bytes at.
;;
;; The bad pointer depends on the requested size n, so a test picks it through
;; the length of the request URL (n = len(url) for req_url):
;;   n % 3 == 0: memory size          (past the end)
;;   n % 3 == 1: memory size - 1      (straddles the end: n > 1)
;;   n % 3 == 2: 0xfffffff0           (ptr + n wraps 2^32 when n >= 16)
;; handle_request calls req_url (use an absolute URL of 16 bytes or more), then
;; answers 200.
;; Expected: abi_violation on that host call; nothing is written into guest
;; memory, the instance is discarded, other instances keep serving.
(module
  (import "flaron/v1" "req_url" (func $req_url (result i64)))
  (import "flaron/v1" "resp_set_status" (func $resp_set_status (param i32)))
  (memory (export "memory") 8)

  (func (export "alloc") (param $n i32) (result i32)
    (local $m i32)
    (local.set $m (i32.rem_u (local.get $n) (i32.const 3)))
    (if (i32.eqz (local.get $m)) (then (return (i32.shl (memory.size) (i32.const 16)))))
    (if (i32.eq (local.get $m) (i32.const 1))
      (then (return (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 1)))))
    (i32.const 0xfffffff0))
  (func (export "handle_request") (result i64)
    (drop (call $req_url))
    (call $resp_set_status (i32.const 200))
    (i64.const 0x100000000))
)
