package host

// The test modules in testdata/ are written in the WebAssembly text format
// and committed with their .wasm; TestTestdataWasmFresh fails if one is stale.
//go:generate sh testdata/build.sh
