package host

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

func soakDuration(t *testing.T) time.Duration {
	switch {
	case os.Getenv("SPARKBENCH_SOAK") == "1":
		return time.Minute
	case testing.Short():
		return 500 * time.Millisecond
	}
	return 3 * time.Second
}

// TestSoakMixedFlares runs 2×GOMAXPROCS goroutines invoking counter, kvops
// and hostile guests (trap, runaway loop, ABI violation) on one host for a
// few seconds (a minute with SPARKBENCH_SOAK=1); run it under -race. Every
// counter must end at exactly the number of successful increments, every
// hostile invocation must fail with its classified error, every other one
// must succeed.
func TestSoakMixedFlares(t *testing.T) {
	for _, mode := range []TimeoutMode{TimeoutWatchdog, TimeoutContext, TimeoutClose} {
		t.Run("timeout="+mode.String(), func(t *testing.T) {
			o := defaultEnvOptions()
			o.mode = mode
			// Long enough that a legitimate invocation never hits it on a
			// loaded 2-core machine under -race, while runaway guests hog
			// the cores.
			o.limits.InvocationTimeout = 500 * time.Millisecond
			o.poolSize = 3
			e := newEnv(t, o)
			counter, kvops := e.flare("counter"), e.flare("kvops")
			hostile := map[string]*Flare{}
			wantErr := map[string]error{"trap": ErrTrap, "infinite_loop": ErrTimeout, "bad_action": ErrABIViolation, "alloc_trap": ErrAllocFailed}
			for name := range wantErr {
				hostile[name] = e.load(hostileDir + name + ".wasm")
			}
			workers := 2 * runtime.GOMAXPROCS(0)
			deadline := time.Now().Add(soakDuration(t))
			var wg sync.WaitGroup
			counts := make([]int, workers)
			errs := make(chan error, workers)
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					r := rand.New(rand.NewSource(int64(w)))
					ctx := context.Background()
					rec := newRecorder()
					node := []string{"edge-a", "edge-b"}[w%2]
					for n := 0; time.Now().Before(deadline); n++ {
						switch x := r.Intn(100); {
						case x < 50:
							resp, err := e.h.Invoke(ctx, counter, &Request{Node: node, Site: "shop.example", Method: "GET", URL: "https://shop.example/",
								Headers: [][2]string{{"X-Counter-Key", "soak:" + strconv.Itoa(w)}}, Observer: rec})
							if err != nil || resp.Status != 200 {
								errs <- fmt.Errorf("counter: %v %+v", err, resp)
								return
							}
							counts[w]++
							if got := string(resp.Body); got != strconv.Itoa(counts[w]) {
								errs <- fmt.Errorf("worker %d: count %s, want %d", w, got, counts[w])
								return
							}
						case x < 90:
							body := fmt.Sprintf("set w%d:%d %d 60 %d\nget w%d:%d\nlist\npull edge-b w%d:%d\ndel w%d:%d",
								w, n%7, r.Intn(100), n, w, n%7, w, n%7, w, (n+3)%7)
							resp, err := e.h.Invoke(ctx, kvops, &Request{Node: "edge-a", Site: "blog.example", Method: "POST", URL: "/", Body: []byte(body), Observer: rec})
							if err != nil || resp.Status != 200 {
								errs <- fmt.Errorf("kvops: %v %+v", err, resp)
								return
							}
						default:
							names := []string{"trap", "bad_action", "alloc_trap", "trap", "bad_action", "alloc_trap", "infinite_loop"}
							name := names[r.Intn(len(names))]
							_, err := e.h.Invoke(ctx, hostile[name], &Request{Node: node, Site: "shop.example", Method: "GET", URL: "https://shop.example/x", Observer: rec})
							if !errors.Is(err, wantErr[name]) {
								errs <- fmt.Errorf("%s: %v, want %v", name, err, wantErr[name])
								return
							}
						}
					}
				}(w)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			total := 0
			for w, n := range counts {
				total += n
				node := []string{"edge-a", "edge-b"}[w%2]
				v, _, ok := e.stores[node].Site("shop.example").Get([]byte("soak:" + strconv.Itoa(w)))
				if n > 0 && (!ok || string(v) != strconv.Itoa(n)) {
					t.Errorf("worker %d: stored count %q, want %d", w, v, n)
				}
			}
			t.Logf("%d workers, %d counter invocations", workers, total)
		})
	}
}

// TestSoakHostileLifecycle makes and closes hosts for a few seconds (a
// minute with SPARKBENCH_SOAK=1), in every timeout mode: on each, a Load
// whose start function loops (timeout), deep recursion from two goroutines
// (stack exhausted), an invocation that loops until its context is
// canceled, and a Close while it still loops. Nothing may leak: the
// goroutines come back to their number before, and the heap stays small.
func TestSoakHostileLifecycle(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(hostileDir + name + ".wasm")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	startLoop, deep, spin := read("start_loop"), read("deep_recursion"), read("infinite_loop")
	runtime.GC()
	goroutines := runtime.NumGoroutine()
	deadline := time.Now().Add(soakDuration(t))
	rounds := 0
	for ; time.Now().Before(deadline); rounds++ {
		mode := allModes[rounds%len(allModes)]
		limits := DefaultLimits()
		limits.InvocationTimeout = 50 * time.Millisecond
		// A bare host (no stores, no test cleanup holding it): what a
		// round leaves behind is the host's own.
		h, err := New(context.Background(), Config{Limits: limits, TimeoutMode: mode, PoolSize: 2,
			Nodes: []Node{{ID: "edge-a"}}, Sites: []Site{{Domain: "shop.example"}}})
		if err != nil {
			t.Fatal(err)
		}
		e := &env{t: t, h: h}
		ctx := context.Background()
		if _, err := e.h.Load(ctx, "start_loop", startLoop); !errors.Is(err, ErrTimeout) {
			t.Fatalf("round %d %v: start_loop: %v", rounds, mode, err)
		}
		d, err := e.h.Load(ctx, "deep", deep)
		if err != nil {
			t.Fatal(err)
		}
		s, err := e.h.Load(ctx, "spin", spin)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 5; i++ {
					var ge *GuestError
					if _, err := invokeHostile(e, d, &Request{}); !errors.As(err, &ge) || ge.Detail != "stack exhausted" {
						t.Errorf("round %d %v: deep: %v", rounds, mode, err)
						return
					}
				}
			}()
		}
		cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		req := &Request{Node: "edge-a", Site: "shop.example", Method: "GET", URL: "/"}
		if _, err := e.h.Invoke(cctx, s, req); mode == TimeoutNone && !errors.Is(err, context.DeadlineExceeded) ||
			mode != TimeoutNone && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrTimeout) {
			t.Errorf("round %d %v: spin canceled: %v", rounds, mode, err)
		}
		cancel()
		wg.Wait()
		done := make(chan error, 1)
		go func() {
			_, err := e.h.Invoke(ctx, s, req)
			done <- err
		}()
		time.Sleep(5 * time.Millisecond)
		if err := e.h.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrClosed) && !(mode != TimeoutNone && errors.Is(err, ErrTimeout)) {
			t.Errorf("round %d %v: spin at Close: %v", rounds, mode, err)
		}
	}
	// What is left: no goroutine of the hosts (watchdogs, compilers,
	// guests), and a heap that does not grow with the rounds.
	var after int
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if after = runtime.NumGoroutine(); after <= goroutines {
			break
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%d rounds; goroutines %d before, %d after; heap in use %d MB", rounds, goroutines, after, ms.HeapInuse>>20)
	if after > goroutines {
		t.Errorf("%d goroutines left, %d before", after, goroutines)
	}
	if ms.HeapInuse > 64<<20 {
		t.Errorf("heap in use %d MB after %d rounds", ms.HeapInuse>>20, rounds)
	}
}
