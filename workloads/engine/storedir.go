package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/sparkbench/sparkbench/store"
)

// StoreManifestName is the file a run with store.dir leaves next to its
// node directories (store.dir/BACKEND/), saying what wrote them and with
// which limits, for sparkbench store.
const StoreManifestName = "sparkbench-store.json"

// StoreManifest is the content of StoreManifestName.
type StoreManifest struct {
	Workload, File string
	Backend        string
	Durability     string
	Nodes          []string
	SiteQuotaBytes int64
	MaxValueBytes  int64
	MaxTTLSecs     int64
	Written        time.Time
}

// writeStoreManifest records the stores' configuration in r.dir (only
// for store.dir: a temporary directory is removed after the run).
func (r *run) writeStoreManifest() error {
	w := r.w
	if w.Store.Dir == "" {
		return nil
	}
	orDefault := func(v, d int64) int64 {
		if v > 0 {
			return v
		}
		return d
	}
	m := StoreManifest{Workload: w.Name, File: w.File, Backend: r.backend.String(), Durability: r.stats.Durability,
		SiteQuotaBytes: orDefault(w.Limits.SiteQuota, store.DefaultSiteQuotaBytes),
		MaxValueBytes:  orDefault(w.Limits.MaxValueBytes, store.DefaultMaxValueBytes),
		MaxTTLSecs:     orDefault(int64(w.Limits.MaxTTL/time.Second), store.DefaultMaxTTLSecs),
		Written:        time.Now().UTC()}
	for id := range r.stores {
		m.Nodes = append(m.Nodes, id)
	}
	slices.Sort(m.Nodes)
	data, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(r.dir, StoreManifestName), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("%w: store manifest: %w", ErrRun, err)
	}
	return nil
}

// ReadStoreManifest reads the manifest of a store directory's backend
// directory (the parent of its node directories).
func ReadStoreManifest(dir string) (*StoreManifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, StoreManifestName))
	if err != nil {
		return nil, err
	}
	var m StoreManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, StoreManifestName), err)
	}
	return &m, nil
}
