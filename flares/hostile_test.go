package flares

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// The hostile fixtures live in host/testdata/hostile (the host's tests run
// them against the real host). These tests pin the fixtures themselves: the
// committed .wasm is what the .wat assembles to, and each module does what
// its README row says under plain wazero and a minimal test host.

const hostileDir = "../host/testdata/hostile"

// abiOrder is host/internal/abi.FlaronV1's order: the selector numbering of
// abi_oob and abi_fuzz.
var abiOrder = []string{
	"req_method", "req_url", "req_header_get", "req_body",
	"resp_set_status", "resp_header_set", "resp_body_set",
	"spark_get", "spark_set", "spark_delete", "spark_list", "spark_pull",
	"plasma_get", "plasma_set", "plasma_delete", "plasma_increment", "plasma_decrement", "plasma_list",
	"beam_fetch", "log_info", "log_warn", "log_error",
	"crypto_hash", "crypto_hmac", "crypto_sign_jwt", "crypto_encrypt_aes", "crypto_decrypt_aes", "crypto_random_bytes",
	"encoding_base64_encode", "encoding_base64_decode", "encoding_hex_encode", "encoding_hex_decode",
	"encoding_url_encode", "encoding_url_decode",
	"id_uuid", "id_ulid", "id_nanoid", "id_ksuid", "id_snowflake", "snowflake_id", "timestamp",
	"secret_get", "ws_send", "ws_close_conn", "ws_conn_id", "ws_event_type", "ws_event_data", "ws_close_code",
}

func hostileWasm(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(hostileDir, name+".wasm"))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

func TestHostileFixturesAreFresh(t *testing.T) {
	if _, err := exec.LookPath("wat2wasm"); err != nil {
		t.Skip("wat2wasm not installed: cannot reassemble the hostile fixtures")
	}
	dir := t.TempDir()
	if msg, err := exec.Command("sh", filepath.Join(hostileDir, "build.sh"), dir).CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, msg)
	}
	sources, _ := filepath.Glob(filepath.Join(hostileDir, "*.wat"))
	if len(sources) == 0 {
		t.Fatal("no .wat fixtures")
	}
	for _, src := range sources {
		name := strings.TrimSuffix(filepath.Base(src), ".wat")
		fresh, err := os.ReadFile(filepath.Join(dir, name+".wasm"))
		if err != nil {
			t.Errorf("%s: not assembled: %v", name, err)
			continue
		}
		if committed, err := os.ReadFile(filepath.Join(hostileDir, name+".wasm")); err != nil || !bytes.Equal(fresh, committed) {
			t.Errorf("%s.wasm is stale or missing: run host/testdata/hostile/build.sh and commit", name)
		}
	}
}

func TestHostileFixturesShape(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	sources, _ := filepath.Glob(filepath.Join(hostileDir, "*.wat"))
	for _, src := range sources {
		name := strings.TrimSuffix(filepath.Base(src), ".wat")
		t.Run(name, func(t *testing.T) {
			mod, err := rt.CompileModule(ctx, hostileWasm(t, name))
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			defer mod.Close(ctx)
			badImports := name == "wrong_signature" || name == "unknown_import"
			for _, fn := range mod.ImportedFunctions() {
				module, fname, _ := fn.Import()
				if name == "as_throw" && module == "env" && fname == "abort" {
					continue // AssemblyScript's runtime import, as asc emits it
				}
				sig, known := sdkSignatures[fname]
				ok := module == "flaron/v1" && known && slices.Equal(fn.ParamTypes(), sig[0]) && slices.Equal(fn.ResultTypes(), sig[1])
				if !ok && !badImports {
					t.Errorf("import %s.%s %v -> %v is not a flaron/v1 SDK function", module, fname, fn.ParamTypes(), fn.ResultTypes())
				}
				if ok && badImports {
					t.Errorf("import %s.%s is valid: this fixture must carry a bad import", module, fname)
				}
			}
			exports := mod.ExportedFunctions()
			_, hasAlloc := exports["alloc"]
			if hasAlloc == (name == "missing_alloc") {
				t.Errorf("alloc exported = %v", hasAlloc)
			}
			if _, ok := exports["handle_request"]; !ok {
				t.Errorf("handle_request not exported")
			}
			if _, ok := mod.ExportedMemories()["memory"]; !ok {
				t.Errorf("memory not exported")
			}
		})
	}
}

func le32s(words ...uint32) []byte {
	var b []byte
	for _, w := range words {
		b = binary.LittleEndian.AppendUint32(b, w)
	}
	return b
}

func TestAbiFuzzFixtureCallsTheSelectedFunction(t *testing.T) {
	if len(abiOrder) != len(sdkSignatures) {
		t.Fatalf("abiOrder has %d names, the SDKs %d", len(abiOrder), len(sdkSignatures))
	}
	g := newGuestHost(t)
	g.record = true
	r := startGuest(t, g, hostileWasm(t, "abi_fuzz"))
	rng := rand.New(rand.NewSource(1))
	for sel, name := range abiOrder {
		var a [5]uint32
		for i := range a {
			a[i] = uint32(rng.Intn(0x1000))
		}
		d := rng.Uint64()
		g.body = binary.LittleEndian.AppendUint64(le32s(uint32(sel), a[0], a[1], a[2], a[3], a[4]), d)
		r.mustInvoke(t)
		if name == "req_body" {
			continue // the one real function of the recording host: not recorded
		}
		if len(g.calls) == 0 || g.calls[0].name != name {
			t.Fatalf("selector %d: first call %v, want %s", sel, g.calls, name)
		}
		sig := sdkSignatures[name]
		var want []uint64
		next := 0
		for _, p := range sig[0] {
			if p == api.ValueTypeI64 {
				want = append(want, d)
			} else {
				want = append(want, uint64(a[next]))
				next++
			}
		}
		got := g.calls[0].args
		if len(got) != len(want) || (len(want) > 0 && !equalU64(got, want)) {
			t.Errorf("%s: args %x, want %x", name, got, want)
		}
		var result uint64
		if len(sig[1]) == 1 {
			result = resultFor(name)
			if sig[1][0] == api.ValueTypeI32 {
				result = uint64(int64(int32(uint32(result))))
			}
		}
		if name != "resp_body_set" && !bytes.Equal(g.respBody, binary.LittleEndian.AppendUint64(nil, result)) {
			t.Errorf("%s: answered %x, want the result %x", name, g.respBody, result)
		}
	}
	g.body = le32s(48)
	r.mustInvoke(t)
	if g.calls[0].name != "resp_set_status" || g.calls[0].args[0] != 400 {
		t.Errorf("unknown selector: calls %v, want resp_set_status(400)", g.calls)
	}
}

func equalU64(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAbiOOBFixtureFormsTheDocumentedPairs(t *testing.T) {
	const memSize = 8 << 16
	badPair := map[uint32][2]uint32{
		0: {memSize, 1},
		1: {memSize - 1, 2},
		2: {0x100, 0x7fffffff},
		3: {0x100, 0xffffffff},
		4: {0xfffffff0, 0x20},
	}
	twoPairs := map[string]bool{"resp_header_set": true, "spark_set": true, "spark_pull": true, "plasma_set": true, "beam_fetch": true}
	g := newGuestHost(t)
	g.record = true
	r := startGuest(t, g, hostileWasm(t, "abi_oob"))
	for sel, name := range abiOrder {
		sig := sdkSignatures[name]
		takesPtr := len(sig[0]) >= 2 && sig[0][0] == api.ValueTypeI32 && sig[0][1] == api.ValueTypeI32
		for _, mode := range []uint32{0, 1, 2, 3, 4, 16, 17, 18, 19, 20} {
			g.body = le32s(uint32(sel), mode)
			r.mustInvoke(t)
			if !takesPtr {
				if g.calls[0].name != "resp_set_status" || g.calls[0].args[0] != 400 {
					t.Errorf("%s (no pointer): calls %v, want resp_set_status(400)", name, g.calls)
				}
				break
			}
			if g.calls[0].name != name {
				t.Fatalf("selector %d mode %d: called %s, want %s", sel, mode, g.calls[0].name, name)
			}
			bad := badPair[mode&15]
			good := [2]uint32{0x100, 1}
			first, second := bad, good
			if mode&16 != 0 && twoPairs[name] {
				first, second = good, bad
			}
			args := g.calls[0].args
			if uint32(args[0]) != first[0] || uint32(args[1]) != first[1] {
				t.Errorf("%s mode %d: first pair (%#x, %#x), want (%#x, %#x)", name, mode, uint32(args[0]), uint32(args[1]), first[0], first[1])
			}
			if twoPairs[name] && (uint32(args[2]) != second[0] || uint32(args[3]) != second[1]) {
				t.Errorf("%s mode %d: second pair (%#x, %#x), want (%#x, %#x)", name, mode, uint32(args[2]), uint32(args[3]), second[0], second[1])
			}
			if name == "spark_set" && uint32(args[4]) != 60 {
				t.Errorf("spark_set ttl %d, want 60", args[4])
			}
		}
	}
}

func TestSparkPressureFixtures(t *testing.T) {
	t.Run("spark_set_10k", func(t *testing.T) {
		g := newGuestHost(t)
		g.maxWrites = 100
		r := startGuest(t, g, hostileWasm(t, "spark_set_10k"))
		r.mustInvoke(t)
		want := map[string]string{"x-ok": "100", "x-write-limit": "9900", "x-other": "0", "x-first-other": "0"}
		for k, v := range want {
			if g.respHeaders[k] != v {
				t.Errorf("%s = %q, want %q", k, g.respHeaders[k], v)
			}
		}
		if _, ok := g.spark["h0099"]; !ok {
			t.Errorf("h0099 missing")
		}
		if len(g.spark) != 100 {
			t.Errorf("%d keys written, want 100", len(g.spark))
		}
	})
	for _, tc := range []struct {
		body        []byte
		code, after string
	}{
		{nil, "2", "miss"},
		{le32s(65536), "0", "hit"},
		{le32s(65537), "2", "miss"},
	} {
		t.Run("big_value", func(t *testing.T) {
			g := newGuestHost(t)
			g.body = tc.body
			r := startGuest(t, g, hostileWasm(t, "big_value"))
			r.mustInvoke(t)
			if g.respHeaders["x-code"] != tc.code || g.respHeaders["x-after"] != tc.after {
				t.Errorf("body %x: x-code %q x-after %q, want %s %s", tc.body, g.respHeaders["x-code"], g.respHeaders["x-after"], tc.code, tc.after)
			}
		})
	}
	t.Run("alloc_reentrant", func(t *testing.T) {
		g := newGuestHost(t)
		r := startGuest(t, g, hostileWasm(t, "alloc_reentrant"))
		r.mustInvoke(t)
		if g.respHeaders["x-reentrant-code"] != "0" || g.respHeaders["x-r"] != "hit" {
			t.Errorf("headers %v, want x-reentrant-code 0 and x-r hit", g.respHeaders)
		}
	})
	t.Run("log_flood", func(t *testing.T) {
		g := newGuestHost(t)
		r := startGuest(t, g, hostileWasm(t, "log_flood"))
		g.trace = true
		r.mustInvoke(t)
		logs := 0
		for _, c := range g.traced {
			if c == "log_info" {
				logs++
			}
		}
		if g.status != 200 || logs != 100000 {
			t.Errorf("status %d, %d log_info calls; want 200 and 100000", g.status, logs)
		}
	})
	t.Run("alloc_zero", func(t *testing.T) {
		g := newGuestHost(t)
		r := startGuest(t, g, hostileWasm(t, "alloc_zero"))
		r.mustInvoke(t)
		if g.status != 200 || g.respHeaders["x-results"] != "0" {
			t.Errorf("status %d x-results %q, want 200 and 0", g.status, g.respHeaders["x-results"])
		}
	})
}

// TestFailingFixturesFail checks that each runaway or broken fixture fails
// the way its README row says under plain wazero (the host classifies these
// failures; here only their cause is checked).
func TestFailingFixturesFail(t *testing.T) {
	tests := []struct {
		name, wantErr string
		url           string
	}{
		{"trap", "unreachable", ""},
		{"deep_recursion", "stack overflow", ""},
		{"memory_bomb", "unreachable", ""},
		{"infinite_loop", "context deadline exceeded", ""},
		{"hostcall_loop", "context deadline exceeded", ""},
		{"alloc_trap", "alloc: ", ""},
		{"alloc_loop", "context deadline exceeded", ""},
		{"alloc_oob", "alloc answered out-of-bounds 0x80000", "https://a.example/xyz"},      // len 21: n%3 == 0
		{"alloc_oob", "alloc answered out-of-bounds 0x7ffff", "https://a.example/xyzw"},     // len 22: n%3 == 1
		{"alloc_oob", "alloc answered out-of-bounds 0xfffffff0", "https://a.example/abcde"}, // len 23: n%3 == 2
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGuestHost(t)
			g.stoppable = true
			if tt.url != "" {
				g.url = tt.url
			}
			r := startGuest(t, g, hostileWasm(t, tt.name))
			// runaway loops are cut at 300ms; the others must end on their own
			timeout := 30 * time.Second
			if strings.HasSuffix(tt.name, "_loop") {
				timeout = 300 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			_, err := r.invoke(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	t.Run("bad_action", func(t *testing.T) {
		r := startGuest(t, newGuestHost(t), hostileWasm(t, "bad_action"))
		action, err := r.invoke(context.Background())
		if err != nil || action != 7 {
			t.Errorf("action %d err %v, want 7", action, err)
		}
	})
	t.Run("huge_memory", func(t *testing.T) {
		ctx := context.Background()
		rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithMemoryLimitPages(256))
		defer rt.Close(ctx)
		if _, err := rt.CompileModule(ctx, hostileWasm(t, "huge_memory")); err == nil {
			t.Errorf("a 1024-page module compiled under a 256-page limit")
		}
	})
}
