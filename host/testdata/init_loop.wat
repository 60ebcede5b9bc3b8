;; init_loop: a reactor module whose _initialize never returns.
(module
  (memory (export "memory") 1)
  (func (export "_initialize") (loop $l (br $l)))
  (func (export "alloc") (param i32) (result i32) (i32.const 0))
  (func (export "handle_request") (result i64) (i64.const 0x100000000)))
