package store

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"
)

// TestSoak runs writers, readers, the background sweeper (real clock, short
// TTLs) and periodic reopens under a tight quota, checking after every
// phase that quota was never exceeded, that counters equal a recount and
// that what the index holds survives reopen. It runs for a few hundred
// milliseconds by default and for a minute per backend with
// SPARKBENCH_SOAK=1.
func TestSoak(t *testing.T) {
	phase, phases := 150*time.Millisecond, 2
	if os.Getenv("SPARKBENCH_SOAK") == "1" {
		phase, phases = 5*time.Second, 12
	} else if testing.Short() {
		phases = 1
	}
	forEachBackend(t, func(t *testing.T, be Backend) {
		const quota = 64 << 10
		opts := Options{Backend: be, Dir: t.TempDir(), SiteQuotaBytes: quota, MaxTTLSecs: 5, SweepInterval: 20 * time.Millisecond}
		s, err := Open(opts)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { s.Close() }()
		var refused, written int
		for p := range phases {
			deadline := time.Now().Add(phase)
			var wg sync.WaitGroup
			var mu sync.Mutex
			for w := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(p), uint64(w)))
					site := s.Site(fmt.Sprintf("site%d", w%3))
					for time.Now().Before(deadline) {
						key := []byte(fmt.Sprintf("k%03d", rng.IntN(400)))
						switch rng.IntN(6) {
						case 0, 1:
							site.Get(key)
						case 2:
							site.Delete(key)
						default:
							code := site.Set(key, make([]byte, rng.IntN(1024)), int64(rng.IntN(3)))
							mu.Lock()
							switch code {
							case OK:
								written++
							case QuotaExceeded:
								refused++
							default:
								t.Errorf("Set = %v", code)
							}
							mu.Unlock()
						}
						if u := site.Usage(); u.UsedBytes > quota {
							t.Errorf("%s over quota: %+v", site.Name(), u)
						}
					}
				}()
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			before := map[string][]Entry{}
			for _, name := range s.Sites() {
				site := s.Site(name)
				checkUsage(t, site)
				before[name] = site.Export(site.List())
			}
			if be == BackendMemory {
				continue
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if s, err = Open(opts); err != nil {
				t.Fatal(err)
			}
			for name, entries := range before {
				site := s.Site(name)
				checkUsage(t, site)
				for _, e := range entries {
					got := site.Export([]string{e.Key})
					if e.ExpiresAt != 0 && e.ExpiresAt <= time.Now().Add(100*time.Millisecond).UnixNano() {
						continue // expired since, or about to (real clock)
					}
					if len(got) != 1 || string(got[0].Value) != string(e.Value) || got[0].ExpiresAt != e.ExpiresAt {
						var g Entry
						if len(got) == 1 {
							g = got[0]
						}
						t.Fatalf("phase %d: %s/%s lost or changed across reopen: had %d bytes exp %d, got %d entries: %d bytes exp %d",
							p, name, e.Key, len(e.Value), e.ExpiresAt, len(got), len(g.Value), g.ExpiresAt)
					}
				}
			}
		}
		t.Logf("%d writes, %d refused for quota", written, refused)
	})
}
