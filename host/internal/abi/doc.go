// Package abi is the table of host functions a flaron/v1 guest may import:
// every function of the "flaron/v1" module with its exact wasm signature as
// the public flare SDKs (C, Rust, Zig, AssemblyScript) declare it, plus the
// few imports that SDK language runtimes add beside flaron/v1.
//
// The host uses the table to define its functions and to check a module's
// imports before instantiating it, so that an incompatible module is refused
// with one clear line naming the import (Check).
//
// SDKS.md, next to this file, summarises what each public SDK imports and
// exports, its arena and alloc conventions, and what a host must do so that
// the SDK's modules run unmodified.
package abi
