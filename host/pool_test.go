package host

import (
	"context"
	"sync"
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

// TestPoolCountsLiveInstances: discarded instances leave the live count,
// so that the pool goes back to its unchecked fast path, and a pool past
// MaxIdle from concurrent returns still keeps exactly MaxIdle.
func TestPoolCountsLiveInstances(t *testing.T) {
	ctx := context.Background()
	o := defaultEnvOptions()
	o.poolSize = 2
	e := newEnv(t, o)
	cfgIdle := e.h.maxIdle
	e.h.maxIdle = 4
	t.Cleanup(func() { e.h.maxIdle = cfgIdle })
	f := e.flare("counter")
	var held []*instance
	for range 10 {
		inst, err := f.get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, inst)
	}
	if got := f.live.Load(); got != 10 {
		t.Fatalf("live = %d with 10 held, want 10", got)
	}
	var wg sync.WaitGroup
	for _, inst := range held {
		wg.Add(1)
		go func() { defer wg.Done(); f.put(inst) }()
	}
	wg.Wait()
	if got, live := f.Idle(), f.live.Load(); got != 4 || live != 4 {
		t.Fatalf("after returning 10 with MaxIdle 4: Idle() = %d, live = %d, want 4 and 4", got, live)
	}
	// A failed invocation discards its instance: live follows.
	bad := e.load(hostileDir + "trap.wasm")
	before := bad.live.Load()
	if _, err := e.h.Invoke(ctx, bad, &Request{Node: "edge-a", Site: "shop.example", Method: "GET", URL: "/"}); err == nil {
		t.Fatal("trap: no error")
	}
	if got := bad.live.Load(); got != before-1 {
		t.Fatalf("live after a trap = %d, want %d", got, before-1)
	}
}
