package flares

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// guestHost is a small, deliberately simple flaron/v1 implementation used to
// exercise the guest side of the flares and fixtures (parsing, formatting,
// which host function gets which arguments) independently of the real host
// in host/, which has its own behavioural tests. Its Spark keeps only what
// these tests need: key and TTL checks, a value cap, a write limit.
type guestHost struct {
	t testing.TB

	method, url string
	headers     map[string]string
	body        []byte

	status      int
	respHeaders map[string]string
	respBody    []byte

	spark        map[string]sparkEntry
	writes       int
	maxWrites    int // 0 = unlimited
	maxValue     int
	nowMs        int64
	pullRC       int32
	pulled       map[string]sparkEntry // entries a pull copies in
	pulls        []pullCall
	beamResponse string
	beamURLs     []string
	lastSetValue []byte

	// record, when set, makes every function except req_body a recorder
	// that appends to calls and returns resultFor(name).
	record bool
	calls  []hostCall

	// stoppable makes a cancelled context stop the guest (runaway fixtures).
	stoppable bool

	// trace appends the name of every host call to traced.
	trace  bool
	traced []string
}

type sparkEntry struct {
	value []byte
	ttl   uint32
}

type pullCall struct{ origin, keys string }

type hostCall struct {
	name string
	args []uint64
}

// resultFor is the value a recording host returns from each function.
func resultFor(name string) uint64 {
	h := uint64(2166136261)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint64(name[i])) * 16777619
	}
	return h
}

func newGuestHost(t testing.TB) *guestHost {
	return &guestHost{
		t:           t,
		method:      "GET",
		url:         "https://shop.example/api/items?x=1",
		headers:     map[string]string{},
		spark:       map[string]sparkEntry{},
		respHeaders: map[string]string{},
		maxValue:    64 << 10,
		nowMs:       1_700_000_000_000,
	}
}

func validSparkKey(k []byte) bool {
	if len(k) < 1 || len(k) > 256 || strings.HasPrefix(string(k), "__flaron:") || strings.HasPrefix(string(k), "__sys:") {
		return false
	}
	for _, c := range k {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == ':', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// read copies guest memory, failing the invocation on a bad range.
func read(m api.Module, ptr, n uint64) []byte {
	b, ok := m.Memory().Read(uint32(ptr), uint32(n))
	if !ok {
		panic(fmt.Errorf("guest passed out-of-bounds (%#x, %d)", uint32(ptr), uint32(n)))
	}
	return append([]byte(nil), b...)
}

// allocKey carries the guest's cached alloc function in the call context.
type allocKey struct{}

// give writes data into guest memory obtained from the guest's alloc.
func give(ctx context.Context, m api.Module, data []byte) uint64 {
	stack := []uint64{uint64(len(data))}
	alloc, _ := ctx.Value(allocKey{}).(api.Function)
	if alloc == nil {
		alloc = m.ExportedFunction("alloc")
	}
	if err := alloc.CallWithStack(ctx, stack); err != nil {
		panic(fmt.Errorf("alloc: %w", err))
	}
	ptr := uint32(stack[0])
	if ptr == 0 {
		return 0
	}
	if !m.Memory().Write(ptr, data) {
		panic(fmt.Errorf("alloc answered out-of-bounds %#x", ptr))
	}
	return uint64(ptr)<<32 | uint64(len(data))
}

func (g *guestHost) impl(name string) func(ctx context.Context, m api.Module, s []uint64) {
	if g.record && name != "req_body" {
		return func(ctx context.Context, m api.Module, s []uint64) {
			sig := sdkSignatures[name]
			args := append([]uint64(nil), s[:len(sig[0])]...)
			for i, p := range sig[0] {
				if p == api.ValueTypeI32 {
					args[i] = uint64(uint32(args[i])) // upper bits are unspecified
				}
			}
			g.calls = append(g.calls, hostCall{name, args})
			if name == "resp_body_set" {
				if b, ok := m.Memory().Read(uint32(s[0]), uint32(s[1])); ok {
					g.respBody = append([]byte(nil), b...)
				}
			}
			if len(sig[1]) == 1 {
				s[0] = resultFor(name)
				if sig[1][0] == api.ValueTypeI32 {
					s[0] = uint64(uint32(s[0]))
				}
			}
		}
	}
	switch name {
	case "req_method":
		return func(ctx context.Context, m api.Module, s []uint64) { s[0] = give(ctx, m, []byte(g.method)) }
	case "req_url":
		return func(ctx context.Context, m api.Module, s []uint64) { s[0] = give(ctx, m, []byte(g.url)) }
	case "req_header_get":
		return func(ctx context.Context, m api.Module, s []uint64) {
			v, ok := g.headers[strings.ToLower(string(read(m, s[0], s[1])))]
			s[0] = 0
			if ok {
				s[0] = give(ctx, m, []byte(v))
			}
		}
	case "req_body":
		return func(ctx context.Context, m api.Module, s []uint64) {
			s[0] = 0
			if len(g.body) > 0 {
				s[0] = give(ctx, m, g.body)
			}
		}
	case "resp_set_status":
		return func(ctx context.Context, m api.Module, s []uint64) { g.status = int(int32(s[0])) }
	case "resp_header_set":
		return func(ctx context.Context, m api.Module, s []uint64) {
			g.respHeaders[string(read(m, s[0], s[1]))] = string(read(m, s[2], s[3]))
		}
	case "resp_body_set":
		return func(ctx context.Context, m api.Module, s []uint64) { g.respBody = read(m, s[0], s[1]) }
	case "spark_get":
		return func(ctx context.Context, m api.Module, s []uint64) {
			e, ok := g.spark[string(read(m, s[0], s[1]))]
			s[0] = 0
			if ok {
				out := binary.LittleEndian.AppendUint32(nil, e.ttl)
				s[0] = give(ctx, m, append(out, e.value...))
			}
		}
	case "spark_set":
		return func(ctx context.Context, m api.Module, s []uint64) {
			key, val, ttl := read(m, s[0], s[1]), read(m, s[2], s[3]), int32(s[4])
			g.lastSetValue = val
			code := int32(0)
			switch {
			case !validSparkKey(key):
				code = 8
			case ttl < 0:
				code = 1
			case len(val) > g.maxValue:
				code = 2
			case g.maxWrites > 0 && g.writes >= g.maxWrites:
				code = 3
			default:
				g.writes++
				g.spark[string(key)] = sparkEntry{val, uint32(ttl)}
			}
			s[0] = uint64(uint32(code))
		}
	case "spark_delete":
		return func(ctx context.Context, m api.Module, s []uint64) { delete(g.spark, string(read(m, s[0], s[1]))) }
	case "spark_list":
		return func(ctx context.Context, m api.Module, s []uint64) {
			keys := make([]string, 0, len(g.spark))
			for k := range g.spark {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			j, _ := json.Marshal(keys)
			s[0] = give(ctx, m, j)
		}
	case "spark_pull":
		return func(ctx context.Context, m api.Module, s []uint64) {
			g.pulls = append(g.pulls, pullCall{string(read(m, s[0], s[1])), string(read(m, s[2], s[3]))})
			for k, e := range g.pulled {
				g.spark[k] = e
			}
			s[0] = uint64(uint32(g.pullRC))
		}
	case "timestamp":
		return func(ctx context.Context, m api.Module, s []uint64) {
			if string(read(m, s[0], s[1])) != `{"format":"ms"}` {
				s[0] = 0
				return
			}
			s[0] = give(ctx, m, []byte(fmt.Sprint(g.nowMs)))
		}
	case "beam_fetch":
		return func(ctx context.Context, m api.Module, s []uint64) {
			g.beamURLs = append(g.beamURLs, string(read(m, s[0], s[1])))
			s[0] = 0
			if g.beamResponse != "" {
				s[0] = give(ctx, m, []byte(g.beamResponse))
			}
		}
	case "id_ulid":
		return func(ctx context.Context, m api.Module, s []uint64) {
			s[0] = give(ctx, m, []byte("01ARZ3NDEKTSV4RRFFQ69G5FAV"))
		}
	}
	return func(ctx context.Context, m api.Module, s []uint64) {
		sig := sdkSignatures[name]
		if len(sig[1]) == 1 {
			s[0] = 0
		}
	}
}

// compileCache lets the many short-lived runtimes of these tests compile
// each module once.
var compileCache = wazero.NewCompilationCache()

// guestRun is one instantiated module on a guestHost.
type guestRun struct {
	g      *guestHost
	rt     wazero.Runtime
	mod    api.Module
	handle api.Function
	alloc  api.Function
}

func startGuest(t testing.TB, g *guestHost, wasm []byte) *guestRun {
	t.Helper()
	ctx := context.Background()
	// closing on context done costs a goroutine per call: only the runaway
	// fixtures need it
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithMemoryLimitPages(256).
		WithCloseOnContextDone(g.stoppable).WithCompilationCache(compileCache))
	t.Cleanup(func() { rt.Close(ctx) })
	b := rt.NewHostModuleBuilder("flaron/v1")
	for name, sig := range sdkSignatures {
		impl, name := g.impl(name), name
		traced := func(ctx context.Context, m api.Module, s []uint64) {
			if g.trace {
				g.traced = append(g.traced, name)
			}
			impl(ctx, m, s)
		}
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(traced), sig[0], sig[1]).Export(name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		t.Fatalf("instantiate flaron/v1: %v", err)
	}
	mod, err := rt.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName("guest"))
	if err != nil {
		t.Fatalf("instantiate guest: %v", err)
	}
	return &guestRun{g: g, rt: rt, mod: mod}
}

// invoke runs handle_request once and returns the action.
func (r *guestRun) invoke(ctx context.Context) (uint32, error) {
	r.g.status, r.g.respBody, r.g.calls = 200, nil, r.g.calls[:0] // 200 unless set, as the host
	clear(r.g.respHeaders)
	if r.handle == nil {
		r.handle = r.mod.ExportedFunction("handle_request")
	}
	if r.alloc == nil {
		r.alloc = r.mod.ExportedFunction("alloc")
	}
	if r.alloc != nil {
		ctx = context.WithValue(ctx, allocKey{}, r.alloc)
	}
	stack := []uint64{0}
	if err := r.handle.CallWithStack(ctx, stack); err != nil {
		return 0, err
	}
	return uint32(stack[0] >> 32), nil
}

func (r *guestRun) mustInvoke(t *testing.T) {
	t.Helper()
	action, err := r.invoke(context.Background())
	if err != nil {
		t.Fatalf("handle_request: %v", err)
	}
	if action != 1 {
		t.Fatalf("handle_request action = %d, want 1 (Respond)", action)
	}
}

func flareWasm(t testing.TB, name string) []byte {
	t.Helper()
	b, ok := Lookup(name)
	if !ok {
		t.Fatalf("no embedded flare %q", name)
	}
	return b
}
