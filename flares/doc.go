// Package flares holds sparkbench's reference flares: small C programs built
// for freestanding wasm32 against a minimal guest runtime of our own
// (runtime/), committed as .wasm next to their sources and embedded in the
// binary, so that nobody needs a wasm toolchain to run sparkbench.
//
// Workload files address them as "builtin:NAME". Each flare reads its
// parameters from the request (headers or query), so one module serves many
// workloads; Info lists them.
//
// Rebuild with `go generate ./flares` (runs build.sh; needs Debian's clang
// and wasm-ld). BUILD_INFO records the compiler the committed binaries were
// built with; TestCommittedWasmIsFresh rebuilds them and fails when a
// committed .wasm is stale.
package flares

//go:generate sh build.sh
