package host

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/flares"
	"github.com/sparkbench/sparkbench/store"
)

// fakeClock is the stores' clock in tests: TTLs advance only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Unix(1_700_000_000, 0)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// env is a host over real memory-backend stores with a fake clock.
type env struct {
	t      testing.TB
	h      *Host
	clock  *fakeClock
	stores map[string]*store.Store
	flares map[string]*Flare
}

type envOptions struct {
	limits    Limits
	mode      TimeoutMode
	quota     int64
	nodes     []string // node ids; "-" suffix: Spark disabled
	sites     []Site
	transport func(nodes []Node) Transport
	poolSize  int
	log       *bytes.Buffer
	realClock bool // stores read time.Now (benchmarks) instead of the fake clock
}

func defaultEnvOptions() envOptions {
	return envOptions{
		limits: DefaultLimits(),
		nodes:  []string{"edge-a", "edge-b", "edge-off-"},
		sites: []Site{
			{Domain: "shop.example", WritesSpark: true, Secrets: map[string]string{"api-key": "s3cret"}},
			{Domain: "blog.example", WritesSpark: true},
			{Domain: "readonly.example", WritesSpark: false},
		},
	}
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	e := &env{t: t, clock: newFakeClock(), stores: map[string]*store.Store{}, flares: map[string]*Flare{}}
	var nodes []Node
	for _, id := range o.nodes {
		if strings.HasSuffix(id, "-") {
			nodes = append(nodes, Node{ID: strings.TrimSuffix(id, "-")})
			continue
		}
		now := e.clock.Now
		if o.realClock {
			now = nil
		}
		st, err := store.Open(store.Options{
			Backend:        store.BackendMemory,
			SiteQuotaBytes: o.quota,
			SweepInterval:  -1,
			Now:            now,
		})
		if err != nil {
			t.Fatalf("store.Open: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		e.stores[id] = st
		nodes = append(nodes, Node{ID: id, Store: st})
	}
	cfg := Config{
		Limits:      o.limits,
		Nodes:       nodes,
		Sites:       o.sites,
		TimeoutMode: o.mode,
		PoolSize:    o.poolSize,
	}
	if o.log != nil {
		cfg.Log = o.log
	}
	if o.transport != nil {
		cfg.Transport = o.transport(nodes)
	}
	h, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	e.h = h
	return e
}

// flare loads a builtin flare (once per env).
func (e *env) flare(name string) *Flare {
	e.t.Helper()
	if f, ok := e.flares[name]; ok {
		return f
	}
	wasm, ok := flares.Lookup(name)
	if !ok {
		e.t.Fatalf("flares.Lookup(%q): not found", name)
	}
	f, err := e.h.Load(context.Background(), name, wasm)
	if err != nil {
		e.t.Fatalf("Load(%s): %v", name, err)
	}
	e.flares[name] = f
	return f
}

// load loads a .wasm from testdata.
func (e *env) load(path string) *Flare {
	e.t.Helper()
	wasm, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatalf("read %s: %v", path, err)
	}
	f, err := e.h.Load(context.Background(), strings.TrimSuffix(path[strings.LastIndex(path, "/")+1:], ".wasm"), wasm)
	if err != nil {
		e.t.Fatalf("Load(%s): %v", path, err)
	}
	return f
}

// kvops runs the body through builtin:kvops on node/site and returns the
// response lines.
func (e *env) kvops(node, site, body string) []string {
	e.t.Helper()
	resp, err := e.h.Invoke(context.Background(), e.flare("kvops"), &Request{
		Node: node, Site: site, Method: "POST", URL: "https://" + site + "/kvops", Body: []byte(body),
	})
	if err != nil {
		e.t.Fatalf("kvops on %s/%s: %v", node, site, err)
	}
	if resp.Status != 200 {
		e.t.Fatalf("kvops on %s/%s: status %d: %s", node, site, resp.Status, resp.Body)
	}
	out := strings.TrimSuffix(string(resp.Body), "\n")
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// kvops1 runs one line and returns its single response line.
func (e *env) kvops1(node, site, line string) string {
	e.t.Helper()
	lines := e.kvops(node, site, line)
	if len(lines) != 1 {
		e.t.Fatalf("kvops %q: %d lines: %q", line, len(lines), lines)
	}
	return lines[0]
}

// recorder is a test Observer that counts everything.
type recorder struct {
	calls   map[Op]map[int32]int
	allowed map[Limit]int
	refused map[Limit]int
}

func newRecorder() *recorder {
	return &recorder{calls: map[Op]map[int32]int{}, allowed: map[Limit]int{}, refused: map[Limit]int{}}
}

func (r *recorder) ObserveCall(op Op, code int32, d time.Duration) {
	if d < 0 {
		panic("negative duration")
	}
	if r.calls[op] == nil {
		r.calls[op] = map[int32]int{}
	}
	r.calls[op][code]++
}

func (r *recorder) ObserveLimit(l Limit, refused bool) {
	if refused {
		r.refused[l]++
	} else {
		r.allowed[l]++
	}
}
