package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/store/internal/backend"
	disk "github.com/sparkbench/sparkbench/store/internal/record"
)

// The conformance suite runs every rule of the Spark contract
// (docs/ARCHITECTURE.md) that belongs to the store against each backend on
// a real disk.

func TestBadInputChangesNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		s, _, opts := openTest(t, be, nil)
		site := s.Site("shop.example")
		mustSet(t, site, "existing", "old", 0)
		before := site.Usage()
		cases := []struct {
			name  string
			key   []byte
			value []byte
			ttl   int64
			want  Code
		}{
			{"empty key", []byte{}, []byte("v"), 0, BadKey},
			{"nil key", nil, []byte("v"), 0, BadKey},
			{"257-byte key", []byte(repeat('k', 257)), []byte("v"), 0, BadKey},
			{"space", []byte("a b"), []byte("v"), 0, BadKey},
			{"slash", []byte("a/b"), []byte("v"), 0, BadKey},
			{"NUL", []byte("a\x00b"), []byte("v"), 0, BadKey},
			{"brace", []byte("{a}"), []byte("v"), 0, BadKey},
			{"non-UTF-8", []byte{'a', 0xff, 0xfe}, []byte("v"), 0, BadKey},
			{"UTF-8 non-ASCII", []byte("café"), []byte("v"), 0, BadKey},
			{"reserved __flaron:", []byte("__flaron:x"), []byte("v"), 0, BadKey},
			{"reserved __flaron: alone", []byte("__flaron:"), []byte("v"), 0, BadKey},
			{"reserved __sys:", []byte("__sys:quota"), []byte("v"), 0, BadKey},
			{"bad key wins over bad ttl", []byte("a b"), []byte("v"), -1, BadKey},
			{"negative ttl", []byte("k"), []byte("v"), -1, InvalidTTL},
			{"i32 min ttl", []byte("k"), []byte("v"), -1 << 31, InvalidTTL},
			{"ttl above max", []byte("k"), []byte("v"), opts.MaxTTLSecs + 1, InvalidTTL},
			{"bad ttl wins over size", []byte("k"), make([]byte, opts.MaxValueBytes+1), -5, InvalidTTL},
			{"value too large", []byte("k"), make([]byte, opts.MaxValueBytes+1), 0, TooLarge},
			{"overwrite too large", []byte("existing"), make([]byte, opts.MaxValueBytes+1), 0, TooLarge},
			{"overwrite bad ttl", []byte("existing"), []byte("new"), -1, InvalidTTL},
		}
		for _, c := range cases {
			if got := site.Set(c.key, c.value, c.ttl); got != c.want {
				t.Errorf("%s: Set = %v, want %v", c.name, got, c.want)
			}
			if ValidKey(c.key) && string(c.key) != "existing" {
				wantMiss(t, site, string(c.key))
			}
			if _, _, ok := site.Get(c.key); ok && string(c.key) != "existing" {
				t.Errorf("%s: invalid key readable", c.name)
			}
		}
		wantGet(t, site, "existing", "old", 0)
		if got := site.Usage(); got != before {
			t.Fatalf("usage changed by refused sets: %+v -> %+v", before, got)
		}
		if got := site.Delete([]byte("a b")); got != BadKey {
			t.Fatalf("Delete(bad key) = %v, want BadKey", got)
		}
		if got := site.Delete([]byte("absent")); got != OK {
			t.Fatalf("Delete(absent) = %v, want OK", got)
		}
		if w, c := site.Import(Entry{Key: "__sys:x", Value: []byte("v")}); w || c != BadKey {
			t.Fatalf("Import(reserved) = %v, %v", w, c)
		}
		if w, c := site.Import(Entry{Key: "big", Value: make([]byte, opts.MaxValueBytes+1)}); w || c != TooLarge {
			t.Fatalf("Import(too large) = %v, %v", w, c)
		}
		if s.Backend() != "memory" {
			s = reopen(t, s, opts)
			site = s.Site("shop.example")
			if got := site.Usage(); got != before {
				t.Fatalf("after reopen usage = %+v, want %+v", got, before)
			}
		}
	})
}

func TestAcceptedEdges(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		s, _, opts := openTest(t, be, nil)
		site := s.Site("edge")
		cases := []struct {
			name, key string
			value     []byte
			ttl       int64
		}{
			{"256-byte key", repeat('k', 256), []byte("v"), 0},
			{"every allowed byte", "azAZ09:._-", []byte("v"), 0},
			{"one byte", "x", []byte("v"), 0},
			{"max ttl", "maxttl", []byte("v"), opts.MaxTTLSecs},
			{"max value", "maxvalue", make([]byte, opts.MaxValueBytes), 0},
			{"empty value", "empty", []byte{}, 0},
			{"nil value", "nilvalue", nil, 0},
			{"__flaron without colon", "__flaron", []byte("v"), 0},
			{"_sys: single underscore", "_sys:x", []byte("v"), 0},
			{"__sys without colon", "__sysx", []byte("v"), 0},
		}
		for _, c := range cases {
			if got := site.Set([]byte(c.key), c.value, c.ttl); got != OK {
				t.Fatalf("%s: Set = %v, want OK", c.name, got)
			}
			v, _, ok := site.Get([]byte(c.key))
			if !ok || string(v) != string(c.value) {
				t.Fatalf("%s: Get = %q, %v", c.name, v, ok)
			}
		}
		checkUsage(t, site)
	})
}

func TestTTLRoundsUpAndExpiresImmediately(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		s, clk, _ := openTest(t, be, nil)
		site := s.Site("ttl")
		mustSet(t, site, "k", "v", 10)
		mustSet(t, site, "forever", "v", 0)
		steps := []struct {
			advance time.Duration
			want    uint32 // 0 = expect a miss
		}{
			{0, 10},
			{time.Nanosecond, 10},
			{time.Second - time.Nanosecond, 9}, // exactly 9s left
			{time.Nanosecond, 9},
			{8*time.Second - 2*time.Nanosecond, 2}, // 1s+1ns left
			{time.Nanosecond, 1},                   // 1s left
			{time.Second - time.Nanosecond, 1},     // 1ns left: never 0
			{time.Nanosecond, 0},                   // expired exactly now
		}
		for i, st := range steps {
			clk.Advance(st.advance)
			if st.want == 0 {
				wantMiss(t, site, "k")
				if slices.Contains(site.List(), "k") {
					t.Fatalf("step %d: expired key listed", i)
				}
				if got := site.Export([]string{"k"}); len(got) != 0 {
					t.Fatalf("step %d: expired key exported", i)
				}
				continue
			}
			wantGet(t, site, "k", "v", st.want)
		}
		wantGet(t, site, "forever", "v", 0)
		clk.Advance(365 * 24 * time.Hour)
		wantGet(t, site, "forever", "v", 0)
	})
}

func TestQuotaAndOverwriteDeltas(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		s, _, opts := openTest(t, be, func(o *Options) { o.SiteQuotaBytes = 100 })
		site := s.Site("q")
		steps := []struct {
			op, key string
			size    int
			want    Code
			used    int64
		}{
			{"set", "k1", 48, OK, 50},
			{"set", "k2", 48, OK, 100},
			{"set", "k3", 0, QuotaExceeded, 100},  // 2 bytes over
			{"set", "k1", 49, QuotaExceeded, 100}, // +1 over
			{"set", "k1", 48, OK, 100},            // same size: delta 0 at full quota
			{"set", "k1", 10, OK, 62},             // shrink
			{"set", "k1", 48, OK, 100},            // grow back by the difference
			{"set", "big", 200, QuotaExceeded, 100},
			{"del", "k2", 0, OK, 50},
			{"set", "k3", 48, OK, 100},
			{"del", "k3", 0, OK, 50},
			{"del", "k3", 0, OK, 50},
		}
		for i, st := range steps {
			var got Code
			if st.op == "set" {
				got = site.Set([]byte(st.key), []byte(repeat('v', st.size)), 0)
			} else {
				got = site.Delete([]byte(st.key))
			}
			if got != st.want {
				t.Fatalf("step %d %s %s: %v, want %v", i, st.op, st.key, got, st.want)
			}
			if u := site.Usage(); u.UsedBytes != st.used || u.QuotaBytes != 100 {
				t.Fatalf("step %d: usage %+v, want used %d", i, u, st.used)
			}
			checkUsage(t, site)
		}
		wantGet(t, site, "k1", repeat('v', 48), 0)
		if be != "memory" {
			s = reopen(t, s, opts)
			site = s.Site("q")
			if u := site.Usage(); u.UsedBytes != 50 || u.Keys != 1 {
				t.Fatalf("after reopen: %+v", u)
			}
			checkUsage(t, site)
		}
	})
}

func TestQuotaReclaimsExpiredBeforeRefusing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		s, clk, opts := openTest(t, be, func(o *Options) { o.SiteQuotaBytes = 100 })
		site := s.Site("q")
		other := s.Site("other")
		mustSet(t, other, "e", repeat('o', 50), 1) // another site's expired key stays
		for i := range 5 {
			mustSet(t, site, fmt.Sprintf("e%d", i), repeat('v', 8), int64(i+1)) // 10 bytes each
		}
		mustSet(t, site, "keep", repeat('v', 46), 0) // 50 bytes: full
		if got := site.Set([]byte("new"), []byte(repeat('n', 17)), 0); got != QuotaExceeded {
			t.Fatalf("nothing expired yet: %v", got)
		}
		clk.Advance(2 * time.Second) // e0, e1 expire: 20 bytes reclaimable
		if got := site.Set([]byte("new"), []byte(repeat('n', 18)), 0); got != QuotaExceeded {
			t.Fatalf("21 bytes with 20 reclaimable: %v", got)
		}
		if u := site.Usage(); u.UsedBytes != 80 || u.Keys != 4 {
			t.Fatalf("reclaimed before the refusal: %+v", u)
		}
		if got := site.Set([]byte("new"), []byte(repeat('n', 17)), 0); got != OK {
			t.Fatalf("20 bytes with 20 reclaimed: %v", got)
		}
		if u := site.Usage(); u.UsedBytes != 100 || u.Keys != 5 {
			t.Fatalf("after reclaim: %+v", u)
		}
		checkUsage(t, site)
		if u := other.Usage(); u.Keys != 1 {
			t.Fatalf("reclaim touched another site: %+v", u)
		}
		if be != "memory" {
			s = reopen(t, s, opts)
			if st := s.Stats(); st.ExpiredOnReload != 1 { // only other/e was left on disk
				t.Fatalf("expired entries on disk after reclaim: %+v", st)
			}
		}
	})
}

func TestSweeperReclaimsQuota(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		for _, n := range []int{10, sweepFullScanMax + 1000} {
			// No sync: the thousands of setup writes would otherwise take
			// seconds of fsyncs; sweeping does not depend on the mode.
			s, clk, opts := openTest(t, be, func(o *Options) { o.SiteQuotaBytes = 1 << 30; o.Durability = DurabilityNone })
			site := s.Site("sweep")
			for i := range n {
				mustSet(t, site, fmt.Sprintf("k%06d", i), "value", int64(1+i%3))
			}
			mustSet(t, site, "keep", "value", 0)
			mustSet(t, site, "later", "value", 100)
			clk.Advance(4 * time.Second)
			removed := 0
			for range 10000 {
				r := s.Sweep()
				removed += r
				if site.Usage().Keys == 2 {
					break
				}
			}
			if removed != n {
				t.Fatalf("n=%d: swept %d", n, removed)
			}
			if u := site.Usage(); u.Keys != 2 || u.UsedBytes != int64(len("keep")+len("later")+10) {
				t.Fatalf("n=%d: usage after sweep %+v", n, u)
			}
			checkUsage(t, site)
			wantGet(t, site, "later", "value", 96)
			if be != "memory" {
				s = reopen(t, s, opts)
				if st := s.Stats(); st.ExpiredOnReload != 0 || st.Keys != 2 {
					t.Fatalf("n=%d: sweeper left expired entries on disk: %+v", n, st)
				}
			}
		}
	})
}

func TestBackgroundSweeper(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		s, clk, _ := openTest(t, be, func(o *Options) { o.SweepInterval = 5 * time.Millisecond })
		site := s.Site("bg")
		mustSet(t, site, "short", "v", 1)
		mustSet(t, site, "long", "v", 0)
		clk.Advance(time.Second)
		deadline := time.Now().Add(5 * time.Second)
		for site.Usage().Keys != 1 {
			if time.Now().After(deadline) {
				t.Fatalf("background sweeper did not reclaim: %+v", site.Usage())
			}
			time.Sleep(time.Millisecond)
		}
		checkUsage(t, site)
	})
}

func TestListSortedLiveOnly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		s, clk, _ := openTest(t, be, nil)
		site := s.Site("list")
		if got := site.List(); len(got) != 0 {
			t.Fatalf("empty site lists %v", got)
		}
		for _, k := range []string{"b", "a", "c:1", "C", "-", "a.b"} {
			mustSet(t, site, k, "v", 0)
		}
		mustSet(t, site, "expiring", "v", 5)
		mustSet(t, site, "gone", "v", 1)
		site.Delete([]byte("b"))
		clk.Advance(time.Second)
		want := []string{"-", "C", "a", "a.b", "c:1", "expiring"}
		if got := site.List(); !slices.Equal(got, want) {
			t.Fatalf("List = %v, want %v", got, want)
		}
	})
}

func TestSiteIsolation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		s, _, opts := openTest(t, be, func(o *Options) { o.SiteQuotaBytes = 1000 })
		// Pairs that a naive site+separator+key encoding would confuse.
		writes := []struct{ site, key, value string }{
			{"a", "b:c", "1"},
			{"a:b", "c", "2"},
			{"a:", "b:c", "3"},
			{"ab", "c", "4"},
			{"a\x00", "bc", "5"},
			{"", "abc", "6"},
			{"\x01a", "bc", "7"},
			{"a\x01", "bc", "8"},
			{"shop.example", "k", "9"},
			{"shop.example.evil", "k", "10"},
			{"shop", "example.k", "11"},
		}
		check := func(s *Store) {
			for _, w := range writes {
				site := s.Site(w.site)
				wantGet(t, site, w.key, w.value, 0)
				if got := site.List(); len(got) != 1 || got[0] != w.key {
					t.Fatalf("site %q lists %v", w.site, got)
				}
				if u := site.Usage(); u.Keys != 1 || u.UsedBytes != int64(len(w.key)+len(w.value)) {
					t.Fatalf("site %q usage %+v", w.site, u)
				}
			}
		}
		for _, w := range writes {
			mustSet(t, s.Site(w.site), w.key, w.value, 0)
		}
		check(s)
		if be != "memory" {
			s = reopen(t, s, opts)
			check(s)
			if got := len(s.Sites()); got != len(writes) {
				t.Fatalf("Sites() = %v", s.Sites())
			}
		}
		// Quota is per site: filling one leaves the others free.
		full := s.Site("full")
		mustSet(t, full, "k", repeat('x', 999), 0)
		mustSet(t, s.Site("ab"), "more", repeat('x', 900), 0)
	})
}

func TestExportImportKeepsAbsoluteExpiry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		src, clk, _ := openTest(t, be, nil)
		dst, err := Open(Options{Backend: be, Dir: t.TempDir(), Now: clk.Now, SweepInterval: -1, SiteQuotaBytes: 30})
		if err != nil {
			t.Fatal(err)
		}
		defer dst.Close()
		from, to := src.Site("s"), dst.Site("s")
		mustSet(t, from, "ttl", "value", 10)
		mustSet(t, from, "forever", "v", 0)
		mustSet(t, from, "soon", "v", 1)
		mustSet(t, from, "huge", repeat('h', 40), 0)
		clk.Advance(1500 * time.Millisecond)
		got := from.Export([]string{"ttl", "forever", "soon", "missing", "bad key", "huge"})
		if len(got) != 3 {
			t.Fatalf("Export = %+v", got)
		}
		for _, e := range got {
			written, code := to.Import(e)
			switch e.Key {
			case "huge":
				if written || code != QuotaExceeded {
					t.Fatalf("Import(huge) = %v %v", written, code)
				}
			default:
				if !written || code != OK {
					t.Fatalf("Import(%s) = %v %v", e.Key, written, code)
				}
			}
		}
		wantGet(t, to, "ttl", "value", 9) // 8.5s left rounds up
		wantGet(t, to, "forever", "v", 0)
		exp := got[0].ExpiresAt
		if ex := to.Export([]string{"ttl"}); len(ex) != 1 || ex[0].ExpiresAt != exp {
			t.Fatalf("expiry not kept: %+v vs %d", ex, exp)
		}
		if w, c := to.Import(Entry{Key: "old", Value: []byte("v"), ExpiresAt: clk.Now().UnixNano()}); w || c != OK {
			t.Fatalf("Import(expired) = %v %v", w, c)
		}
		wantMiss(t, to, "old")
		checkUsage(t, to)
	})
}

func TestReopenRebuildsIndex(t *testing.T) {
	for _, be := range []Backend{BackendBbolt, BackendPebble} {
		t.Run("backend="+string(be), func(t *testing.T) {
			t.Parallel()
			s, clk, opts := openTest(t, be, nil)
			a, b := s.Site("a"), s.Site("b")
			mustSet(t, a, "forever", "v1", 0)
			mustSet(t, a, "ttl", "v2", 100)
			mustSet(t, a, "expires", "v3", 2)
			mustSet(t, b, "x", strings.Repeat("y", 1000), 50)
			mustSet(t, a, "overwritten", "first", 0)
			mustSet(t, a, "overwritten", "second", 0)
			mustSet(t, a, "deleted", "v", 0)
			a.Delete([]byte("deleted"))
			clk.Advance(3 * time.Second)
			s = reopen(t, s, opts)
			a, b = s.Site("a"), s.Site("b")
			wantGet(t, a, "forever", "v1", 0)
			wantGet(t, a, "ttl", "v2", 97)
			wantGet(t, a, "overwritten", "second", 0)
			wantMiss(t, a, "expires")
			wantMiss(t, a, "deleted")
			wantGet(t, b, "x", strings.Repeat("y", 1000), 47)
			checkUsage(t, a)
			checkUsage(t, b)
			st := s.Stats()
			if st.ReloadedKeys != 4 || st.ExpiredOnReload != 1 || !st.Durable || st.Backend != string(be) {
				t.Fatalf("Stats = %+v", st)
			}
			s = reopen(t, s, opts)
			if st := s.Stats(); st.ReloadedKeys != 4 || st.ExpiredOnReload != 0 {
				t.Fatalf("expired entry not deleted from disk on reload: %+v", st)
			}
		})
	}
}

func TestStatsDurability(t *testing.T) {
	cases := []struct {
		backend Backend
		mode    Durability
		durable bool
		report  Durability // what Stats says: memory never syncs
	}{
		{"memory", DurabilityGroup, false, DurabilityNone},
		{"memory", DurabilityAlways, false, DurabilityNone},
		{"bbolt", DurabilityGroup, true, DurabilityGroup},
		{"bbolt", DurabilityAlways, true, DurabilityAlways},
		{"bbolt", DurabilityNone, false, DurabilityNone},
		{"pebble", DurabilityGroup, true, DurabilityGroup},
		{"pebble", DurabilityNone, false, DurabilityNone},
	}
	for _, c := range cases {
		s, _, _ := openTest(t, c.backend, func(o *Options) { o.Durability = c.mode })
		st := s.Stats()
		if st.Durable != c.durable || st.Durability != c.report.String() {
			t.Errorf("%s/%s: %+v", c.backend, c.mode, st)
		}
	}
}

func TestOptionsAndParsing(t *testing.T) {
	if _, err := Open(Options{Backend: "bbolt"}); err == nil {
		t.Fatal("bbolt without Dir opened")
	}
	if _, err := Open(Options{Backend: "rocks", Dir: t.TempDir()}); err == nil {
		t.Fatal("unknown backend opened")
	}
	for _, d := range []Durability{DurabilityGroup, DurabilityAlways, DurabilityNone} {
		got, err := ParseDurability(d.String())
		if err != nil || got != d {
			t.Fatalf("ParseDurability(%q) = %v, %v", d, got, err)
		}
	}
	if _, err := ParseDurability("sometimes"); err == nil {
		t.Fatal("bad durability parsed")
	}
	codes := map[Code]string{OK: "ok", InvalidTTL: "invalid_ttl", TooLarge: "too_large", WriteLimit: "write_limit",
		QuotaExceeded: "quota_exceeded", NotAvailable: "not_available", Internal: "internal",
		ReadLimit: "read_limit", BadKey: "bad_key", NoCapability: "no_capability", 42: "code(42)"}
	for c, want := range codes {
		if c.String() != want {
			t.Errorf("Code(%d) = %q, want %q", c, c.String(), want)
		}
	}
	d := DefaultOptions()
	if d.Backend != "bbolt" || d.SiteQuotaBytes != 10<<20 || d.MaxValueBytes != 64<<10 ||
		d.MaxTTLSecs != 30*24*3600 || d.SweepInterval != time.Second || d.Durability != DurabilityGroup {
		t.Fatalf("DefaultOptions = %+v", d)
	}
}

// TestOpenLockedDirectory: a second store on the same directory fails with
// an error instead of hanging or corrupting the first.
func TestOpenLockedDirectory(t *testing.T) {
	for _, be := range []Backend{BackendBbolt, BackendPebble} {
		t.Run("backend="+string(be), func(t *testing.T) {
			s, _, opts := openTest(t, be, nil)
			mustSet(t, s.Site("a"), "k", "v", 0)
			if s2, err := Open(opts); err == nil {
				s2.Close()
				t.Fatal("second Open of a directory in use succeeded")
			}
			wantGet(t, s.Site("a"), "k", "v", 0)
		})
	}
}

// TestReloadRejectsCorruptRecords: a record that does not decode makes Open
// fail with ErrCorrupt naming it, rather than serve damaged data or panic.
func TestReloadRejectsCorruptRecords(t *testing.T) {
	cases := []struct {
		name       string
		key, value []byte
	}{
		{"flipped value byte", disk.AppendKey(nil, "s", []byte("k")), func() []byte {
			v := disk.AppendValue(nil, []byte("value"), 0)
			v[len(v)-1] ^= 1
			return v
		}()},
		{"short value", disk.AppendKey(nil, "s", []byte("k")), []byte{1, 2, 3}},
		{"bad key length", []byte{0x7f, 's'}, disk.AppendValue(nil, []byte("v"), 0)},
		{"invalid key bytes", disk.AppendKey(nil, "s", []byte("bad key")), disk.AppendValue(nil, []byte("v"), 0)},
	}
	for _, be := range []Backend{BackendBbolt, BackendPebble} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("backend=%s/%s", be, c.name), func(t *testing.T) {
				dir := t.TempDir()
				raw, err := backend.Open(context.Background(), string(be), backend.Config{Dir: dir, Sync: true})
				if err != nil {
					t.Fatal(err)
				}
				if err := raw.Apply([]backend.Mutation{{Key: c.key, Value: c.value}}); err != nil {
					t.Fatal(err)
				}
				raw.Close()
				s, err := Open(Options{Backend: be, Dir: dir, SweepInterval: -1})
				if err == nil {
					s.Close()
					t.Fatal("Open accepted a corrupt record")
				}
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("Open error %v is not ErrCorrupt", err)
				}
			})
		}
	}
}
