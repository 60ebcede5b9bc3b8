package host

import (
	"context"
	"errors"
	"os"
	"strconv"
	"testing"

	"github.com/sparkbench/sparkbench/flares"
)

func TestCounterCounts(t *testing.T) {
	e := newEnv(t, defaultEnvOptions())
	f := e.flare("counter")
	for i := 1; i <= 3; i++ {
		resp, err := e.h.Invoke(context.Background(), f, &Request{Node: "edge-a", Site: "shop.example", Method: "GET", URL: "https://shop.example/"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(resp.Body), strconv.Itoa(i); got != want || resp.Status != 200 || resp.Action != ActionRespond {
			t.Fatalf("invocation %d: status %d action %v body %q, want 200 respond %q", i, resp.Status, resp.Action, got, want)
		}
	}
}

func TestInvokeUnknownNodeOrSite(t *testing.T) {
	e := newEnv(t, defaultEnvOptions())
	f := e.flare("counter")
	for _, tc := range []struct {
		node, site string
		want       error
	}{
		{"nowhere", "shop.example", ErrUnknownNode},
		{"edge-a", "nosuch.example", ErrUnknownSite},
	} {
		_, err := e.h.Invoke(context.Background(), f, &Request{Node: tc.node, Site: tc.site, Method: "GET", URL: "/"})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s/%s: %v, want %v", tc.node, tc.site, err, tc.want)
		}
	}
	if _, err := e.h.Invoke(context.Background(), nil, &Request{}); !errors.Is(err, ErrUnknownFlare) {
		t.Errorf("nil flare: %v", err)
	}
	if n := f.Idle(); n == 0 {
		t.Errorf("instances lost after refused invocations: %d idle", n)
	}
}

func TestParseTimeoutMode(t *testing.T) {
	for _, name := range TimeoutModes() {
		m, err := ParseTimeoutMode(name)
		if err != nil || m.String() != name {
			t.Errorf("ParseTimeoutMode(%q) = %v, %v", name, m, err)
		}
	}
	if m, err := ParseTimeoutMode(""); err != nil || m != TimeoutWatchdog {
		t.Errorf(`ParseTimeoutMode("") = %v, %v; want watchdog`, m, err)
	}
	if _, err := ParseTimeoutMode("sometimes"); !errors.Is(err, ErrBadConfig) {
		t.Errorf("bad mode: %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"duplicate node": {Nodes: []Node{{ID: "a"}, {ID: "a"}}},
		"empty node id":  {Nodes: []Node{{ID: ""}}},
		"duplicate site": {Sites: []Site{{Domain: "x"}, {Domain: "x"}}},
		"bad mode":       {TimeoutMode: TimeoutMode(42)},
	} {
		if h, err := New(context.Background(), cfg); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%s: %v, want ErrBadConfig", name, err)
			if h != nil {
				h.Close(context.Background())
			}
		}
	}
}

// TestTimeoutDisabledMeansNone: InvocationTimeout 0 disables enforcement.
func TestTimeoutDisabledMeansNone(t *testing.T) {
	o := defaultEnvOptions()
	o.limits.InvocationTimeout = 0
	e := newEnv(t, o)
	if e.h.TimeoutMode() != TimeoutNone {
		t.Errorf("mode %v with timeout 0, want none", e.h.TimeoutMode())
	}
}

// TestCompilationCache loads flares through an on-disk compilation cache
// twice (a second host reuses it).
func TestCompilationCache(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		h, err := New(context.Background(), Config{Limits: DefaultLimits(), CacheDir: dir, Sites: []Site{{Domain: "s"}}, Nodes: []Node{{ID: "n"}}})
		if err != nil {
			t.Fatal(err)
		}
		wasm, _ := flares.Lookup("counter")
		f, err := h.Load(context.Background(), "counter", wasm)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := h.Invoke(context.Background(), f, &Request{Node: "n", Site: "s", Method: "GET", URL: "/"})
		if err != nil || resp.Status != 503 {
			t.Fatalf("round %d: %v %+v (want 503: Spark disabled on n)", i, err, resp)
		}
		h.Close(context.Background())
	}
	if entries, _ := os.ReadDir(dir); len(entries) == 0 {
		t.Errorf("compilation cache %s is empty", dir)
	}
}
