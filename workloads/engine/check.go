package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/workloads"
)

// flareError places a flare that cannot be loaded at its scenario's flare
// field in the workload file.
func flareError(w *workloads.Workload, i int, err error) *workloads.FieldError {
	sc := &w.Scenarios[i]
	return &workloads.FieldError{File: w.File, Line: sc.FlarePos.Line, Column: sc.FlarePos.Column, Path: fmt.Sprintf("scenarios.%d.flare", i),
		Msg: strings.ReplaceAll(err.Error(), "\n", "; "), Err: workloads.ErrFlare}
}

// Check loads every flare of w into a host without stores, so that a module
// this host cannot run is reported (with the flare's file position) before a
// run starts.
func Check(ctx context.Context, w *workloads.Workload) error {
	cfg := host.Config{PoolSize: 1}
	for _, n := range w.Nodes {
		cfg.Nodes = append(cfg.Nodes, host.Node{ID: n.ID})
	}
	for _, s := range w.Sites {
		cfg.Sites = append(cfg.Sites, host.Site{Domain: s.Domain, WritesSpark: s.WritesSpark()})
	}
	cfg.Limits = hostLimits(w)
	h, err := host.New(ctx, cfg)
	if err != nil {
		return &workloads.FieldError{File: w.File, Path: "limits", Msg: err.Error(), Err: err}
	}
	defer h.Close(context.Background())
	// Every flare is tried, so that validate reports each one this host
	// cannot run, not only the first.
	loaded := map[string]bool{}
	var errs workloads.Errors
	for i := range w.Scenarios {
		sc := &w.Scenarios[i]
		if loaded[sc.Flare] {
			continue
		}
		loaded[sc.Flare] = true
		if _, err := loadFlare(ctx, h, sc); err != nil {
			errs = append(errs, flareError(w, i, err))
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errs
}

func loadFlare(ctx context.Context, h *host.Host, sc *workloads.ScenarioSpec) (*host.Flare, error) {
	wasm, err := sc.FlareBytes()
	if err != nil {
		return nil, err
	}
	name := strings.TrimPrefix(sc.Flare, workloads.BuiltinPrefix)
	if sc.FlarePath != "" {
		name = strings.TrimSuffix(filepath.Base(sc.FlarePath), ".wasm")
	}
	return h.Load(ctx, name, wasm)
}
