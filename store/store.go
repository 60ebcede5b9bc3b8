package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
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
	clock  func() time.Time
	base   time.Time
	baseNs int64
	obs    Observer
	be     backend.Backend
	// commit makes a write durable and returns its commit sequence: a
	// number that grows with the order in which writes reach the disk
	// (see keyState).
	commit  func([]backend.Mutation) (uint64, error)
	seq     uint64         // the last sequence commit assigned (holding serial)
	seqs    atomic.Uint64  // the same for the memory backend
	group   *backend.Group // nil unless writes go through the group committer
	durable bool
	// persistent is false for the memory backend: writes skip encoding.
	persistent bool

	sitesMu sync.RWMutex
	sites   map[string]*Site

	closeMu sync.RWMutex // held shared by every backend write
	closed  bool
	// serial serialises the writes of DurabilityAlways: a one-slot
	// channel, so waiting writers get the slot in arrival order (a
	// sync.Mutex lets arrivals overtake woken waiters, and its p99 on 16
	// writers came out up to 3x that of FIFO order; see
	// BenchmarkDurableTail).
	serial chan struct{}

	stopSweep chan struct{}
	sweepDone chan struct{}

	reload   reloadStats
	recovery Recovery
	faults   faultCounts
}

type reloadStats struct {
	time      time.Duration
	keys      int
	expired   int
	heapBytes int64
}

// faultCounts counts failed writes and disk faults since Open.
type faultCounts struct {
	writeErrors, diskFull, io atomic.Int64
	last                      atomic.Pointer[FaultError]
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
	// WriteErrors counts durable writes that failed (each answered
	// Internal), whatever the cause.
	WriteErrors int64
	// DiskFullErrors and IOErrors count disk faults since Open: failed
	// writes, and failed background work (WAL checkpoints, pebble flushes
	// and compactions, each retry counted). LastFault is the most recent
	// (nil if none): its Path names the file, its Op the operation.
	DiskFullErrors, IOErrors int64
	LastFault                *FaultError
	// Recovery is what Open found on disk (torn WAL tails, damage) and,
	// with Options.Recover, what it kept and dropped.
	Recovery Recovery
}

// Open is OpenContext with a context that is never cancelled.
func Open(opts Options) (*Store, error) {
	return open(context.Background(), opts, backend.Config{}, nil)
}

// OpenContext opens the backend named by opts and rebuilds the index from
// it, dropping expired entries (from disk too). It returns soon (well
// within a second) after ctx is done, with an error wrapping
// context.Cause(ctx); a backend open that cannot be interrupted goes on in
// the background and is closed when it ends.
//
// Damaged data (a WAL record, a bbolt page, a pebble table or log, a value
// that fails its checksum, a database file missing or empty where the
// directory's marker says a store existed) fails the open with an error
// wrapping ErrCorrupt and a *CorruptError naming the file and the damage,
// unless opts.Recover is set: then the open keeps what is intact, moves
// the damaged files aside and reports what it kept and dropped in
// Stats().Recovery. A torn WAL tail (the normal end of a crash) is dropped
// silently either way. A full disk or an I/O error fails the open with a
// *FaultError (ErrDiskFull, ErrIO) naming the file.
func OpenContext(ctx context.Context, opts Options) (*Store, error) {
	return open(ctx, opts, backend.Config{}, nil)
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
func open(ctx context.Context, opts Options, cfg backend.Config, wrap func(backend.Backend) backend.Backend) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Store{
		opts:  opts,
		obs:   opts.Observer,
		sites: make(map[string]*Site),
	}
	cfg.Dir = opts.Dir
	cfg.Recover = opts.Recover
	cfg.OnFault = s.noteFault
	cfg.Sync = opts.Durability != DurabilityNone
	// bbolt group: a write-ahead log in front of bbolt (see package
	// backend, walBbolt); always stays a synced bbolt transaction per write.
	cfg.WAL = opts.Backend == BackendBbolt && opts.Durability == DurabilityGroup
	cfg.CheckpointBytes = opts.CheckpointBytes
	cfg.CheckpointInterval = opts.CheckpointInterval
	be, err := backend.Open(ctx, string(opts.Backend), cfg)
	if err != nil {
		if errors.Is(err, ErrCorrupt) && !opts.Recover {
			return nil, fmt.Errorf("store: open %s: %w (open with recovery to keep the intact data and move the damaged files aside)", opts.Backend, err)
		}
		return nil, fmt.Errorf("store: open %s: %w", opts.Backend, err)
	}
	if r, ok := be.(backend.RecoveryReporter); ok {
		s.recovery = r.Recovery()
	}
	if wrap != nil {
		be = wrap(be)
	}
	if opts.Observer != nil {
		clock.Init() // before the first timed read or write
	}
	s.be = be
	s.durable = be.Persistent() && opts.Durability != DurabilityNone
	s.persistent = be.Persistent()
	s.clock = opts.Now
	s.base = time.Now()
	s.baseNs = s.base.UnixNano()
	// Group commit: for bbolt our group committer gathers concurrent
	// writes into one WAL append and one sync (group) or one transaction
	// (none). Pebble's own commit pipeline already groups concurrent syncs
	// and, unlike a leader/follower committer, overlaps the WAL write of the
	// next group with the sync of the current one (2.5x the throughput in
	// BenchmarkSet), so pebble gets its writes directly.
	seqApplier, hasSeq := be.(backend.SeqApplier)
	s.serial = make(chan struct{}, 1)
	serial := func(m []backend.Mutation) (uint64, error) {
		s.serial <- struct{}{}
		defer func() { <-s.serial }()
		if err := be.Apply(m); err != nil {
			return 0, err
		}
		s.seq++
		return s.seq, nil
	}
	switch {
	case !be.Persistent():
		s.commit = func(m []backend.Mutation) (uint64, error) { return s.seqs.Add(1), be.Apply(m) }
	case opts.Durability == DurabilityAlways || (walPerWrite && cfg.WAL):
		// Serialise so that every write pays its own sync, even on pebble,
		// whose commit pipeline would otherwise group concurrent syncs.
		s.commit = serial
	case opts.Backend == BackendPebble && !groupCommitPebble && hasSeq:
		s.commit = seqApplier.ApplySeq
	case opts.Backend == BackendPebble && !groupCommitPebble:
		// A wrapped pebble (fault injection) cannot say its sequence.
		s.commit = serial
	default:
		// bbolt group, and bbolt none (the group then only batches
		// transactions; nothing is synced).
		s.group = backend.NewGroup(be)
		s.commit = s.group.ApplySeq
	}
	if err := s.reloadIndex(ctx); err != nil {
		be.Close()
		if errors.Is(err, ErrCorrupt) && !opts.Recover {
			return nil, fmt.Errorf("%w (open with recovery to drop the damaged records)", err)
		}
		return nil, err
	}
	if opts.SweepInterval > 0 {
		s.stopSweep = make(chan struct{})
		s.sweepDone = make(chan struct{})
		go s.sweepLoop(opts.SweepInterval)
	}
	return s, nil
}

// reloadIndex rebuilds every site's index from the backend. A record that
// does not decode fails it with a *CorruptError, or with Options.Recover
// is deleted and counted as dropped.
func (s *Store) reloadIndex(ctx context.Context) error {
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
	path := s.opts.Dir
	if s.opts.Backend == BackendBbolt {
		path = filepath.Join(s.opts.Dir, "spark.db")
	}
	var drop [][]byte // expired, and with Recover damaged
	damaged := 0
	n := 0
	err := s.be.Scan(func(k, v []byte) error {
		if n++; n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("store: reload: %w", context.Cause(ctx))
			}
		}
		siteName, key, err := disk.SplitKey(k)
		var why string
		var value []byte
		var exp int64
		if err != nil || !ValidKey(key) {
			why = fmt.Sprintf("disk key %q does not decode", k)
		} else if value, exp, err = disk.DecodeValue(v); err != nil {
			why = fmt.Sprintf("site %q key %q: value fails its checksum", siteName, key)
		}
		if why != "" {
			if !s.opts.Recover {
				return fmt.Errorf("store: reload: %w", &CorruptError{Path: path, What: why})
			}
			if damaged < 10 {
				s.recovery.Damage = append(s.recovery.Damage, path+": "+why)
			}
			damaged++
			s.recovery.DroppedRecords++
			drop = append(drop, slices.Clone(k))
			return nil
		}
		if exp != 0 && exp <= now {
			drop = append(drop, slices.Clone(k))
			s.reload.expired++
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
		var ce *CorruptError
		if errors.As(err, &ce) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return fmt.Errorf("store: reload: %w", err)
	}
	if damaged > 10 {
		s.recovery.Damage = append(s.recovery.Damage, fmt.Sprintf("%s: %d more records fail their checksum", path, damaged-10))
	}
	for len(drop) > 0 {
		n := min(len(drop), 10000)
		muts := make([]backend.Mutation, n)
		for i := range muts {
			muts[i] = backend.Mutation{Key: drop[i], Delete: true}
		}
		if err := s.be.Apply(muts); err != nil {
			return fmt.Errorf("store: reload: delete expired entries: %w", err)
		}
		drop = drop[n:]
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
	st.WriteErrors = s.faults.writeErrors.Load()
	st.DiskFullErrors, st.IOErrors = s.faults.diskFull.Load(), s.faults.io.Load()
	st.LastFault = s.faults.last.Load()
	st.Recovery = s.recovery
	st.Recovery.Damage = slices.Clone(st.Recovery.Damage)
	st.Recovery.MovedAside = slices.Clone(st.Recovery.MovedAside)
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
// observer, and returns its commit sequence.
func (s *Store) apply(muts []backend.Mutation) (uint64, error) {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return 0, ErrClosed
	}
	if s.obs == nil {
		seq, err := s.commit(muts)
		if err != nil {
			s.noteWriteError(err)
		}
		return seq, err
	}
	start := clock.Now()
	seq, err := s.commit(muts)
	s.obs.ObserveBackend(BackendWrite, clock.Since(start), err)
	if err != nil {
		s.noteWriteError(err)
	}
	return seq, err
}

// noteWriteError counts a failed durable write.
func (s *Store) noteWriteError(err error) {
	s.faults.writeErrors.Add(1)
	s.noteFault(err)
}

// noteFault counts a disk fault (a failed write's, or one of background
// work the backend reports).
func (s *Store) noteFault(err error) {
	fe, ok := backend.AsFault(err)
	if !ok {
		return
	}
	switch fe.Kind {
	case ErrDiskFull:
		s.faults.diskFull.Add(1)
	case ErrIO:
		s.faults.io.Add(1)
	}
	s.faults.last.Store(fe)
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
