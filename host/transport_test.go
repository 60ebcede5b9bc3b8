package host

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// TestPullHandlerRefusesBadRequests: wrong method or path, and malformed
// JSON, are client errors; the transport maps a server error to an error
// that spark_pull answers as Internal.
func TestPullHandlerRefusesBadRequests(t *testing.T) {
	srv := httptest.NewServer(PullHandler(Node{ID: "x"}))
	defer srv.Close()
	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{"GET", PullPath, "", 404},
		{"POST", "/other", "{}", 404},
		{"POST", PullPath, "{not json", 400},
		{"POST", PullPath, `{"site":"s","keys":["k"]}`, 503}, // Spark disabled on x
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s %q: %d, want %d", tc.method, tc.path, tc.body, resp.StatusCode, tc.want)
		}
	}
	tr := NewHTTPTransport(map[string]string{"x": srv.URL, "down": "http://127.0.0.1:1"}, nil)
	if _, err := tr.Pull(context.Background(), "x", "s", []string{"k"}); !errors.Is(err, ErrSparkDisabled) {
		t.Errorf("pull from a node without Spark: %v", err)
	}
	if _, err := tr.Pull(context.Background(), "nowhere", "s", nil); !errors.Is(err, ErrUnknownNode) {
		t.Errorf("pull from an unknown node: %v", err)
	}
	if _, err := tr.Pull(context.Background(), "down", "s", nil); err == nil || errors.Is(err, ErrUnknownNode) || errors.Is(err, ErrSparkDisabled) {
		t.Errorf("pull from an unreachable node: %v", err)
	}
}
