package store

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// openTest opens a store of the given backend in a fresh directory with a
// fake clock and no background sweeper (tests call Sweep themselves).
func openTest(t testing.TB, backendName Backend, mod func(*Options)) (*Store, *fakeClock, Options) {
	t.Helper()
	clk := newFakeClock()
	opts := DefaultOptions()
	opts.Backend = backendName
	opts.Dir = t.TempDir()
	opts.Now = clk.Now
	opts.SweepInterval = -1
	if mod != nil {
		mod(&opts)
	}
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("open %s: %v", backendName, err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clk, opts
}

// reopen closes s and opens the same directory again with opts.
func reopen(t testing.TB, s *Store, opts Options) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	s2, err := Open(opts)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { s2.Close() })
	return s2
}

func mustSet(t testing.TB, site *Site, key, value string, ttl int64) {
	t.Helper()
	if c := site.Set([]byte(key), []byte(value), ttl); c != OK {
		t.Fatalf("Set(%q, %d bytes, %d) = %v", key, len(value), ttl, c)
	}
}

func wantGet(t testing.TB, site *Site, key, value string, ttl uint32) {
	t.Helper()
	v, gotTTL, ok := site.Get([]byte(key))
	if !ok || !bytes.Equal(v, []byte(value)) || gotTTL != ttl {
		t.Fatalf("%s: Get(%q) = (%q, %d, %v), want (%q, %d, true)", site.Name(), key, v, gotTTL, ok, value, ttl)
	}
}

func wantMiss(t testing.TB, site *Site, key string) {
	t.Helper()
	if v, ttl, ok := site.Get([]byte(key)); ok {
		t.Fatalf("%s: Get(%q) = (%q, %d, true), want miss", site.Name(), key, v, ttl)
	}
}

// recount sums len(key)+len(value) over the site's index, the way Usage
// should.
func recount(t *Site) (bytes int64, keys int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for e := range t.ix.all() {
		bytes += e.size()
		keys++
	}
	return bytes, keys
}

// checkUsage compares Usage and the lock-free UsedBytes with a recount, all
// under one lock so that a running sweeper cannot slip between them.
func checkUsage(t testing.TB, site *Site) {
	t.Helper()
	site.mu.Lock()
	var b int64
	for e := range site.ix.all() {
		b += e.size()
	}
	n := site.ix.len()
	u := Usage{UsedBytes: site.used.Load(), QuotaBytes: site.s.opts.SiteQuotaBytes, Keys: n}
	lockFree := site.UsedBytes()
	site.mu.Unlock()
	if lockFree != u.UsedBytes || site.QuotaBytes() != u.QuotaBytes {
		t.Fatalf("%s: UsedBytes, QuotaBytes = %d, %d; Usage = %+v", site.Name(), lockFree, site.QuotaBytes(), u)
	}
	if u.UsedBytes != b || u.Keys != n {
		t.Fatalf("%s: Usage = %+v, recount = %d bytes %d keys", site.Name(), u, b, n)
	}
}

func forEachBackend(t *testing.T, fn func(t *testing.T, backend Backend)) {
	for _, b := range Backends() {
		t.Run("backend="+string(b), func(t *testing.T) {
			t.Parallel()
			fn(t, b)
		})
	}
}

func repeat(c byte, n int) string { return string(bytes.Repeat([]byte{c}, n)) }

var _ = fmt.Sprintf
