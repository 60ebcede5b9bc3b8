package host

import (
	"bytes"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestPullOverHTTP runs the pull semantics over the HTTP transport: each
// node's pulls are served by PullHandler on a loopback server.
func TestPullOverHTTP(t *testing.T) {
	o := defaultEnvOptions()
	o.transport = func(nodes []Node) Transport {
		endpoints := map[string]string{}
		for _, n := range nodes {
			srv := httptest.NewServer(PullHandler(n))
			t.Cleanup(srv.Close)
			endpoints[n.ID] = srv.URL
		}
		return NewHTTPTransport(endpoints, nil)
	}
	e := newEnv(t, o)
	runSteps(t, e, []step{
		{node: "edge-b", in: lines("set k1 4 60 1", "set k2 5 0 2", "set k3 6 3 3"), want: lines("set 0", "set 0", "set 0")},
		{advance: 10 * time.Second, in: lines("pull edge-b k1,k2,k3,nope", "get k1", "get k2", "get k3"),
			want: lines("pull 2", hit(50, 4, 1), hit(0, 5, 2), "get miss")},
		{in: "pull edge-off k1", want: "pull -5"},
		{in: "pull nowhere k1", want: "pull -8"},
	})
}

// TestPullLatency checks that the origin's PullLatency is slept per pull.
func TestPullLatency(t *testing.T) {
	o := defaultEnvOptions()
	o.transport = func(nodes []Node) Transport {
		for i := range nodes {
			if nodes[i].ID == "edge-b" {
				nodes[i].PullLatency = func() time.Duration { return 30 * time.Millisecond }
			}
		}
		return NewInProcessTransport(nodes)
	}
	e := newEnv(t, o)
	start := time.Now()
	runSteps(t, e, []step{{in: "pull edge-b k", want: "pull 0"}})
	if took := time.Since(start); took < 30*time.Millisecond {
		t.Errorf("pull took %v, want at least the origin's 30ms latency", took)
	}
}

// TestTestdataWasmFresh fails if a committed testdata .wasm is not what
// its .wat assembles to (only when wat2wasm is installed).
func TestTestdataWasmFresh(t *testing.T) {
	if _, err := exec.LookPath("wat2wasm"); err != nil {
		t.Skip("wat2wasm not installed")
	}
	wats, _ := filepath.Glob("testdata/*.wat")
	for _, wat := range wats {
		out := filepath.Join(t.TempDir(), "out.wasm")
		if msg, err := exec.Command("wat2wasm", "--enable-all", "-o", out, wat).CombinedOutput(); err != nil {
			t.Fatalf("wat2wasm %s: %v\n%s", wat, err, msg)
		}
		got, _ := os.ReadFile(out)
		committed, err := os.ReadFile(wat[:len(wat)-4] + ".wasm")
		if err != nil || !bytes.Equal(got, committed) {
			t.Errorf("%s.wasm is stale: run go generate ./host", wat[:len(wat)-4])
		}
	}
}
