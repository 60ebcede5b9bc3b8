package flares

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// sdkSignatures is every flaron/v1 import as the public flare SDKs (C, Zig,
// AssemblyScript, Rust) declare it. Kept here, independent of the host's
// table, so that a drift on either side shows up.
var sdkSignatures = map[string][2][]api.ValueType{
	"req_method":             {nil, {i64}},
	"req_url":                {nil, {i64}},
	"req_header_get":         {{i32, i32}, {i64}},
	"req_body":               {nil, {i64}},
	"resp_set_status":        {{i32}, nil},
	"resp_header_set":        {{i32, i32, i32, i32}, nil},
	"resp_body_set":          {{i32, i32}, nil},
	"spark_get":              {{i32, i32}, {i64}},
	"spark_set":              {{i32, i32, i32, i32, i32}, {i32}},
	"spark_delete":           {{i32, i32}, nil},
	"spark_list":             {nil, {i64}},
	"spark_pull":             {{i32, i32, i32, i32}, {i32}},
	"plasma_get":             {{i32, i32}, {i64}},
	"plasma_set":             {{i32, i32, i32, i32}, {i32}},
	"plasma_delete":          {{i32, i32}, {i32}},
	"plasma_increment":       {{i32, i32, i64}, {i64}},
	"plasma_decrement":       {{i32, i32, i64}, {i64}},
	"plasma_list":            {nil, {i64}},
	"beam_fetch":             {{i32, i32, i32, i32}, {i64}},
	"log_info":               {{i32, i32}, nil},
	"log_warn":               {{i32, i32}, nil},
	"log_error":              {{i32, i32}, nil},
	"crypto_hash":            {{i32, i32}, {i64}},
	"crypto_hmac":            {{i32, i32}, {i64}},
	"crypto_sign_jwt":        {{i32, i32}, {i64}},
	"crypto_encrypt_aes":     {{i32, i32}, {i64}},
	"crypto_decrypt_aes":     {{i32, i32}, {i64}},
	"crypto_random_bytes":    {{i32}, {i64}},
	"encoding_base64_encode": {{i32, i32}, {i64}},
	"encoding_base64_decode": {{i32, i32}, {i64}},
	"encoding_hex_encode":    {{i32, i32}, {i64}},
	"encoding_hex_decode":    {{i32, i32}, {i64}},
	"encoding_url_encode":    {{i32, i32}, {i64}},
	"encoding_url_decode":    {{i32, i32}, {i64}},
	"id_uuid":                {{i32, i32}, {i64}},
	"id_ulid":                {nil, {i64}},
	"id_nanoid":              {{i32}, {i64}},
	"id_ksuid":               {nil, {i64}},
	"id_snowflake":           {nil, {i64}},
	"snowflake_id":           {nil, {i64}},
	"timestamp":              {{i32, i32}, {i64}},
	"secret_get":             {{i32, i32}, {i64}},
	"ws_send":                {{i32, i32}, {i32}},
	"ws_close_conn":          {{i32}, nil},
	"ws_conn_id":             {nil, {i64}},
	"ws_event_type":          {nil, {i64}},
	"ws_event_data":          {nil, {i64}},
	"ws_close_code":          {nil, {i32}},
}

func TestEmbeddedFlaresAreFlaronV1Modules(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)

	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			wasm, ok := Lookup(name)
			if !ok {
				t.Fatalf("Lookup(%q) = false for a listed name", name)
			}
			mod, err := rt.CompileModule(ctx, wasm)
			if err != nil {
				t.Fatalf("compile %s.wasm: %v", name, err)
			}
			defer mod.Close(ctx)

			for _, fn := range mod.ImportedFunctions() {
				module, fname, _ := fn.Import()
				if module != "flaron/v1" {
					t.Errorf("imports %s.%s: only flaron/v1 is allowed", module, fname)
					continue
				}
				sig, known := sdkSignatures[fname]
				if !known {
					t.Errorf("imports flaron/v1.%s, which no SDK declares", fname)
					continue
				}
				if !slices.Equal(fn.ParamTypes(), sig[0]) || !slices.Equal(fn.ResultTypes(), sig[1]) {
					t.Errorf("flaron/v1.%s: signature %v -> %v, SDKs declare %v -> %v",
						fname, fn.ParamTypes(), fn.ResultTypes(), sig[0], sig[1])
				}
			}
			if len(mod.ImportedMemories()) != 0 {
				t.Errorf("imports a memory; flares must define and export their own")
			}

			exports := mod.ExportedFunctions()
			wantExports := map[string][2][]api.ValueType{
				"alloc":          {{i32}, {i32}},
				"handle_request": {nil, {i64}},
			}
			for ename, sig := range wantExports {
				fn, ok := exports[ename]
				if !ok {
					t.Errorf("does not export %s", ename)
					continue
				}
				if !slices.Equal(fn.ParamTypes(), sig[0]) || !slices.Equal(fn.ResultTypes(), sig[1]) {
					t.Errorf("export %s: %v -> %v, want %v -> %v", ename, fn.ParamTypes(), fn.ResultTypes(), sig[0], sig[1])
				}
			}
			if _, ok := mod.ExportedMemories()["memory"]; !ok {
				t.Errorf("does not export memory")
			}
		})
	}
}

func TestCatalogMatchesEmbedded(t *testing.T) {
	files, err := fs.Glob(wasmFS, "wasm/*.wasm")
	if err != nil {
		t.Fatal(err)
	}
	embedded := map[string]bool{}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "wasm/"), ".wasm")
		embedded[name] = true
		if _, ok := Info(name); !ok {
			t.Errorf("wasm/%s.wasm is embedded but Info(%q) knows nothing of it", name, name)
		}
	}
	for _, name := range Names() {
		if !embedded[name] {
			t.Errorf("catalog lists %q but wasm/%s.wasm is not embedded", name, name)
		}
		f, _ := Info(name)
		if f.Name != name || f.Summary == "" || len(f.Params) == 0 {
			t.Errorf("Info(%q) = %+v: want its name, a summary and its parameters", name, f)
		}
		for _, p := range f.Params {
			switch p.Where {
			case "header", "query", "body":
			default:
				t.Errorf("Info(%q) param %q: Where = %q, want header|query|body", name, p.Name, p.Where)
			}
			if p.Name == "" || p.Meaning == "" {
				t.Errorf("Info(%q): param %+v lacks a name or meaning", name, p)
			}
		}
	}
	if _, ok := Lookup("no-such-flare"); ok {
		t.Errorf("Lookup of an unknown name succeeded")
	}
	if _, ok := Info("no-such-flare"); ok {
		t.Errorf("Info of an unknown name succeeded")
	}
}

func TestLookupReturnsACopy(t *testing.T) {
	a, _ := Lookup("counter")
	a[0] = 'X'
	b, _ := Lookup("counter")
	if b[0] != 0 {
		t.Fatalf("Lookup shares its bytes: a caller's write leaked into the next Lookup")
	}
}
