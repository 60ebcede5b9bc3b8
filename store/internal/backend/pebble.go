package backend

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// pebbleDB is the LSM backend.
//
// Pebble treats a failed WAL write (a full disk, an I/O error) as fatal: its
// commit pipeline is left unusable and it calls Logger.Fatalf. Our logger
// panics with a fatalError instead of exiting when the caller is one of
// ours (Apply, Scan, an open), which turns it into an error; Apply then
// marks the DB broken, and a background goroutine closes and reopens it
// (replaying the WAL up to the last complete record). A Fatalf in one of
// pebble's own background goroutines (a MANIFEST write of a flush on a full
// disk) cannot be recovered there: the logger records it, marks the DB
// broken and returns, and pebble's caller gives up the operation with the
// error. Reopening needs disk space for a flush, so it may wait until space
// is freed; until it is done Apply fails fast. Nothing acknowledged is lost:
// a write is acknowledged only after its commit returned.
//
// pebble.Open cannot be cancelled, and on a full disk it retries the flush
// of the replayed WAL forever. Opens therefore run in their own goroutine
// (see openAttempt): the caller stops waiting on cancellation or at the
// first disk fault of the open, and the attempt, once it ends, is taken by
// the next open or closed.
type pebbleDB struct {
	cfg Config
	wo  *pebble.WriteOptions

	mu     sync.RWMutex // Apply and Scan hold it shared; swapping db exclusive
	db     *pebble.DB   // nil while broken or closed
	closed bool

	broken   atomic.Pointer[error] // set from the fatal error until reopened
	stateMu  sync.Mutex
	brokenDB *pebble.DB   // the DB the last repair was started for
	pending  *openAttempt // an open the last caller stopped waiting for
	repairs  sync.WaitGroup
	stop     chan struct{} // closed by Close: repairs give up
	current  atomic.Pointer[pebble.DB]

	corruptPath atomic.Pointer[string] // the last file pebble found damaged

	// Background errors in a row (flush and compaction retries); each
	// waits a little longer so that a full disk does not make pebble
	// retry in a tight loop.
	bgFailures atomic.Int64
	recovery   Recovery
}

// fatalError is what pebbleLogger.Fatalf panics with.
type fatalError struct {
	msg   string
	cause error // the first error among Fatalf's arguments, if any
}

func (e fatalError) Error() string { return e.msg }
func (e fatalError) Unwrap() error { return e.cause }

// abandoned tracks, per directory, opens that their caller stopped waiting
// for: pebble's lock is held until they end and are closed, so a new open
// of the directory waits for them first.
var abandoned struct {
	sync.Mutex
	m map[string]chan struct{} // closed when the abandoned open is closed
}

// waitAbandoned waits until no abandoned open of dir is left, or ctx ends.
func waitAbandoned(ctx context.Context, dir string) error {
	for {
		abandoned.Lock()
		ch := abandoned.m[dir]
		abandoned.Unlock()
		if ch == nil {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("pebble: open %s: waiting for an earlier open to end: %w", dir, context.Cause(ctx))
		}
	}
}

func openPebble(ctx context.Context, cfg Config) (*pebbleDB, error) {
	if abs, err := filepath.Abs(cfg.Dir); err == nil {
		cfg.Dir = abs
	}
	if err := waitAbandoned(ctx, cfg.Dir); err != nil {
		return nil, err
	}
	p := &pebbleDB{cfg: cfg, wo: pebble.NoSync, stop: make(chan struct{})}
	if cfg.Sync {
		p.wo = pebble.Sync
	}
	db, err := p.openDB(ctx)
	if err == nil && cfg.Recover {
		// Damaged tables show only when read: read everything now, while
		// the damage can still be salvaged around.
		if verr := p.verify(ctx, db); verr != nil {
			closeQuietly(db)
			db, err = nil, verr
		}
	}
	if err != nil && cfg.Recover && errors.Is(err, ErrCorrupt) {
		db, err = p.salvage(ctx, err)
	}
	if err != nil {
		p.abandonPending()
		return nil, err
	}
	p.db = db
	p.current.Store(db)
	return p, nil
}

// openAttempt is one pebble.Open running in its own goroutine.
type openAttempt struct {
	done  chan struct{} // closed when pebble.Open has returned
	db    *pebble.DB
	err   error
	fault chan error // disk faults of the open's own flushes (buffered)
	// opening is true until pebble.Open returns: background faults until
	// then belong to the open.
	opening atomic.Bool
}

// options returns pebble's options for an open of p's directory whose
// background errors go to a.
func (p *pebbleDB) options(a *openAttempt) *pebble.Options {
	opts := &pebble.Options{
		Logger:           pebbleLogger{p: p},
		ErrorIfNotExists: p.cfg.mustExist,
		// WAL chunks that record the synced offset let pebble tell damage
		// in the middle of a WAL from a torn tail; before this format it
		// takes any bad chunk for the end of the log and drops everything
		// after it without a word.
		FormatMajorVersion: pebble.FormatWALSyncChunks,
	}
	if p.cfg.FS != nil {
		opts.FS = p.cfg.FS
	}
	opts.EventListener = &pebble.EventListener{
		BackgroundError: func(err error) { p.backgroundError(a, err) },
		FlushEnd: func(info pebble.FlushInfo) {
			if info.Err == nil {
				p.bgFailures.Store(0)
			}
		},
		CompactionEnd: func(info pebble.CompactionInfo) {
			if info.Err == nil {
				p.bgFailures.Store(0)
			}
		},
		DataCorruption: func(info pebble.DataCorruptionInfo) {
			// Pebble's default is Fatalf. The read that met it returns
			// the error; remember the file for it, and tell the store.
			path := info.Path
			p.corruptPath.Store(&path)
			if p.cfg.OnFault != nil {
				p.cfg.OnFault(&CorruptError{Path: info.Path, What: fmt.Sprintf("pebble: %v", info.Details)})
			}
		},
	}
	return opts
}

// backgroundError handles a failed flush or compaction: pebble retries it
// at once, forever, so each failure in a row waits longer (10ms doubling to
// 1s; it holds pebble's DB mutex meanwhile, which only delays other
// background work and memtable rotation). A disk fault during an open is
// also handed to the open's caller.
func (p *pebbleDB) backgroundError(a *openAttempt, err error) {
	err = classify("flush", p.cfg.Dir, err)
	if _, ok := AsFault(err); ok && a.opening.Load() {
		select {
		case a.fault <- err:
		default:
		}
	}
	if p.cfg.OnFault != nil {
		p.cfg.OnFault(fmt.Errorf("pebble: background: %w", err))
	}
	n := p.bgFailures.Add(1)
	wait := 10 * time.Millisecond << min(n-1, 7)
	select {
	case <-time.After(min(wait, time.Second)):
	case <-p.stop:
	}
}

// openDB opens the directory, or takes over the open an earlier call
// stopped waiting for. It returns early, leaving the attempt pending, when
// ctx is done or the open meets a disk fault.
func (p *pebbleDB) openDB(ctx context.Context) (*pebble.DB, error) {
	p.stateMu.Lock()
	a := p.pending
	p.pending = nil
	p.stateMu.Unlock()
	if a == nil {
		a = &openAttempt{done: make(chan struct{}), fault: make(chan error, 1)}
		a.opening.Store(true)
		opts := p.options(a)
		go func() {
			defer close(a.done)
			defer a.opening.Store(false)
			a.db, a.err = p.runOpen(opts)
		}()
	}
	select {
	case <-a.done:
		return a.db, a.err
	default:
	}
	var err error
	select {
	case <-a.done:
		return a.db, a.err
	case <-ctx.Done():
		err = fmt.Errorf("pebble: open %s: %w", p.cfg.Dir, context.Cause(ctx))
	case ferr := <-a.fault:
		err = fmt.Errorf("pebble: open %s: %w", p.cfg.Dir, ferr)
	}
	p.stateMu.Lock()
	p.pending = a
	p.stateMu.Unlock()
	return nil, err
}

// runOpen calls pebble.Open, turning a fatal error into an error.
func (p *pebbleDB) runOpen(opts *pebble.Options) (db *pebble.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			fe, ok := r.(fatalError)
			if !ok {
				// Pebble panics on some damage it meets while replaying
				// its WAL or MANIFEST.
				err = fmt.Errorf("pebble: open: %w", &CorruptError{Path: p.cfg.Dir, What: fmt.Sprintf("pebble failed reading the store: %v", r)})
				return
			}
			err = fmt.Errorf("pebble: open %s: %w", p.cfg.Dir, classify("open", p.cfg.Dir, fe))
		}
	}()
	// In the open's goroutine: the check reads the MANIFEST, which may
	// block on a stuck device like the open itself.
	if err := checkPebbleManifest(p.cfg.Dir, p.cfg.FS, p.cfg.marker); err != nil {
		return nil, fmt.Errorf("pebble: %w", err)
	}
	db, err = pebble.Open(p.cfg.Dir, opts)
	if err != nil {
		return nil, p.openError(err)
	}
	return db, nil
}

// openError turns pebble's errors into ours: corruption becomes a
// *CorruptError, a missing store where the marker says one existed too,
// and disk faults a *FaultError.
func (p *pebbleDB) openError(err error) error {
	msg, _, _ := strings.Cut(err.Error(), "\n") // cockroachdb/errors may add detail lines
	switch {
	case pebble.IsCorruptionError(err), strings.Contains(msg, "malformed manifest"), strings.Contains(msg, "object size mismatch"):
		path := p.cfg.Dir
		if cp := p.corruptPath.Load(); cp != nil {
			path = *cp
		}
		return &CorruptError{Path: path, What: msg, Err: err}
	case errors.Is(err, pebble.ErrDBDoesNotExist) && p.cfg.mustExist:
		return &CorruptError{Path: p.cfg.Dir, What: fmt.Sprintf("pebble's files (CURRENT, MANIFEST) are missing, but the directory held a pebble store (%s)", MarkerName)}
	}
	return classify("open", p.cfg.Dir, err)
}

// Recovery reports what the open found and did.
func (p *pebbleDB) Recovery() Recovery { return p.recovery }

// abandonPending closes the pending open, if any, once it ends.
func (p *pebbleDB) abandonPending() {
	p.stateMu.Lock()
	a := p.pending
	p.pending = nil
	p.stateMu.Unlock()
	if a == nil {
		return
	}
	gone := make(chan struct{})
	abandoned.Lock()
	if abandoned.m == nil {
		abandoned.m = map[string]chan struct{}{}
	}
	prev := abandoned.m[p.cfg.Dir]
	abandoned.m[p.cfg.Dir] = gone
	abandoned.Unlock()
	go func() {
		<-a.done
		if a.db != nil {
			closeQuietly(a.db)
		}
		if prev != nil {
			<-prev
		}
		abandoned.Lock()
		if abandoned.m[p.cfg.Dir] == gone {
			delete(abandoned.m, p.cfg.Dir)
		}
		abandoned.Unlock()
		close(gone)
	}()
}

// closeQuietly closes a DB that may be broken; a broken commit pipeline
// can make Close fail or panic, and there is nothing left to save in it. A
// Close that does not return within 10s (a flush that will never succeed)
// is left behind.
func closeQuietly(db *pebble.DB) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { recover() }()
		db.Close()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
}

// markBroken takes the DB out of service after a fatal error and starts the
// repair. Other commits may be in flight on the same DB; the repair waits
// for them (they fail too: pebble reports the WAL error to every waiter).
func (p *pebbleDB) markBroken(db *pebble.DB, cause error) {
	p.stateMu.Lock()
	defer p.stateMu.Unlock()
	if db == nil || p.brokenDB == db {
		return
	}
	p.brokenDB = db
	cause = classify("commit", p.cfg.Dir, cause)
	p.broken.Store(&cause)
	select {
	case <-p.stop:
		return
	default:
	}
	p.repairs.Add(1)
	go p.repair(db)
}

// repair closes the broken DB and opens the directory again, retrying
// until it succeeds or the backend is closed.
func (p *pebbleDB) repair(old *pebble.DB) {
	defer p.repairs.Done()
	p.mu.Lock() // waits for the commits still running on old
	if p.db == old {
		p.db = nil
		p.current.Store(nil)
	}
	closed := p.closed
	p.mu.Unlock()
	closeQuietly(old)
	if closed {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-p.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		db, err := p.openDB(ctx)
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			if db != nil {
				closeQuietly(db)
			}
			p.abandonPending()
			return
		}
		if err == nil {
			p.db = db
			p.current.Store(db)
			p.broken.Store(nil)
			p.mu.Unlock()
			return
		}
		p.broken.Store(&err)
		p.mu.Unlock()
		select {
		case <-time.After(delay):
		case <-p.stop:
		}
	}
}

// Apply commits muts as one batch. Concurrent calls are fine: with Sync,
// pebble's commit pipeline groups their WAL syncs itself. While the DB is
// broken or being reopened, Apply fails at once.
func (p *pebbleDB) Apply(muts []Mutation) error {
	_, err := p.ApplySeq(muts)
	return err
}

// ApplySeq is Apply returning the batch's pebble sequence number.
func (p *pebbleDB) ApplySeq(muts []Mutation) (uint64, error) {
	if cause := p.broken.Load(); cause != nil {
		return 0, fmt.Errorf("pebble: unavailable until reopened after: %w", *cause)
	}
	if !p.mu.TryRLock() { // a repair or Close holds or awaits the lock
		return 0, errors.New("pebble: unavailable (reopening or closed)")
	}
	defer p.mu.RUnlock()
	if p.db == nil {
		return 0, pebble.ErrClosed
	}
	seq, err := p.apply(p.db, muts)
	if err != nil {
		return 0, fmt.Errorf("pebble: %w", classify("commit", p.cfg.Dir, err))
	}
	return seq, nil
}

func (p *pebbleDB) apply(db *pebble.DB, muts []Mutation) (seq uint64, err error) {
	defer func() {
		if r := recover(); r != nil {
			fe, ok := r.(fatalError)
			if !ok {
				panic(r)
			}
			p.markBroken(db, fe)
			err = fe
		}
	}()
	b := db.NewBatch()
	defer b.Close()
	for _, m := range muts {
		var err error
		if m.Delete {
			err = b.Delete(m.Key, nil)
		} else {
			err = b.Set(m.Key, m.Value, nil)
		}
		if err != nil {
			return 0, err
		}
	}
	if err := b.Commit(p.wo); err != nil {
		return 0, err
	}
	return uint64(b.SeqNum()), nil
}

func (p *pebbleDB) Scan(fn func(key, value []byte) error) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.db == nil {
		return errors.New("pebble: scan: unavailable")
	}
	return p.scan(p.db, fn)
}

func (p *pebbleDB) scan(db *pebble.DB, fn func(key, value []byte) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			fe, ok := r.(fatalError)
			if !ok {
				err = fmt.Errorf("pebble: scan: %w", &CorruptError{Path: p.cfg.Dir, What: fmt.Sprintf("pebble failed reading the store: %v", r)})
				return
			}
			err = fmt.Errorf("pebble: scan %s: %w", p.cfg.Dir, fe)
		}
	}()
	it, err := db.NewIter(nil)
	if err != nil {
		return p.openError(err)
	}
	for it.First(); it.Valid(); it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return p.openError(err)
	}
	return nil
}

// verify reads every key of db, returning a *CorruptError for damage.
func (p *pebbleDB) verify(ctx context.Context, db *pebble.DB) error {
	n := 0
	return p.scan(db, func(k, v []byte) error {
		if n++; n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("pebble: verify: %w", context.Cause(ctx))
			}
		}
		return nil
	})
}

func (p *pebbleDB) Persistent() bool { return true }

// Close closes the DB. A repair still waiting for disk space is abandoned:
// it closes what it opens.
func (p *pebbleDB) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	db := p.db
	p.db = nil
	p.current.Store(nil)
	p.mu.Unlock()
	close(p.stop)
	p.repairs.Wait()
	p.abandonPending()
	p.stateMu.Lock()
	broken := db != nil && db == p.brokenDB // its repair closed it
	p.stateMu.Unlock()
	if db == nil || broken {
		return nil
	}
	if err := closeDB(db, p.cfg.Dir); err != nil {
		return err
	}
	// Record the MANIFEST as the clean close left it, so that the next
	// open can tell if it was cut or changed since (best effort: a store
	// whose marker is not updated is only checked less).
	if m, err := manifestMarker(p.cfg.Dir, p.cfg.FS); err == nil {
		_ = writeMarker(p.cfg.Dir, m)
	}
	return nil
}

// closeDB closes db, turning a panic (a commit pipeline left broken by a
// fatal error) into an error.
func closeDB(db *pebble.DB, dir string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pebble: close: %v", r)
			if e, ok := r.(error); ok {
				err = fmt.Errorf("pebble: close: %w", classify("close", dir, e))
			}
		}
	}()
	if err := db.Close(); err != nil {
		return fmt.Errorf("pebble: close: %w", classify("close", dir, err))
	}
	return nil
}

// pebbleLogger drops pebble's informational chatter and turns Fatalf into
// an error: see pebbleDB.
type pebbleLogger struct{ p *pebbleDB }

func (pebbleLogger) Infof(string, ...interface{})  {}
func (pebbleLogger) Errorf(string, ...interface{}) {}
func (l pebbleLogger) Fatalf(format string, args ...interface{}) {
	fe := fatalError{msg: fmt.Sprintf(format, args...)}
	for _, a := range args {
		if err, ok := a.(error); ok {
			fe.cause = err
			break
		}
	}
	if inRecoveringCall() {
		panic(fe)
	}
	// A pebble background goroutine: nothing up its stack would recover
	// a panic. Take the DB out of service and let pebble's caller carry on
	// with the error it is about to return.
	if l.p.cfg.OnFault != nil {
		l.p.cfg.OnFault(fmt.Errorf("pebble: background: %w", classify("background", l.p.cfg.Dir, fe)))
	}
	l.p.markBroken(l.p.current.Load(), fe)
}

// inRecoveringCall reports whether the calling goroutine runs one of the
// backend's calls into pebble that recover a fatalError. It walks the
// stack, which is fine on this rare path.
func inRecoveringCall() bool {
	pcs := make([]uintptr, 256)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if i := strings.LastIndex(f.Function, "/backend."); i >= 0 {
			switch f.Function[i+len("/backend."):] {
			case "(*pebbleDB).apply", "(*pebbleDB).runOpen", "(*pebbleDB).scan":
				return true
			}
		}
		if !more {
			return false
		}
	}
}

// Compact flushes the memtable and compacts the whole key space, leaving a
// settled LSM (benchmarks use it to measure reload without background
// compactions competing).
func (p *pebbleDB) Compact() error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.db == nil {
		return pebble.ErrClosed
	}
	if err := p.db.Flush(); err != nil {
		return err
	}
	return p.db.Compact(context.Background(), []byte{}, []byte{0xff, 0xff, 0xff, 0xff}, true)
}
