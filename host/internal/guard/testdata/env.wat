;; env: exports the global that calc.wat imports.
(module
  (global (export "base") i32 (i32.const 1000)))
