package host

import (
	"context"
	"errors"
	"math"
	"strconv"
	"testing"
	"time"
)

// TestInvokeIntoReusesResponse: InvokeInto fills the caller's Response,
// reuses its storage, resets what the previous invocation left, and
// leaves no response behind on error.
func TestInvokeIntoReusesResponse(t *testing.T) {
	e := newEnv(t, defaultEnvOptions())
	f := e.flare("counter")
	ctx := context.Background()
	req := &Request{Node: "edge-a", Site: "shop.example", Method: "GET", URL: "https://shop.example/"}
	resp := Response{Status: 999, Headers: [][2]string{{"stale", "x"}}, Body: []byte("stale body")}
	for i := 1; i <= 3; i++ {
		if err := e.h.InvokeInto(ctx, f, req, &resp); err != nil {
			t.Fatal(err)
		}
		if got, want := string(resp.Body), strconv.Itoa(i); got != want || resp.Status != 200 || resp.Action != ActionRespond || len(resp.Headers) != 0 {
			t.Fatalf("invocation %d: %+v, want 200 respond %q and no headers", i, resp, want)
		}
	}
	// A refused write answers 503 with a header: the same Response serves.
	bad := &Request{Node: "edge-a", Site: "readonly.example", Method: "GET", URL: "https://readonly.example/"}
	if err := e.h.InvokeInto(ctx, f, bad, &resp); err != nil {
		t.Fatal(err)
	}
	if v, ok := resp.Header("x-spark-code"); resp.Status != 503 || !ok || v != "9" {
		t.Fatalf("refused write: %+v", resp)
	}
	if err := e.h.InvokeInto(ctx, f, &Request{Node: "nowhere", Site: "shop.example"}, &resp); !errors.Is(err, ErrUnknownNode) {
		t.Fatalf("unknown node: %v", err)
	}
	if resp.Status != 0 || resp.Action != 0 || resp.Body != nil || len(resp.Headers) != 0 {
		t.Fatalf("response after an error: %+v", resp)
	}
	if err := e.h.InvokeInto(ctx, f, req, nil); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("nil response: %v", err)
	}
}

// TestInvokeAllocations pins the host's allocations per counter invocation
// (the memory store's one record per write is the store's): Invoke
// allocates the response only, InvokeInto nothing.
func TestInvokeAllocations(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation counts: not under -short or -race")
	}
	for _, mode := range []TimeoutMode{TimeoutNone, TimeoutWatchdog} {
		o := defaultEnvOptions()
		o.mode = mode
		o.limits.MaxWritesPerInvocation = 1 << 30
		e := newEnv(t, o)
		f := e.flare("counter")
		ctx := context.Background()
		req := &Request{Node: "edge-a", Site: "shop.example", Method: "GET", URL: "https://shop.example/", Observer: nopObserver{}}
		var resp Response
		// Background goroutines (the store's sweeper) may allocate during
		// a run: the least of a few runs is the invocation's own count.
		into, plain := math.Inf(1), math.Inf(1)
		for range 3 {
			into = min(into, testing.AllocsPerRun(200, func() {
				if err := e.h.InvokeInto(ctx, f, req, &resp); err != nil {
					t.Fatal(err)
				}
			}))
			plain = min(plain, testing.AllocsPerRun(200, func() {
				if _, err := e.h.Invoke(ctx, f, req); err != nil {
					t.Fatal(err)
				}
			}))
		}
		// The store allocates one record per Set.
		if into > 1 || plain > 2 {
			t.Errorf("%v: %.1f allocs per InvokeInto (want <= 1, the store's), %.1f per Invoke (want <= 2)", mode, into, plain)
		}
	}
}

type nopObserver struct{}

func (nopObserver) ObserveCall(Op, int32, time.Duration) {}
func (nopObserver) ObserveLimit(Limit, bool)             {}
