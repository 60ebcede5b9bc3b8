;; alloc_trap: alloc traps (unreachable).
;;
;; handle_request calls req_url, whose data the host must place through alloc.
;; Expected: alloc_failed (the guest's alloc trapped while the host was
;; returning data); the instance is discarded.
(module
  (import "flaron/v1" "req_url" (func $req_url (result i64)))
  (import "flaron/v1" "resp_set_status" (func $resp_set_status (param i32)))
  (memory (export "memory") 8)

  (func (export "alloc") (param i32) (result i32) (unreachable))
  (func (export "handle_request") (result i64)
    (drop (call $req_url))
    (call $resp_set_status (i32.const 200))
    (i64.const 0x100000000))
)
