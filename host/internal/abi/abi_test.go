package abi

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// architectureNames is docs/ARCHITECTURE.md's list of host functions per
// group, restated so that a function dropped from (or misfiled in) the
// table fails here.
var architectureNames = map[string][]string{
	GroupRequest:  {"req_method", "req_url", "req_header_get", "req_body"},
	GroupResponse: {"resp_set_status", "resp_header_set", "resp_body_set"},
	GroupSpark:    {"spark_get", "spark_set", "spark_delete", "spark_list", "spark_pull"},
	GroupPlasma:   {"plasma_get", "plasma_set", "plasma_delete", "plasma_increment", "plasma_decrement", "plasma_list"},
	GroupBeam:     {"beam_fetch"},
	GroupLog:      {"log_info", "log_warn", "log_error"},
	GroupEdgeOps: {"crypto_hash", "crypto_hmac", "crypto_sign_jwt", "crypto_encrypt_aes", "crypto_decrypt_aes",
		"crypto_random_bytes", "encoding_base64_encode", "encoding_base64_decode", "encoding_hex_encode",
		"encoding_hex_decode", "encoding_url_encode", "encoding_url_decode", "id_uuid", "id_ulid", "id_nanoid",
		"id_ksuid", "id_snowflake", "snowflake_id", "timestamp"},
	GroupSecrets: {"secret_get"},
	GroupWS:      {"ws_send", "ws_close_conn", "ws_conn_id", "ws_event_type", "ws_event_data", "ws_close_code"},
}

func TestTableNoDuplicatesAndEveryGroup(t *testing.T) {
	seen := map[string]bool{}
	groups := map[string]int{}
	for _, table := range [][]Func{FlaronV1, Runtime} {
		for _, f := range table {
			id := f.Module + "." + f.Name
			if seen[id] {
				t.Errorf("duplicate %s", id)
			}
			seen[id] = true
			groups[f.Group]++
			if len(f.Results) > 1 {
				t.Errorf("%s has %d results", id, len(f.Results))
			}
			if !slices.Contains(Groups(), f.Group) {
				t.Errorf("%s: unknown group %q", id, f.Group)
			}
		}
	}
	for _, g := range Groups() {
		if groups[g] == 0 {
			t.Errorf("group %s has no function", g)
		}
	}
	for _, f := range FlaronV1 {
		if f.Module != ModuleFlaronV1 || f.Group == GroupRuntime {
			t.Errorf("%s in FlaronV1", f)
		}
	}
	for _, f := range Runtime {
		if f.Module == ModuleFlaronV1 || f.Group != GroupRuntime {
			t.Errorf("%s in Runtime", f)
		}
	}
	total := 0
	for group, names := range architectureNames {
		for _, n := range names {
			f, ok := Lookup(ModuleFlaronV1, n)
			if !ok || f.Group != group {
				t.Errorf("ARCHITECTURE.md lists %s in %s; table has %+v, %v", n, group, f, ok)
			}
		}
		total += len(names)
	}
	if total != len(FlaronV1) {
		t.Errorf("table has %d flaron/v1 functions, ARCHITECTURE.md lists %d", len(FlaronV1), total)
	}
}

func TestSignaturesFromSDKs(t *testing.T) {
	// Spot checks against the SDK declarations quoted in the table's comments.
	tests := []struct{ name, sig string }{
		{"spark_get", "(i32,i32) -> i64"},
		{"spark_set", "(i32,i32,i32,i32,i32) -> i32"},
		{"spark_delete", "(i32,i32) -> ()"},
		{"spark_list", "() -> i64"},
		{"spark_pull", "(i32,i32,i32,i32) -> i32"},
		{"plasma_increment", "(i32,i32,i64) -> i64"},
		{"beam_fetch", "(i32,i32,i32,i32) -> i64"},
		{"resp_header_set", "(i32,i32,i32,i32) -> ()"},
		{"crypto_random_bytes", "(i32) -> i64"},
		{"ws_close_code", "() -> i32"},
	}
	for _, tt := range tests {
		f, ok := Lookup(ModuleFlaronV1, tt.name)
		if !ok || Signature(f.Params, f.Results) != tt.sig {
			t.Errorf("%s = %s, want %s", tt.name, f, tt.sig)
		}
	}
	if f, _ := Lookup(ModuleEnv, "abort"); f.String() != "env.abort(i32,i32,i32,i32) -> ()" {
		t.Errorf("abort = %s", f)
	}
}

func TestCheck(t *testing.T) {
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	tests := []struct {
		module, name    string
		params, results []api.ValueType
		err             error
		msg             string
	}{
		{ModuleFlaronV1, "spark_get", []api.ValueType{i32, i32}, []api.ValueType{i64}, nil, ""},
		{ModuleEnv, "abort", []api.ValueType{i32, i32, i32, i32}, nil, nil, ""},
		{ModuleFlaronV1, "spark_gets", []api.ValueType{i32, i32}, []api.ValueType{i64}, ErrUnknownImport,
			"unknown import flaron/v1.spark_gets(i32,i32) -> i64"},
		{"flaron/v2", "spark_get", []api.ValueType{i32, i32}, []api.ValueType{i64}, ErrUnknownImport, "flaron/v2.spark_get"},
		{ModuleFlaronV1, "spark_set", []api.ValueType{i32, i32, i32, i32, i64}, []api.ValueType{i32}, ErrSignatureMismatch,
			"flaron/v1.spark_set is (i32,i32,i32,i32,i64) -> i32, host defines (i32,i32,i32,i32,i32) -> i32"},
		{ModuleFlaronV1, "spark_delete", []api.ValueType{i32, i32}, []api.ValueType{i32}, ErrSignatureMismatch, "-> ()"},
	}
	for _, tt := range tests {
		err := Check(tt.module, tt.name, tt.params, tt.results)
		if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
			t.Fatalf("Check(%s.%s) = %v, want %v", tt.module, tt.name, err, tt.err)
		}
		if err != nil && (!strings.Contains(err.Error(), tt.msg) || strings.Contains(err.Error(), "\n")) {
			t.Fatalf("Check(%s.%s) message %q, want it to contain %q on one line", tt.module, tt.name, err, tt.msg)
		}
	}
}

// TestTableLoadsInWazero encodes a real wasm module importing every
// function of the table, has wazero parse it (its import definitions must
// read back as the table) and instantiates it against host modules built
// from the table, as the host does.
func TestTableLoadsInWazero(t *testing.T) {
	ctx := context.Background()
	all := append(slices.Clone(FlaronV1), Runtime...)
	bin := importModule(all)

	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	compiled, err := r.CompileModule(ctx, bin)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	defs := compiled.ImportedFunctions()
	if len(defs) != len(all) {
		t.Fatalf("%d imports, want %d", len(defs), len(all))
	}
	for i, d := range defs {
		mod, name, _ := d.Import()
		if err := Check(mod, name, d.ParamTypes(), d.ResultTypes()); err != nil {
			t.Errorf("import %d: %v", i, err)
		}
	}
	builders := map[string]wazero.HostModuleBuilder{}
	for _, f := range all {
		b, ok := builders[f.Module]
		if !ok {
			b = r.NewHostModuleBuilder(f.Module)
			builders[f.Module] = b
		}
		noop := api.GoModuleFunc(func(context.Context, api.Module, []uint64) {})
		b.NewFunctionBuilder().WithGoModuleFunction(noop, f.Params, f.Results).Export(f.Name)
	}
	for name, b := range builders {
		if _, err := b.Instantiate(ctx); err != nil {
			t.Fatalf("host module %s: %v", name, err)
		}
	}
	if _, err := r.InstantiateModule(ctx, compiled, wazero.NewModuleConfig()); err != nil {
		t.Fatalf("instantiate guest importing the whole table: %v", err)
	}
}

// importModule encodes a wasm binary with a type section and an import
// section holding one function import per f.
func importModule(funcs []Func) []byte {
	var types, imports []byte
	types = leb(types, uint32(len(funcs)))
	imports = leb(imports, uint32(len(funcs)))
	for i, f := range funcs {
		types = append(types, 0x60)
		types = leb(types, uint32(len(f.Params)))
		for _, p := range f.Params {
			types = append(types, p) // api.ValueType values are the binary encoding
		}
		types = leb(types, uint32(len(f.Results)))
		for _, r := range f.Results {
			types = append(types, r)
		}
		imports = name(imports, f.Module)
		imports = name(imports, f.Name)
		imports = append(imports, 0x00) // function import
		imports = leb(imports, uint32(i))
	}
	out := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}
	out = section(out, 1, types)
	return section(out, 2, imports)
}

func section(out []byte, id byte, body []byte) []byte {
	out = append(out, id)
	out = leb(out, uint32(len(body)))
	return append(out, body...)
}

func name(out []byte, s string) []byte {
	out = leb(out, uint32(len(s)))
	return append(out, s...)
}

func leb(out []byte, v uint32) []byte {
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(out, b)
		}
		out = append(out, b|0x80)
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("flaron/v1", "spark_get", []byte{0x7f, 0x7f}, []byte{0x7e})
	f.Add("env", "abort", []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, module, name string, params, results []byte) {
		err := Check(module, name, params, results)
		_, known := Lookup(module, name)
		if !known && !errors.Is(err, ErrUnknownImport) {
			t.Fatalf("unknown %s.%s: %v", module, name, err)
		}
		if err != nil && strings.Count(err.Error(), "\n") > strings.Count(module+name, "\n") {
			t.Fatalf("multi-line error %q", err)
		}
	})
}
