// Package stopcheck instruments a WebAssembly module so that a host can stop
// it cheaply from another goroutine.
//
// Instrument adds one mutable i32 global, exported as ExportName, and a
// check of it at the entry of every function and at the head of every loop:
//
//	global.get $stop
//	if
//	  unreachable
//	end
//
// A host sets the global to 1 (api.MutableGlobal.Set) to make the guest
// trap at its next function call or loop iteration. This is what wazero's
// WithCloseOnContextDone does, without its costs: wazero's compiled-in
// check leaves native code for Go on every loop iteration, and it starts a
// goroutine for every call into the guest (nested host-to-guest alloc calls
// included). The instrumented check is a load and a branch.
//
// The guest's behaviour is otherwise unchanged: the global and the export
// are new, no index of the module shifts (the global is appended after
// every existing one), and the inserted sequence has no stack effect.
package stopcheck
