;; alloc_loop: alloc never returns (loops forever), so the invocation hangs
;; inside a host call (req_url) waiting for guest memory.
;;
;; Expected: timeout after Limits.InvocationTimeout, even though the runaway
;; code runs nested inside a host function; the instance is discarded.
(module
  (import "flaron/v1" "req_url" (func $req_url (result i64)))
  (import "flaron/v1" "resp_set_status" (func $resp_set_status (param i32)))
  (memory (export "memory") 8)

  (func (export "alloc") (param i32) (result i32)
    (loop $forever (br $forever))
    (unreachable))
  (func (export "handle_request") (result i64)
    (drop (call $req_url))
    (call $resp_set_status (i32.const 200))
    (i64.const 0x100000000))
)
