package store

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// wantUsedBytes checks the lock-free UsedBytes and QuotaBytes against
// Usage and against the step's expected count.
func wantUsedBytes(t *testing.T, site *Site, step string, used int64) {
	t.Helper()
	u := site.Usage()
	if got := site.UsedBytes(); got != u.UsedBytes || got != used {
		t.Fatalf("%s: UsedBytes = %d, Usage().UsedBytes = %d, want %d", step, got, u.UsedBytes, used)
	}
	if got := site.QuotaBytes(); got != u.QuotaBytes {
		t.Fatalf("%s: QuotaBytes = %d, Usage().QuotaBytes = %d", step, got, u.QuotaBytes)
	}
	checkUsage(t, site)
}

// TestUsedBytesMatchesUsage: the lock-free UsedBytes equals
// Usage().UsedBytes after every kind of change to the count: new keys,
// growing and shrinking overwrites, refusals, deletes, expired entries
// reclaimed by a Set under quota pressure, sweeps, and reload from disk.
func TestUsedBytesMatchesUsage(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		s, clk, opts := openTest(t, be, func(o *Options) { o.SiteQuotaBytes = 100 })
		site := s.Site("u")
		steps := []struct {
			name string
			do   func() Code
			want Code
			used int64
		}{
			{"set new", func() Code { return site.Set([]byte("k1"), []byte(repeat('v', 18)), 0) }, OK, 20},
			{"set expiring", func() Code { return site.Set([]byte("e1"), []byte(repeat('v', 28)), 1) }, OK, 50},
			{"overwrite grows", func() Code { return site.Set([]byte("k1"), []byte(repeat('v', 38)), 0) }, OK, 70},
			{"overwrite shrinks", func() Code { return site.Set([]byte("k1"), []byte(repeat('v', 8)), 0) }, OK, 40},
			{"refused over quota", func() Code { return site.Set([]byte("big"), []byte(repeat('v', 70)), 0) }, QuotaExceeded, 40},
			{"delete", func() Code { return site.Delete([]byte("k1")) }, OK, 30},
			{"delete absent", func() Code { return site.Delete([]byte("k1")) }, OK, 30},
			{"set expiring 2", func() Code { return site.Set([]byte("e2"), []byte(repeat('v', 8)), 1) }, OK, 40},
			{"set long-lived", func() Code { return site.Set([]byte("k2"), []byte(repeat('v', 38)), 0) }, OK, 80},
			{"expire", func() Code { clk.Advance(2 * time.Second); return OK }, OK, 80}, // counted until reclaimed
			{"set reclaims expired", func() Code { return site.Set([]byte("k3"), []byte(repeat('v', 48)), 0) }, OK, 90},
			{"set expiring 3", func() Code { return site.Set([]byte("e3"), []byte(repeat('v', 8)), 1) }, OK, 100},
			{"sweep", func() Code {
				clk.Advance(2 * time.Second)
				if n := s.Sweep(); n != 1 {
					return Internal
				}
				return OK
			}, OK, 90},
			{"reload", func() Code {
				if be == "memory" {
					return OK // nothing to reload
				}
				s = reopen(t, s, opts)
				site = s.Site("u")
				return OK
			}, OK, 90},
		}
		for _, st := range steps {
			if got := st.do(); got != st.want {
				t.Fatalf("%s: %v, want %v", st.name, got, st.want)
			}
			wantUsedBytes(t, site, st.name, st.used)
		}
	})
}

// TestUsedBytesConcurrent reads UsedBytes while writers set, overwrite,
// delete, let keys expire and sweep them: under -race this
// checks that the lock-free read is race-free; every value read must be
// within the quota, and once the writers stop it must equal Usage.
func TestUsedBytesConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		const quota = 1000
		s, clk, _ := openTest(t, be, func(o *Options) {
			o.SiteQuotaBytes = quota
			o.Durability = DurabilityNone // fsyncs would only slow the test
		})
		site := s.Site("c")
		opsEach := 2000
		if testing.Short() {
			opsEach = 300
		}
		stop := make(chan struct{})
		var bad atomic.Int64
		var reads sync.WaitGroup
		reads.Add(1)
		go func() {
			defer reads.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if u := site.UsedBytes(); u < 0 || u > site.QuotaBytes() {
					bad.Store(u)
				}
			}
		}()
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 11))
				for i := range opsEach {
					key := []byte(fmt.Sprintf("k%d", rng.IntN(20)))
					switch r := rng.IntN(10); {
					case r < 6:
						site.Set(key, []byte(repeat('v', rng.IntN(120))), int64(rng.IntN(3)))
					case r < 9:
						site.Delete(key)
					default:
						if i%50 == 0 {
							clk.Advance(time.Second) // let some TTL keys expire
							s.Sweep()
						}
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		reads.Wait()
		if u := bad.Load(); u != 0 {
			t.Fatalf("UsedBytes read %d, outside [0, %d]", u, quota)
		}
		clk.Advance(3 * time.Second)
		s.Sweep()
		wantUsedBytes(t, site, "after the writers", site.Usage().UsedBytes)
	})
}
