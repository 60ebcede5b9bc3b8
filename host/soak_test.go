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
