package host

import (
	"context"
	"testing"
)

// TestPoolKeepsPeakConcurrency checks that instances returned while the pool
// already holds PoolSize are kept (up to MaxIdle) rather than discarded: a
// run with more workers than PoolSize must not instantiate on the hot path.
func TestPoolKeepsPeakConcurrency(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		poolSize int
		maxIdle  int
		inFlight int
		wantIdle int
		warm     int
		wantWarm int
	}{
		{name: "grows past PoolSize", poolSize: 1, inFlight: 8, wantIdle: 8, warm: 12, wantWarm: 12},
		{name: "capped by MaxIdle", poolSize: 2, maxIdle: 5, inFlight: 8, wantIdle: 5, warm: 12, wantWarm: 5},
		{name: "MaxIdle below PoolSize is raised", poolSize: 4, maxIdle: 1, inFlight: 6, wantIdle: 4, warm: 3, wantWarm: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := defaultEnvOptions()
			o.poolSize = tt.poolSize
			e := newEnv(t, o)
			cfgIdle := e.h.maxIdle
			if tt.maxIdle > 0 {
				e.h.maxIdle = max(tt.maxIdle, e.h.poolSize)
			}
			t.Cleanup(func() { e.h.maxIdle = cfgIdle })
			f := e.flare("counter")
			if got := f.Idle(); got != tt.poolSize {
				t.Fatalf("after Load: Idle() = %d, want PoolSize %d", got, tt.poolSize)
			}
			var held []*instance
			for range tt.inFlight {
				inst, err := f.get(ctx)
				if err != nil {
					t.Fatalf("get: %v", err)
				}
				held = append(held, inst)
			}
			for _, inst := range held {
				f.put(inst)
			}
			if got := f.Idle(); got != tt.wantIdle {
				t.Fatalf("after %d concurrent invocations: Idle() = %d, want %d", tt.inFlight, got, tt.wantIdle)
			}
			if err := f.Warm(ctx, tt.warm); err != nil {
				t.Fatalf("Warm(%d): %v", tt.warm, err)
			}
			if got := f.Idle(); got != tt.wantWarm {
				t.Fatalf("after Warm(%d): Idle() = %d, want %d", tt.warm, got, tt.wantWarm)
			}
			// The pooled instances still serve.
			resp, err := e.h.Invoke(ctx, f, &Request{Node: "edge-a", Site: "shop.example", Method: "GET", URL: "https://shop.example/?key=hits"})
			if err != nil || resp.Status != 200 {
				t.Fatalf("Invoke after Warm: %v, %+v", err, resp)
			}
		})
	}
}
