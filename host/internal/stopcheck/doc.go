// Package stopcheck instruments a WebAssembly module so that a host can stop
// it cheaply from another goroutine.
//
// Instrument adds two mutable i32 globals, exported as ExportName (the
// stop flag) and FuelExportName (a fuel counter), and checks:
//
//   - at the entry of every function that calls a function: the fuel is
//     decremented; when it runs out the stop flag is read, the fuel
//     refilled and a memory.grow 0 leaves native code so that the Go
//     scheduler can run (see appendCheck). A function that calls none runs
//     a bounded number of instructions outside its loops (wasm branches
//     backwards only to a loop head), so its callers' checks and its own
//     loop checks suffice;
//   - at the head of every loop: a counter local added to the function
//     (after its own locals, so no index shifts) is incremented; once every
//     LoopStride iterations of the activation the stop flag is read and
//     LoopStride is charged to the fuel (see appendLoopCheck). A loop's
//     fast path thus touches no global: it carries no dependency through
//     memory, which the per-iteration fuel decrement did.
//
// A host sets the stop flag to 1 and the fuel to 0 (api.MutableGlobal.Set)
// to make the guest trap at its next call from a function that calls, or
// within LoopStride iterations of the loop it is in. This is what wazero's
// WithCloseOnContextDone does, without its costs: wazero's compiled-in
// check leaves native code for Go on every loop iteration, and it starts a
// goroutine for every call into the guest (nested host-to-guest alloc calls
// included).
//
// The guest's behaviour is otherwise unchanged: the global and the export
// are new, no index of the module shifts (the globals are appended after
// every existing one, the counter local after every local), and the
// inserted sequences have no stack effect.
package stopcheck
