// Package guard rewrites a WebAssembly module so that a host can bound what
// it does: stop it from another goroutine, cap its call stack, run its start
// function when the host chooses, and refuse or clamp declarations that
// would make every instance allocate without limit.
//
// Instrument first checks that every count of the module (types, imports,
// functions, tables, globals, exports, segments, entries, locals) fits in
// its section's bytes and its limit, and drops the custom sections: wazero's
// decoder allocates what a count declares before reading the entries, and
// reads name and debug sections the host has no use for (a 100-byte module
// whose name section declared 4G function names made it allocate 96 GB).
// Then it applies, as Options select:
//
//   - module limits (Limits): the initial memory, the elements of all
//     tables and element segments, globals, imports, data and element
//     segments, functions, the size of a function body and its locals are
//     checked against the limits (a *LimitError names the first one
//     exceeded), and each table's maximum is clamped so that table.grow
//     cannot take the tables past MaxTableElements (the guest sees grow
//     fail, as the spec allows);
//   - start detachment: a start section is removed and its function
//     exported as StartExport, so that the host runs it after
//     instantiation, under its timeout and with the instance's memory and
//     exports in hand, instead of inside wazero's Instantiate where nothing
//     can stop it;
//   - stop checks (Options.StopChecks): two mutable i32 globals, exported as
//     StopExport (the stop flag) and FuelExport (a fuel counter), and checks
//     at the entry of every function that calls a function (the fuel is
//     decremented; when it runs out the stop flag is read, the fuel refilled
//     and a memory.grow 0 leaves native code so that the Go scheduler can
//     run, see appendCheck) and at the head of every loop (a counter local
//     added after the function's own locals is incremented; once every
//     LoopStride iterations of the activation the stop flag is read and
//     LoopStride charged to the fuel, see appendLoopCheck). A host sets the
//     stop flag to 1 and the fuel to 0 (api.MutableGlobal.Set) to make the
//     guest trap at its next call from a function that calls, or within
//     LoopStride iterations of the loop it is in. This is what wazero's
//     WithCloseOnContextDone does, without its costs: a goroutine per call
//     into the guest and an exit to Go on every loop iteration;
//   - a stack guard (Options.StackBytes): a mutable i32 global exported as
//     StackExport holds the call-stack budget left, in estimated bytes of
//     native stack. Every function that calls a function charges its frame
//     estimate (FrameCost) on entry and gives it back on every way out; a
//     charge that would leave less than the largest frame of a function
//     that calls none sets the global to StackExhausted and traps. Deep
//     recursion thus traps after at most StackBytes of frames, instead of
//     growing wazero's stack (copied at every doubling) to its ceiling of
//     about 80 MiB per call.
//
// Functions that call none need neither a stop check at entry nor a stack
// charge: they run a bounded number of instructions outside their loops
// (wasm branches backwards only to a loop head) and add one frame, bounded
// by its estimate, which the charge of their callers leaves room for.
//
// The guest's behaviour is otherwise unchanged: no index of the module
// shifts (globals and types are appended after the existing ones, the added
// locals after the function's own), and the inserted sequences have no
// stack effect. A function's body is wrapped in a block of its result type
// so that every way out (its end, a branch to its outermost label, a return,
// which becomes such a branch) passes the stack guard's refund.
package guard
