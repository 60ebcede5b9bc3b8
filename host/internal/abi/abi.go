package abi

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero/api"
)

// Import modules a guest may name.
const (
	// ModuleFlaronV1 is the import module of the platform ABI.
	ModuleFlaronV1 = "flaron/v1"
	// ModuleEnv is where AssemblyScript's runtime imports abort, trace, seed.
	ModuleEnv = "env"
	// ModuleWASI is WASI preview 1. No public flare SDK needs it in its
	// documented build (see SDKS.md); a host offers it through wazero's
	// wasi_snapshot_preview1 for guests built with WASI toolchains (Rust
	// wasm32-wasip1, C with wasi-libc), and Check does not cover it.
	ModuleWASI = "wasi_snapshot_preview1"
)

// Groups of functions, as docs/ARCHITECTURE.md lists them, plus "runtime".
const (
	GroupRequest  = "request"
	GroupResponse = "response"
	GroupSpark    = "spark"
	GroupPlasma   = "plasma"
	GroupBeam     = "beam"
	GroupLog      = "log"
	GroupEdgeOps  = "edgeops"
	GroupSecrets  = "secrets"
	GroupWS       = "ws"
	GroupRuntime  = "runtime"
)

// Groups returns every group name, flaron/v1 groups first.
func Groups() []string {
	return []string{GroupRequest, GroupResponse, GroupSpark, GroupPlasma, GroupBeam,
		GroupLog, GroupEdgeOps, GroupSecrets, GroupWS, GroupRuntime}
}

// Func describes one importable host function.
type Func struct {
	Module  string          // "flaron/v1", or a language runtime's module (e.g. "env")
	Name    string          // import name
	Params  []api.ValueType // wazero api value types
	Results []api.ValueType // empty or one value
	Group   string          // "request", "response", "spark", "plasma", "beam", "log", "edgeops", "secrets", "ws", "runtime"
}

// String renders f as `flaron/v1.spark_get(i32,i32) -> i64`.
func (f Func) String() string {
	return f.Module + "." + f.Name + Signature(f.Params, f.Results)
}

// Signature renders a wasm signature as `(i32,i32) -> i64`; no results
// render as `-> ()`.
func Signature(params, results []api.ValueType) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, p := range params {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(api.ValueTypeName(p))
	}
	b.WriteString(") -> ")
	switch len(results) {
	case 0:
		b.WriteString("()")
	case 1:
		b.WriteString(api.ValueTypeName(results[0]))
	default:
		b.WriteByte('(')
		for i, r := range results {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(api.ValueTypeName(r))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// Lookup finds the function imported as module.name in FlaronV1 or Runtime.
func Lookup(module, name string) (Func, bool) {
	f, ok := index[module+"\x00"+name]
	return f, ok
}

// Check tells whether a guest import of module.name with the given
// signature is one the host defines. The error names the import and, for a
// mismatch, both signatures, in one line fit for a user.
func Check(module, name string, params, results []api.ValueType) error {
	f, ok := Lookup(module, name)
	if !ok {
		return fmt.Errorf("%w %s.%s%s", ErrUnknownImport, module, name, Signature(params, results))
	}
	if !slices.Equal(f.Params, params) || !slices.Equal(f.Results, results) {
		return fmt.Errorf("%w: %s.%s is %s, host defines %s", ErrSignatureMismatch,
			module, name, Signature(params, results), Signature(f.Params, f.Results))
	}
	return nil
}

var index = func() map[string]Func {
	m := make(map[string]Func, len(FlaronV1)+len(Runtime))
	for _, t := range [][]Func{FlaronV1, Runtime} {
		for _, f := range t {
			m[f.Module+"\x00"+f.Name] = f
		}
	}
	return m
}()
