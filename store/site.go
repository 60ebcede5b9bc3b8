package store

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/sparkbench/sparkbench/internal/clock"
	"github.com/sparkbench/sparkbench/store/internal/backend"
	disk "github.com/sparkbench/sparkbench/store/internal/record"
)

// Site is one site's keys on one node. Reads are served from its in-memory
// index under its own lock; writes go to the backend first. Safe for
// concurrent use.
type Site struct {
	s    *Store
	name string

	// mu guards the index and the quota counters. A plain Mutex, not an
	// RWMutex: every critical section is a few tens of ns, and a reader
	// that finds an RWMutex write-locked parks at once, leaving its core
	// idle until woken (two workers mixing spark_get and spark_set on one
	// site ran at ~0.5M counter invocations/s, against ~1.1M on two
	// sites), while a Mutex spins briefly first. It is cheaper uncontended
	// too (one atomic each way).
	mu   sync.Mutex
	idle sync.Cond // broadcast when a key's writers or exclusive hold end
	ix   index
	// used is len(key)+len(value) over indexed entries plus the growth
	// reserved by writes in progress. It changes only under mu, so quota
	// checks see a stable value, but it is atomic so that UsedBytes can
	// read it without the lock: the workload observer samples it after
	// every spark_set, and taking mu there cost more than the sample.
	used atomic.Int64
	// keys holds the write activity of each key that has any (keyState).
	keys map[string]keyState
	// minExpiry is at most the earliest expiry in m (0 = none expiring),
	// so a Set can skip looking for expired entries when none can exist.
	minExpiry int64
}

// Entry is one key with its value and absolute expiry, as exported for a
// pull and imported on the other node.
type Entry struct {
	Key       string
	Value     []byte
	ExpiresAt int64 // unix nanoseconds; 0 = no expiry
}

// Usage is a site's quota use.
type Usage struct {
	UsedBytes, QuotaBytes int64
	Keys                  int
}

func (s *Store) newSite(name string) *Site {
	t := &Site{s: s, name: name, ix: newIndex(), keys: make(map[string]keyState)}
	t.idle.L = &t.mu
	return t
}

// Name returns the site's name.
func (t *Site) Name() string { return t.name }

// Get returns the live value (shared: callers must not modify it) and the
// remaining TTL rounded up to whole seconds (0 = no expiry). Invalid keys
// miss. It makes no allocation.
func (t *Site) Get(key []byte) (value []byte, ttlSecs uint32, ok bool) {
	if t.s.obs != nil {
		return t.getObserved(key)
	}
	return t.get(key)
}

func (t *Site) getObserved(key []byte) ([]byte, uint32, bool) {
	start := clock.Now()
	v, ttl, ok := t.get(key)
	t.s.obs.ObserveBackend(BackendRead, clock.Since(start), nil)
	return v, ttl, ok
}

func (t *Site) get(key []byte) ([]byte, uint32, bool) {
	if len(key) == 0 || len(key) > MaxKeyBytes {
		return nil, 0, false // never indexed; do not hash a huge key
	}
	t.mu.Lock()
	e, ok := t.ix.get(unsafe.String(unsafe.SliceData(key), len(key))) // key is not retained
	t.mu.Unlock()
	if !ok {
		return nil, 0, false // invalid keys are never indexed
	}
	exp := e.expiresAt()
	if exp == 0 {
		return e.value(), 0, true
	}
	left := exp - t.s.now()
	if left <= 0 {
		return nil, 0, false
	}
	return e.value(), ttlSecs(left), true
}

// ttlSecs rounds a positive remaining duration up to whole seconds, so a
// live key never reports 0 ("no expiry").
func ttlSecs(leftNs int64) uint32 {
	secs := (leftNs-1)/int64(time.Second) + 1
	if secs > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(secs)
}

// Set checks key, TTL, size and quota (reclaiming the site's expired
// entries before refusing), then writes durably, then updates the index.
// It returns OK, BadKey, InvalidTTL, TooLarge, QuotaExceeded or Internal; a
// refused Set changes nothing.
func (t *Site) Set(key, value []byte, ttlSecs int64) Code {
	if !ValidKey(key) {
		return BadKey
	}
	if ttlSecs < 0 || ttlSecs > t.s.opts.MaxTTLSecs {
		return InvalidTTL
	}
	if len(value) > t.s.opts.MaxValueBytes {
		return TooLarge
	}
	var exp int64
	if ttlSecs > 0 {
		exp = t.s.now() + ttlSecs*int64(time.Second)
	}
	return t.put(key, value, exp)
}

// Import writes e keeping its absolute expiry, under the same checks as
// Set. An entry already expired is not written: (false, OK). Written:
// (true, OK). Refused: (false, BadKey | TooLarge | QuotaExceeded |
// Internal).
func (t *Site) Import(e Entry) (written bool, code Code) {
	key := []byte(e.Key)
	if !ValidKey(key) {
		return false, BadKey
	}
	if e.ExpiresAt < 0 || (e.ExpiresAt != 0 && e.ExpiresAt <= t.s.now()) {
		return false, OK
	}
	if len(e.Value) > t.s.opts.MaxValueBytes {
		return false, TooLarge
	}
	code = t.put(key, e.Value, e.ExpiresAt)
	return code == OK, code
}

// keyState is the write activity on one key, kept in Site.keys while
// there is any.
//
// Writes of one key do not wait for each other: each goes to the backend
// at once, and the backend's commit order decides. Every durable write
// returns a commit sequence number that grows with commit order (pebble's
// sequence number; otherwise one the store's commit path assigns in
// order), and a completed write changes the index only if its sequence is
// above the last one applied to the key; an older write that completes
// late was overwritten on disk too. So the index always holds what the
// disk holds, and a hot key's writers queue only where the backend
// queues them (they used to wait for each other's whole durable write:
// a lock convoy that made the p99 of durable writes on zipfian keys 5-10x
// the backend's own).
//
// Quota: while a key has writes in progress, the site's used bytes count,
// beyond the key's index entry, held = max(0, maxSize - entry size), where
// maxSize is the largest write begun since the key last had none. A write
// is refused if raising held for it would pass the quota; applying a write
// never raises the count (the entry grows at most to maxSize, which held
// already covered), and held returns to the site when the last write
// ends. So writes of a key in any order, failing or overwritten, never
// overshoot the quota, and space a concurrent Delete frees is not handed
// to another key while a larger write of the key may still land.
//
// Expired-entry reclaims and Loader batches hold a key exclusively: they
// start only when the key has no writer, and writes of it wait for them.
type keyState struct {
	writers int    // Set, Import and Delete writes in progress
	excl    bool   // held by a reclaim or a Loader batch
	applied uint64 // sequence of the newest write applied to the index meanwhile
	maxSize int64  // the largest write begun (len(key)+len(value); 0 for a delete)
	held    int64  // quota held beyond the index entry: max(0, maxSize - entry size)
}

// entrySize returns the quota size of key's index entry (0 if none).
// Called with t.mu held.
func (t *Site) entrySize(key string) int64 {
	if old, had := t.ix.get(key); had {
		return old.size()
	}
	return 0
}

// beginWrite starts a write of size bytes (0 for a delete) of key: it
// raises the quota held for the key, or reports false if that would pass
// the quota. Called with t.mu held, after waitExclusive.
func (t *Site) beginWrite(key string, size int64) bool {
	ks := t.keys[key]
	maxSize := max(ks.maxSize, size)
	held := max(0, maxSize-t.entrySize(key))
	need := held - ks.held // >= 0: held only grows while the key has writers
	if need > 0 && t.used.Load()+need > t.s.opts.SiteQuotaBytes {
		return false
	}
	t.used.Add(need)
	ks.writers++
	ks.maxSize, ks.held = maxSize, held
	t.keys[key] = ks
	return true
}

// applyWrite puts e (or, if e is nil, deletes key) in the index for a
// write with commit sequence seq, unless a newer write of the key is there
// already. Called with t.mu held, between beginWrite and endWrite.
func (t *Site) applyWrite(key string, e *record, seq uint64) {
	ks := t.keys[key]
	if seq <= ks.applied {
		return // overwritten on disk too
	}
	cur := t.entrySize(key)
	var size int64
	if e != nil {
		t.ix.put(*e)
		size = e.size()
		t.noteExpiry(e.expiresAt())
	} else {
		t.ix.del(key)
	}
	held := max(0, ks.maxSize-size)
	t.used.Add(size - cur + held - ks.held)
	ks.applied, ks.held = seq, held
	t.keys[key] = ks
}

// waitExclusive waits until no reclaim or Loader batch holds key and
// returns its state. Called with t.mu held.
func (t *Site) waitExclusive(key string) keyState {
	for {
		ks := t.keys[key]
		if !ks.excl {
			return ks
		}
		t.idle.Wait()
	}
}

// endWrite ends a write of key begun with beginWrite; the last one returns
// the held quota. Called with t.mu held.
func (t *Site) endWrite(key string) {
	ks := t.keys[key]
	ks.writers--
	if ks.writers > 0 {
		t.keys[key] = ks
		return
	}
	t.used.Add(-ks.held)
	delete(t.keys, key)
	t.idle.Broadcast()
}

// put writes a validated entry: reserve quota, write durably, index.
func (t *Site) put(key, value []byte, exp int64) Code {
	size := int64(len(key) + len(value))
	if size > t.s.opts.SiteQuotaBytes {
		return QuotaExceeded
	}
	e := newRecord(key, value, exp)
	ik := e.key()
	if !t.s.persistent {
		return t.putMemory(e, ik, size, exp)
	}
	muts := []backend.Mutation{{
		Key:   disk.AppendKey(nil, t.name, key),
		Value: disk.AppendValue(nil, value, exp),
	}}

	t.mu.Lock()
	for attempt := 0; ; attempt++ {
		t.waitExclusive(ik)
		if t.beginWrite(ik, size) {
			break
		}
		if attempt > 0 || !t.reclaimExpiredLocked(ik) {
			t.mu.Unlock()
			return QuotaExceeded
		}
	}
	t.mu.Unlock()

	seq, err := t.s.apply(muts)

	t.mu.Lock()
	defer t.mu.Unlock()
	defer t.endWrite(ik)
	if err != nil {
		return Internal
	}
	t.applyWrite(ik, &e, seq)
	return OK
}

// putMemory is put for a store with nothing to make durable: the whole
// write happens in one critical section, so writes of a key are ordered by
// the lock; it only waits out a reclaim or Loader batch that holds the key.
func (t *Site) putMemory(e record, ik string, size, exp int64) Code {
	t.mu.Lock()
	defer t.mu.Unlock()
	for attempt := 0; ; attempt++ {
		t.waitExclusive(ik)
		delta := size
		if old, had := t.ix.get(ik); had {
			delta -= old.size()
		}
		if delta <= 0 || t.used.Load()+delta <= t.s.opts.SiteQuotaBytes {
			// The backend write is a no-op, but it still refuses after
			// Close and is timed for the observer like any other. Close
			// never waits for a site lock while holding closeMu.
			if _, err := t.s.apply(nil); err != nil {
				return Internal
			}
			t.ix.put(e)
			t.used.Add(delta)
			t.noteExpiry(exp)
			return OK
		}
		if attempt > 0 || !t.reclaimExpiredLocked(ik) {
			return QuotaExceeded
		}
	}
}

// Delete removes key. It returns OK (also when absent), BadKey or Internal.
func (t *Site) Delete(key []byte) Code {
	if !ValidKey(key) {
		return BadKey
	}
	t.mu.Lock()
	lookup := unsafe.String(unsafe.SliceData(key), len(key)) // key is not retained
	if _, had := t.ix.get(lookup); !had && len(t.keys) == 0 {
		t.mu.Unlock()
		return OK
	}
	ks := t.waitExclusive(lookup)
	if _, had := t.ix.get(lookup); !had && ks.writers == 0 {
		t.mu.Unlock()
		return OK // absent, and no write in progress to order after
	}
	if !t.s.persistent {
		defer t.mu.Unlock()
		if _, err := t.s.apply(nil); err != nil {
			return Internal
		}
		if old, had := t.ix.del(lookup); had {
			t.used.Add(-old.size())
		}
		return OK
	}
	ik := string(key)
	t.beginWrite(ik, 0) // a delete needs no quota
	t.mu.Unlock()

	seq, err := t.s.apply([]backend.Mutation{{Key: disk.AppendKey(nil, t.name, key), Delete: true}})

	t.mu.Lock()
	defer t.mu.Unlock()
	defer t.endWrite(ik)
	if err != nil {
		return Internal
	}
	t.applyWrite(ik, nil, seq)
	return OK
}

// noteExpiry keeps minExpiry at most the earliest expiry. Called with t.mu
// held.
func (t *Site) noteExpiry(exp int64) {
	if exp != 0 && (t.minExpiry == 0 || exp < t.minExpiry) {
		t.minExpiry = exp
	}
}

// reclaimExpiredLocked deletes every expired entry of the site not being
// written (except skip) from disk and the index, returning their quota. It
// reports whether it freed anything. Called with t.mu held; it releases the
// lock while the backend works.
func (t *Site) reclaimExpiredLocked(skip string) bool {
	now := t.s.now()
	if t.minExpiry == 0 || t.minExpiry > now {
		return false
	}
	var victims []string
	var nextMin int64
	for e := range t.ix.all() {
		k := e.key()
		exp := e.expiresAt()
		if exp == 0 {
			continue
		}
		if _, busy := t.keys[k]; busy || k == skip || exp > now {
			if nextMin == 0 || exp < nextMin {
				nextMin = exp
			}
			continue
		}
		victims = append(victims, k)
	}
	t.minExpiry = nextMin
	return t.deleteExpiredLocked(victims) > 0
}

// deleteExpiredLocked removes the given expired, idle keys (no write in
// progress) from disk and the index, holding them exclusively meanwhile.
// Called with t.mu held; it releases it while the backend works.
// Expired entries are removed from the index even if the disk delete fails:
// they are already invisible, and reopen drops them from disk.
func (t *Site) deleteExpiredLocked(keys []string) (freed int64) {
	if len(keys) == 0 {
		return 0
	}
	muts := make([]backend.Mutation, len(keys))
	for i, k := range keys {
		t.keys[k] = keyState{excl: true}
		muts[i] = backend.Mutation{Key: disk.AppendKey(nil, t.name, []byte(k)), Delete: true}
	}
	t.mu.Unlock()
	_, _ = t.s.apply(muts)
	t.mu.Lock()
	for _, k := range keys {
		if e, ok := t.ix.del(k); ok {
			freed += e.size()
		}
		delete(t.keys, k) // no write of k started meanwhile: they wait for excl
	}
	t.used.Add(-freed)
	t.idle.Broadcast()
	return freed
}

// List returns the site's live keys, sorted.
func (t *Site) List() []string {
	now := t.s.now()
	t.mu.Lock()
	keys := make([]string, 0, t.ix.len())
	for e := range t.ix.all() {
		if e.live(now) {
			keys = append(keys, e.key()) // aliases the immutable record
		}
	}
	t.mu.Unlock()
	slices.Sort(keys)
	return keys
}

// Export returns copies of the live entries among keys; missing, expired
// and invalid keys are skipped.
func (t *Site) Export(keys []string) []Entry {
	now := t.s.now()
	var out []Entry
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		e, ok := t.ix.get(k)
		if !ok || !e.live(now) {
			continue
		}
		out = append(out, Entry{Key: k, Value: slices.Clone(e.value()), ExpiresAt: e.expiresAt()})
	}
	return out
}

// Usage reports the bytes counted against the quota (including expired
// entries not reclaimed yet and growth reserved by writes in progress), the
// quota, and the number of indexed keys.
func (t *Site) Usage() Usage {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Usage{UsedBytes: t.used.Load(), QuotaBytes: t.s.opts.SiteQuotaBytes, Keys: t.ix.len()}
}

// UsedBytes returns Usage().UsedBytes without taking the site lock, for
// callers that sample the fill on a hot path. Every change to the count is
// made under the lock in one step, so the value read is one Usage would
// have returned at some moment during the call.
func (t *Site) UsedBytes() int64 { return t.used.Load() }

// QuotaBytes returns Usage().QuotaBytes (fixed when the store is opened)
// without taking the site lock.
func (t *Site) QuotaBytes() int64 { return t.s.opts.SiteQuotaBytes }
