package store

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/store/internal/backend"
)

// loadStep is one entry a test loads.
type loadStep struct {
	key, value string
	ttl        int64
}

// TestLoaderMatchesSet loads the same entries with a Loader and with Set
// into two stores of each backend and durability: every refusal gets the
// same code, and the stores hold the same entries, quota use and expiries,
// also after reopen.
func TestLoaderMatchesSet(t *testing.T) {
	var steps []loadStep
	for i := range 500 {
		steps = append(steps, loadStep{fmt.Sprintf("k%04d", i%300), strings.Repeat(string(rune('a'+i%26)), i%40), int64(i % 3 * 100)})
	}
	bad := []loadStep{
		{"", "v", 0},                          // bad key: empty
		{"bad key", "v", 0},                   // bad key: a space
		{"__sys:x", "v", 0},                   // reserved prefix
		{"__flaron:x", "v", 0},                // reserved prefix
		{strings.Repeat("k", 257), "v", 0},    // 257-byte key
		{"big", strings.Repeat("v", 1025), 0}, // over MaxValueBytes (1 KiB here)
		{"ttl", "v", 3601},                    // over MaxTTLSecs (1h here)
		{"neg", "v", -1},                      // negative TTL
	}
	steps = append(steps, bad...)
	for _, be := range Backends() {
		for _, d := range []Durability{DurabilityGroup, DurabilityAlways, DurabilityNone} {
			if be == BackendMemory && d != DurabilityGroup {
				continue
			}
			t.Run(fmt.Sprintf("backend=%s/durability=%s", be, d), func(t *testing.T) {
				t.Parallel()
				clk := newFakeClock()
				mod := func(o *Options) {
					o.Durability, o.MaxValueBytes, o.MaxTTLSecs, o.Now = d, 1024, 3600, clk.Now
				}
				viaSet, _, _ := openTest(t, be, mod)
				viaLoad, _, lopts := openTest(t, be, mod)
				want := map[Code]int64{}
				for _, st := range steps {
					if c := viaSet.Site("s").Set([]byte(st.key), []byte(st.value), st.ttl); c != OK {
						want[c]++
					}
				}
				l := viaLoad.Site("s").NewLoader(LoaderOptions{BatchEntries: 64})
				immediate := map[Code]int64{}
				for _, st := range steps {
					if c := l.Set([]byte(st.key), []byte(st.value), st.ttl); c != OK {
						immediate[c]++
					}
				}
				ls, err := l.Close()
				if err != nil {
					t.Fatal(err)
				}
				if !maps.Equal(ls.Refused, want) || !maps.Equal(immediate, want) {
					t.Fatalf("refused %v (at Set: %v), Set refused %v", ls.Refused, immediate, want)
				}
				if ls.Written != int64(len(steps))-ls.RefusedTotal() || ls.Batches < 2 {
					t.Fatalf("stats %+v for %d entries", ls, len(steps))
				}
				sameSite(t, viaSet.Site("s"), viaLoad.Site("s"))
				checkUsage(t, viaLoad.Site("s"))
				if be == BackendMemory {
					return
				}
				viaLoad = reopen(t, viaLoad, lopts)
				sameSite(t, viaSet.Site("s"), viaLoad.Site("s"))
				checkUsage(t, viaLoad.Site("s"))
			})
		}
	}
}

// sameSite checks that two sites hold the same keys, values, TTLs and use.
func sameSite(t *testing.T, a, b *Site) {
	t.Helper()
	ka, kb := a.List(), b.List()
	if fmt.Sprint(ka) != fmt.Sprint(kb) {
		t.Fatalf("keys differ: %d vs %d", len(ka), len(kb))
	}
	for _, k := range ka {
		va, ta, _ := a.Get([]byte(k))
		vb, tb, _ := b.Get([]byte(k))
		if !bytes.Equal(va, vb) || ta != tb {
			t.Fatalf("%s: (%q, %d) vs (%q, %d)", k, va, ta, vb, tb)
		}
	}
	if ua, ub := a.Usage(), b.Usage(); ua != ub {
		t.Fatalf("usage %+v vs %+v", ua, ub)
	}
}

// TestLoaderQuota fills a site's quota from a Loader: entries that fit are
// written, the rest refused with QuotaExceeded, counted; expired entries
// are reclaimed first, as Set does.
func TestLoaderQuota(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		s, clk, _ := openTest(t, be, func(o *Options) { o.SiteQuotaBytes = 1000 })
		site := s.Site("q")
		mustSet(t, site, "old", strings.Repeat("o", 197), 1) // 200 bytes, expiring
		clk.Advance(2 * time.Second)
		l := site.NewLoader(LoaderOptions{BatchEntries: 7})
		for i := range 20 {
			if c := l.Set(fmt.Appendf(nil, "k%02d", i), bytes.Repeat([]byte("v"), 97), 0); c != OK {
				t.Fatalf("Set %d = %v", i, c)
			}
		}
		st, err := l.Close()
		if err != nil {
			t.Fatal(err)
		}
		if st.Written != 10 || st.Refused[QuotaExceeded] != 10 || len(st.Refused) != 1 {
			t.Fatalf("stats %+v: want 10 written, 10 refused for quota", st)
		}
		wantMiss(t, site, "old")
		if u := site.Usage(); u.UsedBytes != 1000 || u.Keys != 10 {
			t.Fatalf("usage %+v", u)
		}
		checkUsage(t, site)
	})
}

// TestLoaderBackendFailure: a failed batch refuses its entries with
// Internal and changes nothing; later entries are refused too.
func TestLoaderBackendFailure(t *testing.T) {
	for _, be := range []Backend{BackendBbolt, BackendPebble} {
		t.Run("backend="+string(be), func(t *testing.T) {
			var fb *faultyBackend
			s, err := open(context.Background(), Options{Backend: be, Dir: t.TempDir(), SweepInterval: -1}, backend.Config{},
				func(b backend.Backend) backend.Backend { fb = &faultyBackend{Backend: b}; return fb })
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			site := s.Site("f")
			mustSet(t, site, "k00", "before", 0)
			before := site.Usage()
			fb.on.Store(true)
			l := site.NewLoader(LoaderOptions{BatchEntries: 4})
			codes := map[Code]int{}
			for i := range 10 {
				codes[l.Set(fmt.Appendf(nil, "k%02d", i), []byte("during"), 0)]++
			}
			st, err := l.Close()
			if err == nil {
				t.Fatal("Close succeeded with a failing backend")
			}
			if st.Written != 0 || st.Refused[Internal] != 10 || codes[Internal] == 0 {
				t.Fatalf("stats %+v, codes %v", st, codes)
			}
			if u := site.Usage(); u != before {
				t.Fatalf("usage %+v -> %+v", before, u)
			}
			wantGet(t, site, "k00", "before", 0)
			wantMiss(t, site, "k01")
			if s.Stats().WriteErrors == 0 {
				t.Fatal("the failed batch was not counted")
			}
		})
	}
}

// TestLoaderAfterWALWrites: a bbolt group store with writes still in the
// WAL, loaded over the same keys, then left as a crash leaves it: the
// loaded values, and writes after the load, are what reopen finds.
func TestLoaderAfterWALWrites(t *testing.T) {
	s, _, opts := openTest(t, BackendBbolt, func(o *Options) {
		o.Durability, o.CheckpointBytes, o.CheckpointInterval, o.Now = DurabilityGroup, 1<<30, -1, nil
	})
	site := s.Site("w")
	for i := range 50 {
		mustSet(t, site, fmt.Sprintf("k%02d", i), "wal", 0)
	}
	l := site.NewLoader(LoaderOptions{})
	for i := range 25 {
		l.Set(fmt.Appendf(nil, "k%02d", i), []byte("loaded"), 0)
	}
	if _, err := l.Close(); err != nil {
		t.Fatal(err)
	}
	mustSet(t, site, "k00", "after", 0)
	crash := t.TempDir()
	copyDir(t, opts.Dir, crash)
	opts.Dir = crash
	s2 := reopenOK(t, opts)
	site2 := s2.Site("w")
	wantGet(t, site2, "k00", "after", 0)
	for i := 1; i < 50; i++ {
		want := "wal"
		if i < 25 {
			want = "loaded"
		}
		wantGet(t, site2, fmt.Sprintf("k%02d", i), want, 0)
	}
	checkUsage(t, site2)
}

// TestLoaderConcurrentSets loads a site from several Loaders while Set and
// Delete write the same keys: nothing deadlocks, and memory, quota and
// disk agree after reopen.
func TestLoaderConcurrentSets(t *testing.T) {
	for _, be := range []Backend{BackendBbolt, BackendPebble} {
		t.Run("backend="+string(be), func(t *testing.T) {
			s, _, opts := openTest(t, be, func(o *Options) { o.SiteQuotaBytes = 1 << 30; o.Now = nil })
			site := s.Site("c")
			var wg sync.WaitGroup
			for w := range 3 {
				wg.Add(2)
				go func() {
					defer wg.Done()
					l := site.NewLoader(LoaderOptions{BatchEntries: 50})
					for i := range 2000 {
						l.Set(fmt.Appendf(nil, "k%03d", (i*7+w)%400), fmt.Appendf(nil, "load%d", w), 0)
					}
					if _, err := l.Close(); err != nil {
						t.Error(err)
					}
				}()
				go func() {
					defer wg.Done()
					for i := range 300 {
						key := fmt.Appendf(nil, "k%03d", (i*13+w)%400)
						if i%5 == 0 {
							site.Delete(key)
						} else {
							site.Set(key, fmt.Appendf(nil, "set%d", w), 0)
						}
					}
				}()
			}
			wg.Wait()
			checkUsage(t, site)
			before := map[string]string{}
			for _, k := range site.List() {
				v, _, _ := site.Get([]byte(k))
				before[k] = string(v)
			}
			s = reopen(t, s, opts)
			site = s.Site("c")
			checkUsage(t, site)
			if len(site.List()) != len(before) {
				t.Fatalf("%d keys after reopen, %d before", len(site.List()), len(before))
			}
			for k, v := range before {
				wantGet(t, site, k, v, 0)
			}
		})
	}
}
