package store

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/sparkbench/sparkbench/internal/clock"
	"github.com/sparkbench/sparkbench/store/internal/backend"
	disk "github.com/sparkbench/sparkbench/store/internal/record"
)

// Store is one node's Spark storage: many sites over one backend. It is
// safe for concurrent use.
type Store struct {
	opts Options
	// The clock: opts.Now if set, else the wall clock at Open advanced by
	// the monotonic clock. time.Since on a monotonic reading costs one
	// clock read where time.Now costs two (wall and monotonic), which is
	// most of a Get of an expiring key; and expiries then do not move if
	// the wall clock is stepped while the store runs.
	clock   func() time.Time
	base    time.Time
	baseNs  int64
	obs     Observer
	be      backend.Backend
	commit  func([]backend.Mutation) error
	group   *backend.Group // nil unless writes go through the group committer
	durable bool
	// persistent is false for the memory backend: writes skip encoding.
	persistent bool

	sitesMu sync.RWMutex
	sites   map[string]*Site

	closeMu  sync.RWMutex // held shared by every backend write
	closed   bool
	alwaysMu sync.Mutex // serialises writes in DurabilityAlways

	stopSweep chan struct{}
	sweepDone chan struct{}

	reload reloadStats
}

type reloadStats struct {
	time      time.Duration
	keys      int
	expired   int
	heapBytes int64
}

// Stats describes a store.
type Stats struct {
	Backend    string
	Durability string
	// Durable is false for the memory backend and for DurabilityNone.
	Durable bool
	Sites   int
	// Keys and Bytes count indexed entries (len(key)+len(value)),
	// including expired ones not reclaimed yet.
	Keys  int
	Bytes int64
	// ReloadTime is how long Open took to rebuild the index from disk;
	// ReloadedKeys and ExpiredOnReload count what it kept and dropped.
	ReloadTime      time.Duration
	ReloadedKeys    int
	ExpiredOnReload int
	// ReloadHeapBytes is the heap growth across the reload (no GC is
	// forced, so it may include a little garbage); divided by ReloadedKeys
	// it approximates the index memory per key.
	ReloadHeapBytes int64
	// Commits and CommittedWrites count the group committer's commits and
	// the writes they carried (their ratio is the mean group size); zero
	// without group commit.
	Commits, CommittedWrites int64
	// Checkpoint figures of bbolt group's write-ahead log (zero
	// otherwise): successful and failed checkpoints, the distinct keys
	// they wrote, their total and longest duration, and the bytes
	// appended to the WAL.
	Checkpoints, CheckpointFailures int64
	CheckpointedKeys                int64
	CheckpointTime, CheckpointMax   time.Duration
	WALBytes                        int64
}

// Open opens the backend named by opts and rebuilds the index from it,
// dropping expired entries (from disk too).
func Open(opts Options) (*Store, error) {
	return open(opts, backend.Config{}, nil)
}

// groupCommitPebble, when set (benchmarks only), puts pebble behind our
// group committer instead of its own commit pipeline, for comparison.
var groupCommitPebble bool

// walPerWrite, when set (benchmarks only), gives bbolt group one WAL
// append and sync per write instead of one per group, to show what the WAL
// alone buys over a synced bbolt transaction per write.
var walPerWrite bool

// open is Open with test hooks: cfg.FS replaces pebble's file system and
// wrap, if set, wraps the backend (fault injection).
func open(opts Options, cfg backend.Config, wrap func(backend.Backend) backend.Backend) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg.Dir = opts.Dir
	cfg.Sync = opts.Durability != DurabilityNone
	// bbolt group: a write-ahead log in front of bbolt (see package
	// backend, walBbolt); always stays a synced bbolt transaction per write.
	cfg.WAL = opts.Backend == BackendBbolt && opts.Durability == DurabilityGroup
	cfg.CheckpointBytes = opts.CheckpointBytes
	cfg.CheckpointInterval = opts.CheckpointInterval
	be, err := backend.Open(string(opts.Backend), cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if wrap != nil {
		be = wrap(be)
	}
	if opts.Observer != nil {
		clock.Init() // before the first timed read or write
	}
	s := &Store{
		opts:       opts,
		obs:        opts.Observer,
		be:         be,
		durable:    be.Persistent() && opts.Durability != DurabilityNone,
		persistent: be.Persistent(),
		sites:      make(map[string]*Site),
	}
	s.clock = opts.Now
	s.base = time.Now()
	s.baseNs = s.base.UnixNano()
	// Group commit: for bbolt our group committer gathers concurrent
	// writes into one WAL append and one sync (group) or one transaction
	// (none). Pebble's own commit pipeline already groups concurrent syncs
	// and, unlike a leader/follower committer, overlaps the WAL write of the
	// next group with the sync of the current one (2.5x the throughput in
	// BenchmarkSet), so pebble gets its writes directly.
	switch {
	case !be.Persistent():
		s.commit = be.Apply
	case opts.Durability == DurabilityAlways || (walPerWrite && cfg.WAL):
		// Serialise so that every write pays its own sync, even on pebble,
		// whose commit pipeline would otherwise group concurrent syncs.
		s.commit = func(m []backend.Mutation) error {
			s.alwaysMu.Lock()
			defer s.alwaysMu.Unlock()
			return be.Apply(m)
		}
	case opts.Backend == BackendPebble && !groupCommitPebble:
		s.commit = be.Apply
	default:
		// bbolt group, and bbolt none (the group then only batches
		// transactions; nothing is synced).
		s.group = backend.NewGroup(be)
		s.commit = s.group.Apply
	}
	if err := s.reloadIndex(); err != nil {
		be.Close()
		return nil, err
	}
	if opts.SweepInterval > 0 {
		s.stopSweep = make(chan struct{})
		s.sweepDone = make(chan struct{})
		go s.sweepLoop(opts.SweepInterval)
	}
	return s, nil
}

// reloadIndex rebuilds every site's index from the backend.
func (s *Store) reloadIndex() error {
	if !s.be.Persistent() {
		return nil
	}
	start := time.Now()
	// Heap growth across the reload, without forcing a GC (which would cost
	// a large share of the reload): the reload makes little garbage (bbolt
	// values are read from the mmap), so the growth is close to the index.
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heapBefore := ms.HeapAlloc

	now := s.now()
	var expired [][]byte
	err := s.be.Scan(func(k, v []byte) error {
		siteName, key, err := disk.SplitKey(k)
		if err != nil || !ValidKey(key) {
			return fmt.Errorf("store: reload: disk key %q: %w", k, ErrCorrupt)
		}
		value, exp, err := disk.DecodeValue(v)
		if err != nil {
			return fmt.Errorf("store: reload: site %q key %q: %w", siteName, key, ErrCorrupt)
		}
		if exp != 0 && exp <= now {
			expired = append(expired, slices.Clone(k))
			return nil
		}
		t := s.sites[string(siteName)]
		if t == nil {
			t = s.newSite(string(siteName))
			s.sites[t.name] = t
		}
		t.ix.put(newRecord(key, value, exp))
		t.used.Add(int64(len(key) + len(value)))
		t.noteExpiry(exp)
		s.reload.keys++
		return nil
	})
	if err != nil {
		return err
	}
	s.reload.expired = len(expired)
	for len(expired) > 0 {
		n := min(len(expired), 10000)
		muts := make([]backend.Mutation, n)
		for i := range muts {
			muts[i] = backend.Mutation{Key: expired[i], Delete: true}
		}
		if err := s.be.Apply(muts); err != nil {
			return fmt.Errorf("store: reload: delete expired entries: %w", err)
		}
		expired = expired[n:]
	}
	runtime.ReadMemStats(&ms)
	s.reload.heapBytes = int64(ms.HeapAlloc) - int64(heapBefore)
	s.reload.time = time.Since(start)
	return nil
}

// Site returns the handle of the named site, creating it on first use. The
// handle is stable and safe for concurrent use.
func (s *Store) Site(name string) *Site {
	s.sitesMu.RLock()
	t := s.sites[name]
	s.sitesMu.RUnlock()
	if t != nil {
		return t
	}
	s.sitesMu.Lock()
	defer s.sitesMu.Unlock()
	if t = s.sites[name]; t == nil {
		t = s.newSite(name)
		s.sites[name] = t
	}
	return t
}

// Sites lists the sites that have been used or hold entries, sorted.
func (s *Store) Sites() []string {
	s.sitesMu.RLock()
	names := make([]string, 0, len(s.sites))
	for n := range s.sites {
		names = append(names, n)
	}
	s.sitesMu.RUnlock()
	slices.Sort(names)
	return names
}

func (s *Store) siteList() []*Site {
	s.sitesMu.RLock()
	defer s.sitesMu.RUnlock()
	out := make([]*Site, 0, len(s.sites))
	for _, t := range s.sites {
		out = append(out, t)
	}
	return out
}

// Stats reports the store's size, configuration and reload figures.
func (s *Store) Stats() Stats {
	durability := s.opts.Durability
	if s.opts.Backend == BackendMemory {
		durability = DurabilityNone // nothing reaches a disk, whatever was asked
	}
	st := Stats{
		Backend:         string(s.opts.Backend),
		Durability:      durability.String(),
		Durable:         s.durable,
		ReloadTime:      s.reload.time,
		ReloadedKeys:    s.reload.keys,
		ExpiredOnReload: s.reload.expired,
		ReloadHeapBytes: s.reload.heapBytes,
	}
	if s.group != nil {
		st.Commits, st.CommittedWrites = s.group.Counts()
	}
	if c, ok := s.be.(backend.CheckpointStater); ok {
		cs := c.CheckpointStats()
		st.Checkpoints, st.CheckpointFailures = cs.Checkpoints, cs.Failures
		st.CheckpointedKeys = cs.Mutations
		st.CheckpointTime, st.CheckpointMax = cs.Total, cs.Max
		st.WALBytes = cs.WALBytes
	}
	for _, t := range s.siteList() {
		u := t.Usage()
		st.Sites++
		st.Keys += u.Keys
		st.Bytes += u.UsedBytes
	}
	return st
}

// Close stops the sweeper, waits for writes in progress and closes the
// backend. Writes after Close return Internal; reads keep answering from
// the index.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	s.closeMu.Unlock()
	if s.stopSweep != nil {
		close(s.stopSweep)
		<-s.sweepDone
	}
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if err := s.be.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", s.opts.Backend, err)
	}
	return nil
}

// apply makes muts durable (per the durability mode), timing it for the
// observer.
func (s *Store) apply(muts []backend.Mutation) error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	if s.obs == nil {
		return s.commit(muts)
	}
	start := clock.Now()
	err := s.commit(muts)
	s.obs.ObserveBackend(BackendWrite, clock.Since(start), err)
	return err
}

// Backend returns the backend's name.
func (s *Store) Backend() string { return string(s.opts.Backend) }

// now returns the store's current time in unix nanoseconds.
func (s *Store) now() int64 {
	if s.clock != nil {
		return s.clock().UnixNano()
	}
	return s.baseNs + int64(time.Since(s.base))
}
