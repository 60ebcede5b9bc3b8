package flares_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/flares"
	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/store"
)

// These tests run the flares end to end on the real host over memory
// stores: what a workload sees. The host's own tests cover Spark semantics;
// these cover the flares' use of them.

type e2e struct {
	t      testing.TB
	h      *host.Host
	now    time.Time
	flares map[string]*host.Flare
}

func newE2E(t testing.TB, beam host.BeamOrigin) *e2e {
	t.Helper()
	e := &e2e{t: t, now: time.Unix(1_700_000_000, 0), flares: map[string]*host.Flare{}}
	var nodes []host.Node
	for _, id := range []string{"edge-fra", "edge-ams"} {
		st, err := store.Open(store.Options{Backend: store.BackendMemory, SweepInterval: -1, Now: func() time.Time { return e.now }})
		if err != nil {
			t.Fatalf("store.Open: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		nodes = append(nodes, host.Node{ID: id, Store: st})
	}
	h, err := host.New(context.Background(), host.Config{
		Limits: host.DefaultLimits(),
		Nodes:  nodes,
		Sites:  []host.Site{{Domain: "shop.example", WritesSpark: true}},
		Beam:   beam,
	})
	if err != nil {
		t.Fatalf("host.New: %v", err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	e.h = h
	for _, name := range flares.Names() {
		wasm, _ := flares.Lookup(name)
		f, err := h.Load(context.Background(), name, wasm)
		if err != nil {
			t.Fatalf("Load(builtin:%s): %v", name, err)
		}
		e.flares[name] = f
	}
	return e
}

func (e *e2e) do(flare, node, url string, headers ...string) *host.Response {
	e.t.Helper()
	req := &host.Request{Node: node, Site: "shop.example", Method: "GET", URL: url}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Headers = append(req.Headers, [2]string{headers[i], headers[i+1]})
	}
	resp, err := e.h.Invoke(context.Background(), e.flares[flare], req)
	if err != nil {
		e.t.Fatalf("Invoke(%s): %v", flare, err)
	}
	return resp
}

func header(r *host.Response, name string) string {
	v, _ := r.Header(name)
	return v
}

func TestE2ESessionThenMigrate(t *testing.T) {
	e := newE2E(t, host.BeamOrigin{})
	r := e.do("session", "edge-fra", "https://shop.example/login", "x-session-id", "u42", "x-session-ttl", "600", "x-session-size", "2048")
	if header(r, "x-session") != "NEW" {
		t.Fatalf("session create: %d %v", r.Status, r.Headers)
	}
	e.now = e.now.Add(100 * time.Second)

	r = e.do("migrate", "edge-ams", "https://shop.example/cart", "x-session-id", "u42")
	if r.Status != 404 || header(r, "x-migrate") != "MISS" {
		t.Fatalf("migrate without origin: %d %v", r.Status, r.Headers)
	}
	r = e.do("migrate", "edge-ams", "https://shop.example/cart", "x-session-id", "u42", "x-origin-node", "edge-fra")
	if r.Status != 200 || header(r, "x-migrate") != "PULLED" || header(r, "x-pull-rc") != "1" || header(r, "x-ttl") != "500" || string(r.Body) != "bytes 2048\n" {
		t.Fatalf("migrate with pull: %d %v %q", r.Status, r.Headers, r.Body)
	}
	r = e.do("migrate", "edge-ams", "https://shop.example/cart", "x-session-id", "u42", "x-origin-node", "edge-fra")
	if header(r, "x-migrate") != "LOCAL" {
		t.Fatalf("second migrate: %v", r.Headers)
	}

	// sliding TTL on the new node: a hit restores the full TTL
	r = e.do("session", "edge-ams", "https://shop.example/cart", "x-session-id", "u42", "x-session-ttl", "600")
	if header(r, "x-session") != "HIT" || header(r, "x-session-ttl-left") != "500" {
		t.Fatalf("session hit: %v", r.Headers)
	}
	r = e.do("migrate", "edge-ams", "https://shop.example/cart", "x-session-id", "u42")
	if header(r, "x-ttl") != "600" {
		t.Errorf("after a hit the TTL is %s, want 600", header(r, "x-ttl"))
	}

	r = e.do("migrate", "edge-ams", "https://shop.example/cart", "x-session-id", "u42", "x-origin-node", "edge-nowhere", "x-key", "other")
	if r.Status != 502 || header(r, "x-pull-rc") != "-8" {
		t.Errorf("pull from an unknown node: %d %v", r.Status, r.Headers)
	}
}

func TestE2ERatelimit(t *testing.T) {
	e := newE2E(t, host.BeamOrigin{})
	for _, algo := range []string{"fixed", "token"} {
		allowed := 0
		for i := 0; i < 8; i++ {
			r := e.do("ratelimit", "edge-fra", "https://shop.example/api", "x-algo", algo, "x-client-id", "c-"+algo, "x-limit", "5", "x-window-secs", "60", "x-now-ms", "1700000000000")
			switch r.Status {
			case 200:
				allowed++
				if want := strconv.Itoa(5 - allowed); header(r, "x-ratelimit-remaining") != want {
					t.Errorf("%s request %d: remaining %s, want %s", algo, i, header(r, "x-ratelimit-remaining"), want)
				}
			case 429:
			default:
				t.Fatalf("%s: status %d %v %q", algo, r.Status, r.Headers, r.Body)
			}
		}
		if allowed != 5 {
			t.Errorf("%s: %d of 8 allowed, want 5", algo, allowed)
		}
	}
	// the host clock drives the limiter when no override is given
	r := e.do("ratelimit", "edge-fra", "https://shop.example/api?limit=1&client=q")
	if r.Status != 200 {
		t.Errorf("host clock: status %d %q", r.Status, r.Body)
	}
}

func TestE2ECache(t *testing.T) {
	e := newE2E(t, host.BeamOrigin{BodySize: 3000})
	miss := e.do("cache", "edge-fra", "https://shop.example/products/7", "x-cache-ttl", "30")
	if miss.Status != 200 || header(miss, "x-cache") != "MISS" || header(miss, "x-cache-store") != "0" || len(miss.Body) != 3000 {
		t.Fatalf("miss: %d %v len %d", miss.Status, miss.Headers, len(miss.Body))
	}
	e.now = e.now.Add(10 * time.Second)
	hit := e.do("cache", "edge-fra", "https://shop.example/products/7", "x-cache-ttl", "30")
	if header(hit, "x-cache") != "HIT" || header(hit, "x-cache-ttl") != "20" || string(hit.Body) != string(miss.Body) {
		t.Fatalf("hit: %v, same body %v", hit.Headers, string(hit.Body) == string(miss.Body))
	}
	e.now = e.now.Add(21 * time.Second)
	if r := e.do("cache", "edge-fra", "https://shop.example/products/7"); header(r, "x-cache") != "MISS" {
		t.Errorf("after the TTL: %v", r.Headers)
	}
	// other node, other cache
	if r := e.do("cache", "edge-ams", "https://shop.example/products/7"); header(r, "x-cache") != "MISS" {
		t.Errorf("other node: %v", r.Headers)
	}
}

func TestE2ECounterAndKvops(t *testing.T) {
	e := newE2E(t, host.BeamOrigin{})
	for i := 1; i <= 20; i++ {
		r := e.do("counter", "edge-fra", "https://shop.example/", "x-counter-key", "page:home")
		if string(r.Body) != strconv.Itoa(i) {
			t.Fatalf("hit %d: %d %q", i, r.Status, r.Body)
		}
	}
	req := &host.Request{Node: "edge-fra", Site: "shop.example", Method: "POST", URL: "https://shop.example/kv",
		Body: []byte("get page:home\nset a 10 0 3\nlist\npull edge-ams a\npull edge-ams a")}
	r, err := e.h.Invoke(context.Background(), e.flares["kvops"], req)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s\nset 0\nlist 2 %s\npull 0\npull -3\n", flares.KvopsHit(0, []byte("20")), fnv(`["a","page:home"]`))
	if string(r.Body) != want {
		t.Errorf("kvops:\n%s\nwant:\n%s", r.Body, want)
	}
}

func fnv(s string) string {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return fmt.Sprintf("%08x", h)
}

// BenchmarkFlares measures one pooled invocation of each builtin flare on
// the real host over a memory store, on its common path (a hit for cache,
// session and migrate; an allowed request for ratelimit).
func BenchmarkFlares(b *testing.B) {
	cases := []struct {
		flare   string
		url     string
		body    string
		headers []string
	}{
		{"counter", "https://shop.example/", "", []string{"x-counter-key", "hits"}},
		{"kvops", "https://shop.example/kv", "get k\nset k 100 0", nil},
		{"ratelimit", "https://shop.example/api", "", []string{"x-client-id", "c1", "x-limit", "1000000000", "x-window-secs", "3600"}},
		{"ratelimit-token", "https://shop.example/api", "", []string{"x-algo", "token", "x-client-id", "c1", "x-limit", "1000000000"}},
		{"cache", "https://shop.example/products/1", "", nil},
		{"session", "https://shop.example/", "", []string{"x-session-id", "s1"}},
		{"migrate", "https://shop.example/", "", []string{"x-session-id", "s1"}},
	}
	e := newE2E(b, host.BeamOrigin{})
	for _, c := range cases {
		name := strings.TrimSuffix(c.flare, "-token")
		req := &host.Request{Node: "edge-fra", Site: "shop.example", Method: "GET", URL: c.url, Body: []byte(c.body)}
		for i := 0; i+1 < len(c.headers); i += 2 {
			req.Headers = append(req.Headers, [2]string{c.headers[i], c.headers[i+1]})
		}
		f := e.flares[name]
		b.Run(c.flare, func(b *testing.B) {
			ctx := context.Background()
			if _, err := e.h.Invoke(ctx, f, req); err != nil { // warm: fill the cache, create the session
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				resp, err := e.h.Invoke(ctx, f, req)
				if err != nil || resp.Status != 200 {
					b.Fatalf("%v %v", err, resp)
				}
			}
		})
	}
}

// TestE2EConcurrentMixed runs 2×GOMAXPROCS goroutines invoking every flare
// on pooled instances at once, each on its own keys so every answer stays
// exact: instance reuse must never leak one request's state into another.
func TestE2EConcurrentMixed(t *testing.T) {
	e := newE2E(t, host.BeamOrigin{BodySize: 512})
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	workers := 2 * runtime.GOMAXPROCS(0)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			errs <- concurrentWorker(e, w, rounds)
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func concurrentWorker(e *e2e, w, rounds int) error {
	ctx := context.Background()
	invoke := func(flare, url string, body string, headers ...string) (*host.Response, error) {
		req := &host.Request{Node: "edge-fra", Site: "shop.example", Method: "GET", URL: url, Body: []byte(body)}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Headers = append(req.Headers, [2]string{headers[i], headers[i+1]})
		}
		r, err := e.h.Invoke(ctx, e.flares[flare], req)
		if err != nil {
			return nil, fmt.Errorf("worker %d %s: %w", w, flare, err)
		}
		return r, nil
	}
	id := strconv.Itoa(w)
	allowed := 0
	for i := 1; i <= rounds; i++ {
		r, err := invoke("counter", "https://shop.example/", "", "x-counter-key", "n:"+id)
		if err != nil {
			return err
		}
		if string(r.Body) != strconv.Itoa(i) {
			return fmt.Errorf("worker %d counter round %d: %q", w, i, r.Body)
		}
		r, err = invoke("ratelimit", "https://shop.example/", "", "x-client-id", id, "x-limit", "10", "x-window-secs", "3600", "x-now-ms", "0")
		if err != nil {
			return err
		}
		if r.Status == 200 {
			allowed++
		}
		r, err = invoke("kvops", "https://shop.example/", fmt.Sprintf("set k%s %d 0 %d\nget k%s", id, i, w, id))
		if err != nil {
			return err
		}
		value := make([]byte, i)
		for j := range value {
			value[j] = byte('a' + (w+j)%26)
		}
		if want := fmt.Sprintf("set 0\n%s\n", flares.KvopsHit(0, value)); string(r.Body) != want {
			return fmt.Errorf("worker %d kvops round %d: %q, want %q", w, i, r.Body, want)
		}
		r, err = invoke("session", "https://shop.example/", "", "x-session-id", "s"+id, "x-session-size", strconv.Itoa(100+w))
		if err != nil {
			return err
		}
		if want := map[bool]string{true: "NEW", false: "HIT"}[i == 1]; header(r, "x-session") != want || header(r, "x-session-bytes") != strconv.Itoa(100+w) {
			return fmt.Errorf("worker %d session round %d: %v", w, i, r.Headers)
		}
		r, err = invoke("cache", "https://shop.example/w/"+id, "")
		if err != nil {
			return err
		}
		if want := map[bool]string{true: "MISS", false: "HIT"}[i == 1]; header(r, "x-cache") != want || len(r.Body) != 512 {
			return fmt.Errorf("worker %d cache round %d: %v len %d", w, i, r.Headers, len(r.Body))
		}
	}
	if want := min(10, rounds); allowed != want {
		return fmt.Errorf("worker %d: ratelimit allowed %d of %d, want %d", w, allowed, rounds, want)
	}
	return nil
}

// TestE2ERatelimitLongTTLs: slow refills and long windows keep every TTL the
// flare writes within the store's default max TTL (30 days).
func TestE2ERatelimitLongTTLs(t *testing.T) {
	e := newE2E(t, host.BeamOrigin{})
	for _, h := range [][]string{
		{"x-algo", "token", "x-limit", "1000000000", "x-refill-per-sec", "1"},
		{"x-algo", "token", "x-limit", "5", "x-refill-per-sec", "0"},
		{"x-algo", "fixed", "x-limit", "5", "x-window-secs", "2591999"},
	} {
		r := e.do("ratelimit", "edge-fra", "https://shop.example/api", append(h, "x-client-id", "long")...)
		if r.Status != 200 {
			t.Errorf("%v: status %d %v %q", h, r.Status, r.Headers, r.Body)
		}
	}
}
