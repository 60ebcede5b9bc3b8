package abi

import (
	"context"
	"testing"

	"github.com/sparkbench/sparkbench/flares"
	"github.com/tetratelabs/wazero"
)

// TestBuiltinFlaresImportOnlyTheTable compiles every embedded reference
// flare (real clang-built wasm32) and checks each of its imports against
// the table.
func TestBuiltinFlaresImportOnlyTheTable(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	names := flares.Names()
	if len(names) == 0 {
		t.Skip("no embedded flares yet")
	}
	for _, n := range names {
		bin, _ := flares.Lookup(n)
		c, err := r.CompileModule(ctx, bin)
		if err != nil {
			t.Fatalf("flare %s: %v", n, err)
		}
		t.Logf("flare %s: %d imports", n, len(c.ImportedFunctions()))
		for _, d := range c.ImportedFunctions() {
			mod, name, _ := d.Import()
			if mod == ModuleWASI {
				continue
			}
			if err := Check(mod, name, d.ParamTypes(), d.ResultTypes()); err != nil {
				t.Errorf("flare %s: %v", n, err)
			}
		}
	}
}
