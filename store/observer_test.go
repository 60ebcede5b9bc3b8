package store

import (
	"regexp"
	"sync"
	"testing"
	"time"
)

type recordingObserver struct {
	mu     sync.Mutex
	reads  int
	writes int
	errs   int
}

func (o *recordingObserver) ObserveBackend(op BackendOp, d time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if d < 0 {
		panic("negative duration")
	}
	switch op {
	case BackendRead:
		o.reads++
	case BackendWrite:
		o.writes++
	}
	if err != nil {
		o.errs++
	}
}

func TestObserverSeesReadsAndDurableWrites(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		obs := &recordingObserver{}
		s, _, _ := openTest(t, be, func(o *Options) { o.Observer = obs })
		site := s.Site("o")
		mustSet(t, site, "a", "1", 0)
		mustSet(t, site, "b", "2", 0)
		site.Get([]byte("a"))
		site.Get([]byte("missing"))
		site.Delete([]byte("a"))
		site.Delete([]byte("absent")) // nothing to write
		site.Set([]byte("bad key"), nil, 0)
		obs.mu.Lock()
		defer obs.mu.Unlock()
		if obs.reads != 2 || obs.writes != 3 || obs.errs != 0 {
			t.Fatalf("observed %d reads, %d writes, %d errors; want 2, 3, 0", obs.reads, obs.writes, obs.errs)
		}
	})
}

func TestCloseStopsSweeperAndRefusesWrites(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		s, err := Open(Options{Backend: be, Dir: t.TempDir(), SweepInterval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		site := s.Site("c")
		mustSet(t, site, "k", "v", 0)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if got := site.Set([]byte("k2"), []byte("v"), 0); got != Internal {
			t.Fatalf("Set after Close = %v, want Internal", got)
		}
		wantGet(t, site, "k", "v", 0)
		wantMiss(t, site, "k2")
	})
}

var keyModel = regexp.MustCompile(`^[a-zA-Z0-9:._-]{1,256}$`)

// FuzzValidKey checks ValidKey against a regular-expression model of the
// rule.
func FuzzValidKey(f *testing.F) {
	for _, k := range []string{"", "a", "__flaron:x", "__sys:", "__flaron", "a b", "\xff", repeat('k', 256), repeat('k', 257)} {
		f.Add([]byte(k))
	}
	f.Fuzz(func(t *testing.T, key []byte) {
		want := keyModel.Match(key) && !regexp.MustCompile(`^(__flaron:|__sys:)`).Match(key)
		if got := ValidKey(key); got != want {
			t.Fatalf("ValidKey(%q) = %v, want %v", key, got, want)
		}
	})
}

// FuzzSiteSet drives Set, Get and Delete with arbitrary input against a
// model of the rules (codes, quota, values), on the memory backend.
func FuzzSiteSet(f *testing.F) {
	f.Add([]byte("key"), []byte("value"), int64(10), uint8(0))
	f.Add([]byte("__sys:x"), []byte{}, int64(-1), uint8(1))
	f.Add([]byte("k"), make([]byte, 70), int64(1<<40), uint8(2))
	f.Fuzz(func(t *testing.T, key, value []byte, ttl int64, op uint8) {
		clk := newFakeClock()
		s, err := Open(Options{Backend: BackendMemory, SiteQuotaBytes: 64, MaxValueBytes: 48, MaxTTLSecs: 1000, SweepInterval: -1, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		site := s.Site("f")
		mustSet(t, site, "pre", "0123456789", 0) // 13 bytes used
		want := OK
		switch {
		case !ValidKey(key):
			want = BadKey
		case ttl < 0 || ttl > 1000:
			want = InvalidTTL
		case len(value) > 48:
			want = TooLarge
		case string(key) == "pre" && len(key)+len(value) > 64:
			want = QuotaExceeded
		case string(key) != "pre" && 13+len(key)+len(value) > 64:
			want = QuotaExceeded
		}
		if got := site.Set(key, value, ttl); got != want {
			t.Fatalf("Set(%q, %d bytes, %d) = %v, want %v", key, len(value), ttl, got, want)
		}
		v, gotTTL, ok := site.Get(key)
		if want == OK {
			wantTTL := uint32(ttl)
			if !ok || string(v) != string(value) || gotTTL != wantTTL {
				t.Fatalf("Get after Set = %q %d %v", v, gotTTL, ok)
			}
			if op%2 == 1 {
				if site.Delete(key) != OK {
					t.Fatal("Delete failed")
				}
				if _, _, ok := site.Get(key); ok {
					t.Fatal("deleted key readable")
				}
			}
		} else if ok && string(key) != "pre" {
			t.Fatalf("refused key readable")
		}
		checkUsage(t, site)
		if site.Usage().UsedBytes > 64 {
			t.Fatalf("over quota: %+v", site.Usage())
		}
	})
}
