package host

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
)

// The AssemblyScript fixtures in testdata/sdk are built by the real asc
// compiler (testdata/sdk/as/build.sh, version in testdata/sdk/BUILD_INFO)
// with the runtime and options the flaron-cdn/flare-as SDK uses, so they
// carry what every SDK-built AS flare carries beside flaron/v1: the
// env.abort import, a start section running top-level initialisers, and the
// stub runtime's exports (__new, __pin, __unpin, __collect, __rtti_base).
const (
	asCounterWasm   = "testdata/sdk/as_counter.wasm"
	asSparkscanWasm = "testdata/sdk/as_sparkscan.wasm"
	asSourceDir     = "testdata/sdk/as"
)

// TestSDKAssemblyScriptShape pins what makes the fixtures SDK-shaped, so a
// rebuild that lost the runtime imports or the start section (and with it
// the point of TestSDKAssemblyScript) fails here.
func TestSDKAssemblyScriptShape(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	for _, path := range []string{asCounterWasm, asSparkscanWasm} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			wasm, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			c, err := rt.CompileModule(ctx, wasm)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			var imports []string
			for _, def := range c.ImportedFunctions() {
				mod, name, _ := def.Import()
				imports = append(imports, mod+"."+name)
			}
			if !slices.Contains(imports, "env.abort") {
				t.Errorf("imports %v: no env.abort; not built with the AS runtime", imports)
			}
			for _, imp := range imports {
				if imp != "env.abort" && imp != "env.trace" && !strings.HasPrefix(imp, "flaron/v1.") {
					t.Errorf("unexpected import %s", imp)
				}
			}
			for _, name := range []string{"handle_request", "alloc", "__new", "__pin", "__unpin", "__collect"} {
				if _, ok := c.ExportedFunctions()[name]; !ok {
					t.Errorf("export %s missing (want the --exportRuntime set)", name)
				}
			}
			if !hasStartSection(t, wasm) {
				t.Errorf("no start section: top-level initialisers would not be exercised")
			}
		})
	}
}

// hasStartSection walks the top-level sections of a wasm binary.
func hasStartSection(t *testing.T, wasm []byte) bool {
	t.Helper()
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		t.Fatalf("not a wasm binary")
	}
	for p := wasm[8:]; len(p) > 0; {
		id := p[0]
		size, n := binary.Uvarint(p[1:])
		if n <= 0 || uint64(len(p)-1-n) < size {
			t.Fatalf("truncated section %d", id)
		}
		if id == 8 {
			return true
		}
		p = p[1+n+int(size):]
	}
	return false
}

// TestSDKAssemblyScript runs the asc-built flares unmodified in every timeout
// mode and checks their Spark effects exactly.
func TestSDKAssemblyScript(t *testing.T) {
	for _, name := range TimeoutModes() {
		mode, err := ParseTimeoutMode(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			t.Run("counter", func(t *testing.T) { testASCounter(t, mode) })
			t.Run("sparkscan", func(t *testing.T) { testASSparkscan(t, mode) })
		})
	}
}

// loadAS loads a fixture through Host.Load, which refuses (ErrIncompatible)
// any import, export or signature the host does not accept.
func loadAS(t *testing.T, e *env, path string) *Flare {
	t.Helper()
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := e.h.Load(context.Background(), strings.TrimSuffix(filepath.Base(path), ".wasm"), wasm)
	if err != nil {
		t.Fatalf("Load(%s) refused an asc-built module: %v", path, err)
	}
	return f
}

func testASCounter(t *testing.T, mode TimeoutMode) {
	var log bytes.Buffer
	o := defaultEnvOptions()
	o.mode = mode
	o.log = &log
	e := newEnv(t, o)
	f := loadAS(t, e, asCounterWasm)

	// Enough calls that the stub runtime's never-freed heap outgrows the
	// recycling threshold: the count must stay exact across instances.
	calls := 3000
	if testing.Short() {
		calls = 300
	}
	restarts, firstRestart := 0, 0
	prevInstanceCalls := 0
	for i := 1; i <= calls; i++ {
		resp, err := invokeHostile(e, f, &Request{})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		want := strconv.Itoa(i)
		if resp.Action != ActionRespond || resp.Status != 200 || string(resp.Body) != want {
			t.Fatalf("call %d: action %v status %d body %q, want respond 200 %q", i, resp.Action, resp.Status, resp.Body, want)
		}
		wantHeaders(t, resp, "x-set-code", "0", "x-count", want)
		ic, err := strconv.Atoi(headerOf(resp, "x-instance-calls"))
		if err != nil {
			t.Fatalf("call %d: x-instance-calls: %v", i, err)
		}
		if ic <= prevInstanceCalls {
			restarts++
			if firstRestart == 0 {
				firstRestart = i
			}
		}
		prevInstanceCalls = ic
	}
	if v, ttl, ok := e.stores["edge-a"].Site("shop.example").Get([]byte("count")); !ok || string(v) != strconv.Itoa(calls) || ttl != 0 {
		t.Errorf("store count = %q ttl %d ok %v, want %q no TTL", v, ttl, ok, strconv.Itoa(calls))
	}
	if !testing.Short() && restarts == 0 {
		t.Errorf("%d calls and the same instance served all of them: the stub runtime's heap growth never recycled it", calls)
	}
	t.Logf("%d calls, %d instance changes, the first at call %d", calls, restarts, firstRestart)

	// Sites and nodes are separate Spark namespaces.
	for _, c := range []struct {
		node, site string
	}{{"edge-a", "blog.example"}, {"edge-b", "shop.example"}} {
		resp, err := invokeHostile(e, f, &Request{Node: c.node, Site: c.site})
		if err != nil {
			t.Fatalf("%s/%s: %v", c.node, c.site, err)
		}
		wantHeaders(t, resp, "x-count", "1")
	}

	// A site without the Spark write capability: spark_set answers
	// NoCapability (9) and the flare turns that into a 500.
	resp, err := invokeHostile(e, f, &Request{Site: "readonly.example"})
	if err != nil {
		t.Fatal(err)
	}
	wantHeaders(t, resp, "x-set-code", "9")
	if resp.Status != 500 {
		t.Errorf("readonly site: status %d, want 500", resp.Status)
	}
	if _, _, ok := e.stores["edge-a"].Site("readonly.example").Get([]byte("count")); ok {
		t.Errorf("readonly site: count was written")
	}
	if strings.Contains(log.String(), "abort") {
		t.Errorf("guest aborted: %s", log.String())
	}
}

func testASSparkscan(t *testing.T, mode TimeoutMode) {
	var log bytes.Buffer
	o := defaultEnvOptions()
	o.mode = mode
	o.log = &log
	e := newEnv(t, o)
	f := loadAS(t, e, asSparkscanWasm)
	site := e.stores["edge-a"].Site("blog.example")

	type step struct {
		name    string
		advance time.Duration // fake clock, before the call
		headers [][2]string
		want    map[string]string // response headers; "" = absent
		keys    []string          // spark_list, as the guest parsed it
	}
	steps := []step{
		{
			name:    "empty",
			headers: [][2]string{{"x-get-key", "a:ttl"}},
			want:    map[string]string{"x-hit": "0", "x-ttl": "", "x-set-code": ""},
			keys:    nil,
		},
		{
			name:    "set with TTL",
			headers: [][2]string{{"x-set-key", "a:ttl"}, {"x-set-ttl", "100"}, {"x-get-key", "a:ttl"}},
			want:    map[string]string{"x-set-code": "0", "x-hit": "1", "x-ttl": "100", "x-value": "v:a:ttl"},
			keys:    []string{"a:ttl"},
		},
		{
			name:    "set without TTL",
			headers: [][2]string{{"x-set-key", "b:forever"}, {"x-get-key", "b:forever"}},
			want:    map[string]string{"x-set-code": "0", "x-hit": "1", "x-ttl": "0", "x-value": "v:b:forever"},
			keys:    []string{"a:ttl", "b:forever"},
		},
		{
			// Remaining TTL is rounded up to whole seconds.
			name:    "TTL counts down",
			advance: 30*time.Second + 500*time.Millisecond,
			headers: [][2]string{{"x-get-key", "a:ttl"}},
			want:    map[string]string{"x-hit": "1", "x-ttl": "70", "x-value": "v:a:ttl"},
			keys:    []string{"a:ttl", "b:forever"},
		},
		{
			name:    "one second left",
			advance: 69 * time.Second,
			headers: [][2]string{{"x-get-key", "a:ttl"}},
			want:    map[string]string{"x-hit": "1", "x-ttl": "1"},
			keys:    []string{"a:ttl", "b:forever"},
		},
		{
			name:    "expired",
			advance: time.Second,
			headers: [][2]string{{"x-get-key", "a:ttl"}},
			want:    map[string]string{"x-hit": "0", "x-ttl": ""},
			keys:    []string{"b:forever"},
		},
		{
			name:    "TTL over the 30-day cap",
			headers: [][2]string{{"x-set-key", "c:long"}, {"x-set-ttl", strconv.Itoa(31 * 24 * 3600)}, {"x-get-key", "c:long"}},
			want:    map[string]string{"x-set-code": "1", "x-hit": "0"},
			keys:    []string{"b:forever"},
		},
		{
			name:    "bad key",
			headers: [][2]string{{"x-set-key", "bad/key"}, {"x-get-key", "bad/key"}},
			want:    map[string]string{"x-set-code": "8", "x-hit": "0"},
			keys:    []string{"b:forever"},
		},
		{
			name:    "negative TTL",
			headers: [][2]string{{"x-set-key", "c:neg"}, {"x-set-ttl", "-5"}},
			want:    map[string]string{"x-set-code": "1"},
			keys:    []string{"b:forever"},
		},
	}
	for _, s := range steps {
		e.clock.Advance(s.advance)
		resp, err := invokeHostile(e, f, &Request{Site: "blog.example", Headers: s.headers})
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if resp.Status != 200 {
			t.Errorf("%s: status %d, want 200", s.name, resp.Status)
		}
		for h, want := range s.want {
			got, ok := resp.Header(h)
			if want == "" && ok {
				t.Errorf("%s: %s = %q, want absent", s.name, h, got)
			} else if want != "" && got != want {
				t.Errorf("%s: %s = %q, want %q", s.name, h, got, want)
			}
		}
		wantHeaders(t, resp, "x-keys", strconv.Itoa(len(s.keys)))
		if got, want := string(resp.Body), strings.Join(s.keys, "\n"); got != want {
			t.Errorf("%s: listed keys %q, want %q", s.name, got, want)
		}
		// The guest's view agrees with the store's.
		for _, k := range s.keys {
			if _, _, ok := site.Get([]byte(k)); !ok {
				t.Errorf("%s: store lost %q", s.name, k)
			}
		}
	}

	// env.trace: the AS runtime's UTF-16 message reaches the host log.
	resp, err := invokeHostile(e, f, &Request{Site: "blog.example", Headers: [][2]string{{"x-trace", "1"}}})
	if err != nil {
		t.Fatalf("trace: %v", err)
	}
	wantHeaders(t, resp, "x-keys", "1")
	// Only the message is pinned: the host may add trace's numeric arguments.
	if got, want := log.String(), "trace flare[as_sparkscan] "; !strings.HasPrefix(got, want) || !strings.Contains(got, ": sparkscan trace") || strings.Count(got, "\n") != 1 {
		t.Errorf("trace: log %q, want one line starting %q with the message", got, want)
	}

	// env.trace counts against the per-invocation log cap like log_*: a
	// guest tracing 1000 times writes the cap's lines plus one notice.
	log.Reset()
	if _, err := invokeHostile(e, f, &Request{Site: "blog.example", Headers: [][2]string{{"x-trace", "1000"}}}); err != nil {
		t.Fatalf("trace x1000: %v", err)
	}
	if got, want := strings.Count(log.String(), "\n"), 16+1; got != want {
		t.Errorf("trace x1000: %d log lines, want %d (cap 16 + notice)", got, want)
	}
	log.Reset()

	// env.abort from a thrown Error: a trap naming the message and the
	// source position asc recorded; the flare keeps serving afterwards.
	_, err = invokeHostile(e, f, &Request{Site: "blog.example", Headers: [][2]string{{"x-abort", "now"}}})
	if !errors.Is(err, ErrTrap) || !strings.Contains(err.Error(), `"abort requested: now" at assembly/sparkscan.ts:`) {
		t.Errorf("abort: %v, want a trap with the message and assembly/sparkscan.ts position", err)
	}
	resp, err = invokeHostile(e, f, &Request{Site: "blog.example", Headers: [][2]string{{"x-get-key", "b:forever"}}})
	if err != nil {
		t.Fatalf("after abort: %v", err)
	}
	wantHeaders(t, resp, "x-hit", "1", "x-value", "v:b:forever", "x-keys", "1")
}

func headerOf(resp *Response, name string) string {
	v, _ := resp.Header(name)
	return v
}

// TestSDKAssemblyScriptRebuild rebuilds the fixtures with the pinned asc and
// requires the committed .wasm to match byte for byte, so they are what
// their sources say. It needs node and either an installed
// testdata/sdk/as/node_modules or SPARKBENCH_NPM=1 (build.sh then runs npm
// ci, which needs the npm registry).
func TestSDKAssemblyScriptRebuild(t *testing.T) {
	if testing.Short() {
		t.Skip("rebuild runs the AssemblyScript compiler; skipped under -short")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed: cannot run asc")
	}
	_, statErr := os.Stat(filepath.Join(asSourceDir, "node_modules", ".bin", "asc"))
	if statErr != nil && os.Getenv("SPARKBENCH_NPM") != "1" {
		t.Skipf("asc not installed in %s/node_modules; set SPARKBENCH_NPM=1 to let build.sh npm ci it", asSourceDir)
	}
	out := t.TempDir()
	cmd := exec.Command("sh", filepath.Join(asSourceDir, "build.sh"), out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, b)
	}
	for _, path := range []string{asCounterWasm, asSparkscanWasm} {
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(out, filepath.Base(path)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: rebuilt module (%d bytes) differs from the committed one (%d bytes): run sh %s/build.sh and commit", path, len(got), len(want), asSourceDir)
		}
	}
	// The compiler that built them is the one BUILD_INFO names.
	compilerLine := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "compiler:") {
				return line
			}
		}
		t.Fatalf("%s: no compiler line", path)
		return ""
	}
	if got, want := compilerLine(filepath.Join(out, "BUILD_INFO")), compilerLine("testdata/sdk/BUILD_INFO"); got != want {
		t.Errorf("BUILD_INFO %q, rebuilt with %q", want, got)
	}
}

// BenchmarkSDKAssemblyScriptCounter measures one pooled invocation of the
// asc-built counter (one spark_get, one spark_set, three resp_header_set,
// one resp_body_set; memory backend), the amortised cost of recycling the
// instance whose stub-runtime heap only grows included. Compare with
// BenchmarkInvokeCounter (the builtin C-style counter).
func BenchmarkSDKAssemblyScriptCounter(b *testing.B) {
	for _, mode := range benchModes {
		b.Run("timeout="+mode.String(), func(b *testing.B) {
			e := benchEnv(b, mode)
			wasm, err := os.ReadFile(asCounterWasm)
			if err != nil {
				b.Fatal(err)
			}
			f, err := e.h.Load(context.Background(), "as_counter", wasm)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			req := &Request{Node: "edge-a", Site: "shop.example", Method: "GET", URL: "https://shop.example/count"}
			b.ReportAllocs()
			b.ResetTimer()
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				resp, err := e.h.Invoke(ctx, f, req)
				if err != nil || resp.Status != 200 {
					b.Fatalf("invoke: %v %+v", err, resp)
				}
			}
			reportCPU(b, c0)
		})
	}
}
