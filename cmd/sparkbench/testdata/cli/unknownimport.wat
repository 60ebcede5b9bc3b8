(module
  (import "flaron/v1" "no_such_function" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) i32.const 0)
  (func (export "handle_request") (result i64) i64.const 0))
