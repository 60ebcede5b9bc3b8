package workloads

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sparkbench/sparkbench/flares"
	"github.com/sparkbench/sparkbench/internal/safefile"
	"github.com/sparkbench/sparkbench/workloads/internal/wasmscan"
)

// MaxFlareBytes caps the size of a flare module read from disk; wazero
// compiles what it is given, so the cap is what keeps a path such as
// /dev/zero or a multi-gigabyte file from exhausting memory first.
const MaxFlareBytes = 64 << 20

// BuiltinPrefix marks a reference flare embedded in the binary: the flares
// catalog's names (flares.Names) after it.
const BuiltinPrefix = "builtin:"

// writeImports are the flaron/v1 imports that need writes_spark_kv.
var writeImports = []string{"spark_set", "spark_delete", "spark_pull"}

// WasmWritesSpark reports whether a module imports a Spark write function
// (set, delete or pull), and so needs a site with writes_spark_kv. It
// answers for the built-in flares too: their modules are what they do.
func WasmWritesSpark(wasm []byte) (bool, error) {
	imps, err := wasmscan.Imports(wasm)
	if err != nil {
		return false, err
	}
	for _, im := range imps {
		if im.Module == "flaron/v1" && slices.Contains(writeImports, im.Name) {
			return true, nil
		}
	}
	return false, nil
}

func (d *decoder) flare(sc *ScenarioSpec, n *yaml.Node, p, baseDir string) {
	ref := d.nonEmpty(n, p)
	if !d.ok() {
		return
	}
	sc.Flare = ref
	var wasm []byte
	var what string // the flare, as errors name it
	if name, ok := strings.CutPrefix(ref, BuiltinPrefix); ok {
		b, found := flares.Lookup(name)
		if !found {
			d.failf(n, p, ErrFlare, "unknown built-in flare %q (built-in: %s)", name, strings.Join(flares.Names(), ", "))
			return
		}
		wasm, what = b, fmt.Sprintf("built-in flare %q", name)
	} else {
		path := ref
		if !filepath.IsAbs(path) {
			path = filepath.Join(baseDir, path)
		}
		b, err := safefile.ReadFile(path, MaxFlareBytes)
		if err != nil {
			d.failf(n, p, ErrFlare, "cannot read flare %s: %v", path, unwrapPathErr(err))
			return
		}
		wasm, what, sc.FlarePath = b, "flare "+path, path
	}
	w, err := WasmWritesSpark(wasm)
	if err != nil {
		d.failf(n, p, ErrFlare, "%s: %v", what, err)
		return
	}
	sc.WritesSpark = w
}

// FlareBytes returns the module bytes of a scenario's flare.
func (sc *ScenarioSpec) FlareBytes() ([]byte, error) {
	if name, ok := strings.CutPrefix(sc.Flare, BuiltinPrefix); ok {
		b, found := flares.Lookup(name)
		if !found {
			return nil, fmt.Errorf("flare %s: %w: unknown built-in", sc.Flare, ErrFlare)
		}
		return b, nil
	}
	b, err := safefile.ReadFile(sc.FlarePath, MaxFlareBytes)
	if err != nil {
		return nil, fmt.Errorf("flare %s: %w: %w", sc.Flare, ErrFlare, err)
	}
	return b, nil
}

// ModuleItem is one import or export of a wasm module.
type ModuleItem struct {
	Module string // imports only
	Name   string
	Kind   string // func, table, memory, global, tag
}

// ScanModule lists a wasm module's imports and exports without compiling it.
func ScanModule(wasm []byte) (imports, exports []ModuleItem, err error) {
	imps, exps, err := wasmscan.Scan(wasm)
	if err != nil {
		return nil, nil, err
	}
	for _, im := range imps {
		imports = append(imports, ModuleItem{Module: im.Module, Name: im.Name, Kind: wasmscan.KindName(im.Kind)})
	}
	for _, ex := range exps {
		exports = append(exports, ModuleItem{Name: ex.Name, Kind: wasmscan.KindName(ex.Kind)})
	}
	return imports, exports, nil
}
