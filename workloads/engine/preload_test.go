package engine

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sparkbench/sparkbench/store"

	"github.com/sparkbench/sparkbench/workloads"
)

func TestPreloadDeterministicAndSharded(t *testing.T) {
	src := `
seed: 4
store: {backend: memory}
sites: [{domain: a.example, capabilities: [writes_spark_kv]}]
preload: {keys: 1000, key: "k{{seq}}", value_size: {dist: uniform, min: 1, max: 100}, ttl: 1h}
scenarios: [{flare: builtin:counter, executor: {type: closed, vus: 1}}]
`
	load := func(shard workloads.Shard) *store.Store {
		w, err := workloads.Parse("p.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		w = w.Sharded(shard.Index, shard.Count)
		st, err := store.Open(store.Options{Backend: "memory"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := preload(context.Background(), w, map[string]*store.Store{"edge": st}, nil); err != nil {
			t.Fatal(err)
		}
		return st
	}
	a, b := load(workloads.Shard{}).Site("a.example"), load(workloads.Shard{}).Site("a.example")
	if n := len(a.List()); n != 1000 {
		t.Fatalf("%d keys preloaded, want 1000", n)
	}
	for _, k := range a.List() {
		va, ttl, _ := a.Get([]byte(k))
		vb, _, _ := b.Get([]byte(k))
		if !bytes.Equal(va, vb) || ttl == 0 || ttl > 3600 {
			t.Fatalf("key %s differs between runs or has ttl %d", k, ttl)
		}
	}
	s1 := load(workloads.Shard{Index: 1, Count: 3}).Site("a.example").List()
	if len(s1) != 333 {
		t.Errorf("shard 1/3 loaded %d keys, want 333", len(s1))
	}
	for _, k := range s1 {
		var n int
		if _, err := fmtSscan(strings.TrimPrefix(k, "k"), &n); err != nil || n%3 != 1 {
			t.Fatalf("shard 1/3 got key %s", k)
		}
	}
}

func TestPreloadQuotaWarns(t *testing.T) {
	src := `
store: {backend: memory}
limits: {site_quota: 10KiB}
sites: [{domain: a.example, capabilities: [writes_spark_kv]}]
preload: {keys: 1000, value_size: 1KiB}
scenarios: [{flare: builtin:counter, executor: {type: closed, vus: 1}}]
`
	w, err := workloads.Parse("q.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := store.Open(store.Options{Backend: "memory", SiteQuotaBytes: 10 << 10})
	defer st.Close()
	var warn bytes.Buffer
	if err := preload(context.Background(), w, map[string]*store.Store{"edge": st}, &warn); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warn.String(), "quota_exceeded") {
		t.Errorf("no quota warning: %q", warn.String())
	}
}

func fmtSscan(s string, n *int) (int, error) { return fmt.Sscan(s, n) }
