package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentMixedOps runs goroutines mixing Get, Set and Delete on
// overlapping keys of two sites under a tight quota, then checks the final
// state against what was acknowledged: each key must hold the outcome of one
// of its last acknowledged operations (one not followed, in real time, by
// another acknowledged operation on that key); quota is never overshot and
// equals a recount; after reopen the disk agrees with memory.
//
// Writes of one key run concurrently (see keyState), so each durability
// mode's commit path, which orders them, is exercised.
func TestConcurrentMixedOps(t *testing.T) {
	for _, d := range []Durability{DurabilityGroup, DurabilityAlways, DurabilityNone} {
		t.Run("durability="+d.String(), func(t *testing.T) {
			concurrentMixedOps(t, d)
		})
	}
}

func concurrentMixedOps(t *testing.T, d Durability) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		if be == BackendMemory && d != DurabilityGroup {
			t.Skip("the memory backend has one write path")
		}
		const quota = 2000
		s, _, opts := openTest(t, be, func(o *Options) { o.SiteQuotaBytes = quota; o.Durability = d })
		workers, opsEach := 8, 300
		if testing.Short() {
			opsEach = 100
		}
		keys := []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"}
		sites := []*Site{s.Site("a"), s.Site("a:")}

		type ack struct {
			start, end int64
			del        bool
			value      string
		}
		var clock atomic.Int64
		var mu sync.Mutex
		acks := map[[2]string][]ack{}
		var overshoot atomic.Bool
		stop := make(chan struct{})
		var monitor sync.WaitGroup
		monitor.Add(1)
		go func() {
			defer monitor.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, site := range sites {
					if site.Usage().UsedBytes > quota {
						overshoot.Store(true)
					}
				}
			}
		}()

		var wg sync.WaitGroup
		var refused atomic.Int64
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 7))
				for i := range opsEach {
					site := sites[rng.IntN(len(sites))]
					key := keys[rng.IntN(len(keys))]
					switch r := rng.IntN(10); {
					case r < 4:
						v, _, ok := site.Get([]byte(key))
						if ok && !strings.HasPrefix(string(v), site.Name()+"/"+key+"/") {
							t.Errorf("Get(%s/%s) = %q: another key's value", site.Name(), key, v)
						}
					case r < 8:
						// Values of varying size so quota deltas vary.
						v := fmt.Sprintf("%s/%s/%d/%d/", site.Name(), key, w, i) + strings.Repeat("x", rng.IntN(300))
						start := clock.Add(1)
						code := site.Set([]byte(key), []byte(v), 0)
						end := clock.Add(1)
						switch code {
						case OK:
							mu.Lock()
							acks[[2]string{site.Name(), key}] = append(acks[[2]string{site.Name(), key}], ack{start, end, false, v})
							mu.Unlock()
						case QuotaExceeded:
							refused.Add(1)
						default:
							t.Errorf("Set: %v", code)
						}
					default:
						start := clock.Add(1)
						if code := site.Delete([]byte(key)); code != OK {
							t.Errorf("Delete: %v", code)
						}
						end := clock.Add(1)
						mu.Lock()
						acks[[2]string{site.Name(), key}] = append(acks[[2]string{site.Name(), key}], ack{start, end, true, ""})
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		monitor.Wait()
		if overshoot.Load() {
			t.Fatal("quota overshot during the run")
		}
		t.Logf("%d sets refused for quota", refused.Load())

		check := func(s *Store) {
			for _, site := range sites {
				site = s.Site(site.Name())
				checkUsage(t, site)
				if u := site.Usage(); u.UsedBytes > quota {
					t.Fatalf("%s over quota: %+v", site.Name(), u)
				}
				for _, key := range keys {
					list := acks[[2]string{site.Name(), key}]
					v, _, ok := site.Get([]byte(key))
					if len(list) == 0 {
						if ok {
							t.Fatalf("%s/%s holds %q but nothing was acknowledged", site.Name(), key, v)
						}
						continue
					}
					matched := false
					for _, a := range list {
						last := true
						for _, b := range list {
							if a.end < b.start {
								last = false
								break
							}
						}
						if last && ((a.del && !ok) || (!a.del && ok && string(v) == a.value)) {
							matched = true
						}
					}
					if !matched {
						t.Fatalf("%s/%s = (%q, %v): not the outcome of any last acknowledged op", site.Name(), key, v, ok)
					}
				}
			}
		}
		check(s)
		if be != "memory" {
			check(reopen(t, s, opts))
		}
	})
}
