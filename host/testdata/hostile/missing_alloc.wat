;; missing_alloc: exports memory and handle_request but no alloc.
;;
;; Expected: Load refuses it (ErrIncompatible) with one line naming the missing
;; export "alloc".
(module

  (memory (export "memory") 1)

  (func (export "handle_request") (result i64)
    (i64.const 0x100000000))
)
