package host

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sparkbench/sparkbench/store"
)

// Transport carries spark_pull requests from one node to the origin node.
type Transport interface {
	// Pull returns the live entries among keys of site on node origin,
	// with their absolute expiry. It fails with ErrUnknownNode if origin is
	// not known and ErrSparkDisabled if Spark is disabled there.
	Pull(ctx context.Context, origin, site string, keys []string) ([]store.Entry, error)
}

// InProcessTransport serves pulls by calling the origin node's store
// directly, after sleeping the origin's PullLatency.
type InProcessTransport struct {
	nodes map[string]Node
}

// NewInProcessTransport returns a Transport over nodes.
func NewInProcessTransport(nodes []Node) *InProcessTransport {
	t := &InProcessTransport{nodes: make(map[string]Node, len(nodes))}
	for _, n := range nodes {
		t.nodes[n.ID] = n
	}
	return t
}

// Pull implements Transport.
func (t *InProcessTransport) Pull(ctx context.Context, origin, site string, keys []string) ([]store.Entry, error) {
	n, ok := t.nodes[origin]
	if !ok {
		return nil, fmt.Errorf("pull from %q: %w", origin, ErrUnknownNode)
	}
	return servePull(ctx, n, site, keys)
}

func servePull(ctx context.Context, n Node, site string, keys []string) ([]store.Entry, error) {
	if n.PullLatency != nil {
		if d := n.PullLatency(); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			}
		}
	}
	if n.Store == nil {
		return nil, fmt.Errorf("pull from %q: %w", n.ID, ErrSparkDisabled)
	}
	return n.Store.Site(site).Export(keys), nil
}

// PullPath is the URL path a PullHandler serves.
const PullPath = "/spark/pull"

type pullRequest struct {
	Site string   `json:"site"`
	Keys []string `json:"keys"`
}

type pullEntry struct {
	Key       string `json:"key"`
	Value     []byte `json:"value"`
	ExpiresAt int64  `json:"expires_at"`
}

type pullResponse struct {
	Entries []pullEntry `json:"entries"`
}

// PullHandler serves node n's side of spark_pull over HTTP (POST PullPath,
// JSON in and out), so that nodes can pull from each other over loopback.
// The node's PullLatency, if set, is slept before each pull is served.
func PullHandler(n Node) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != PullPath {
			http.Error(w, "POST "+PullPath, http.StatusNotFound)
			return
		}
		var req pullRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
			http.Error(w, "bad pull request: "+err.Error(), http.StatusBadRequest)
			return
		}
		entries, err := servePull(r.Context(), n, req.Site, req.Keys)
		if err != nil {
			code := http.StatusInternalServerError
			if strings.Contains(err.Error(), ErrSparkDisabled.Error()) {
				code = http.StatusServiceUnavailable
			}
			http.Error(w, err.Error(), code)
			return
		}
		resp := pullResponse{Entries: make([]pullEntry, len(entries))}
		for i, e := range entries {
			resp.Entries[i] = pullEntry{Key: e.Key, Value: e.Value, ExpiresAt: e.ExpiresAt}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&resp)
	})
}

// HTTPTransport pulls from origin nodes served by PullHandler.
type HTTPTransport struct {
	endpoints map[string]string // node id -> base URL
	client    *http.Client
}

// NewHTTPTransport returns a Transport that reaches node id at
// endpoints[id] (a base URL such as "http://127.0.0.1:8123"). A nil client
// means http.DefaultClient.
func NewHTTPTransport(endpoints map[string]string, client *http.Client) *HTTPTransport {
	if client == nil {
		client = http.DefaultClient
	}
	m := make(map[string]string, len(endpoints))
	for k, v := range endpoints {
		m[k] = strings.TrimRight(v, "/")
	}
	return &HTTPTransport{endpoints: m, client: client}
}

// Pull implements Transport.
func (t *HTTPTransport) Pull(ctx context.Context, origin, site string, keys []string) ([]store.Entry, error) {
	base, ok := t.endpoints[origin]
	if !ok {
		return nil, fmt.Errorf("pull from %q: %w", origin, ErrUnknownNode)
	}
	body, err := json.Marshal(pullRequest{Site: site, Keys: keys})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+PullPath, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("pull from %q: %w", origin, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("pull from %q: %w", origin, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusServiceUnavailable:
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("pull from %q: %w", origin, ErrSparkDisabled)
	default:
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("pull from %q: HTTP %d: %s", origin, resp.StatusCode, bytes.TrimSpace(msg))
	}
	var pr pullResponse
	if err := json.NewDecoder(resp.Body).Decode(&pr); err != nil {
		return nil, fmt.Errorf("pull from %q: decode: %w", origin, err)
	}
	out := make([]store.Entry, len(pr.Entries))
	for i, e := range pr.Entries {
		out[i] = store.Entry{Key: e.Key, Value: e.Value, ExpiresAt: e.ExpiresAt}
	}
	return out, nil
}
