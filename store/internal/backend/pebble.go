package backend

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// pebbleDB is the LSM backend.
//
// Pebble treats a failed WAL write (a full disk, an I/O error) as fatal: its
// commit pipeline is left unusable and it calls Logger.Fatalf. Our logger
// panics with a fatalError instead of exiting; Apply turns that into an
// error and marks the DB broken, and a background goroutine closes and
// reopens it (replaying the WAL up to the last complete record). Reopening
// needs disk space for a flush, so it may wait until space is freed; until
// it is done Apply fails fast. Nothing acknowledged is lost: a write is
// acknowledged only after its commit returned.
type pebbleDB struct {
	cfg Config
	wo  *pebble.WriteOptions

	mu     sync.RWMutex // Apply and Scan hold it shared; swapping db exclusive
	db     *pebble.DB   // nil while broken or closed
	closed bool

	broken   atomic.Pointer[error] // set from the fatal error until reopened
	stateMu  sync.Mutex
	brokenDB *pebble.DB // the DB the last repair was started for
}

// fatalError is what quietLogger.Fatalf panics with.
type fatalError struct{ msg string }

func (e fatalError) Error() string { return e.msg }

func openPebble(cfg Config) (*pebbleDB, error) {
	p := &pebbleDB{cfg: cfg, wo: pebble.NoSync}
	if cfg.Sync {
		p.wo = pebble.Sync
	}
	db, err := p.openDB()
	if err != nil {
		return nil, err
	}
	p.db = db
	return p, nil
}

func (p *pebbleDB) openDB() (db *pebble.DB, err error) {
	opts := &pebble.Options{Logger: quietLogger{}}
	if p.cfg.FS != nil {
		opts.FS = p.cfg.FS
	}
	defer func() {
		if r := recover(); r != nil {
			fe, ok := r.(fatalError)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("pebble: open %s: %w", p.cfg.Dir, fe)
		}
	}()
	db, err = pebble.Open(p.cfg.Dir, opts)
	if err != nil {
		return nil, fmt.Errorf("pebble: open %s: %w", p.cfg.Dir, err)
	}
	return db, nil
}

// closeQuietly closes a DB that may be broken; a broken commit pipeline
// can make Close fail or panic, and there is nothing left to save in it.
func closeQuietly(db *pebble.DB) {
	defer func() { recover() }()
	db.Close()
}

// markBroken takes the DB out of service after a fatal error and starts the
// repair. Other commits may be in flight on the same DB; the repair waits
// for them (they fail too: pebble reports the WAL error to every waiter).
func (p *pebbleDB) markBroken(db *pebble.DB, cause error) {
	p.stateMu.Lock()
	defer p.stateMu.Unlock()
	if p.brokenDB == db {
		return
	}
	p.brokenDB = db
	p.broken.Store(&cause)
	go p.repair(db)
}

// repair closes the broken DB and opens the directory again, retrying
// until it succeeds or the backend is closed.
func (p *pebbleDB) repair(old *pebble.DB) {
	p.mu.Lock() // waits for the commits still running on old
	if p.db == old {
		p.db = nil
	}
	closed := p.closed
	p.mu.Unlock()
	closeQuietly(old)
	if closed {
		return
	}
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		db, err := p.openDB()
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			if db != nil {
				closeQuietly(db)
			}
			return
		}
		if err == nil {
			p.db = db
			p.broken.Store(nil)
			p.mu.Unlock()
			return
		}
		p.broken.Store(&err)
		p.mu.Unlock()
		time.Sleep(delay)
	}
}

// Apply commits muts as one batch. Concurrent calls are fine: with Sync,
// pebble's commit pipeline groups their WAL syncs itself. While the DB is
// broken or being reopened, Apply fails at once.
func (p *pebbleDB) Apply(muts []Mutation) error {
	if cause := p.broken.Load(); cause != nil {
		return fmt.Errorf("pebble: unavailable until reopened after: %w", *cause)
	}
	if !p.mu.TryRLock() { // a repair or Close holds or awaits the lock
		return errors.New("pebble: unavailable (reopening or closed)")
	}
	defer p.mu.RUnlock()
	if p.db == nil {
		return pebble.ErrClosed
	}
	return p.apply(p.db, muts)
}

func (p *pebbleDB) apply(db *pebble.DB, muts []Mutation) (err error) {
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
			return err
		}
	}
	return b.Commit(p.wo)
}

func (p *pebbleDB) Scan(fn func(key, value []byte) error) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.db == nil {
		return errors.New("pebble: scan: unavailable")
	}
	it, err := p.db.NewIter(nil)
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	return it.Close()
}

func (p *pebbleDB) Persistent() bool { return true }

// Close closes the DB. A repair still waiting for disk space is abandoned:
// it closes what it opens.
func (p *pebbleDB) Close() error {
	p.mu.Lock()
	p.closed = true
	db := p.db
	p.db = nil
	p.mu.Unlock()
	if db == nil {
		return nil
	}
	return db.Close()
}

// quietLogger drops pebble's informational chatter and turns Fatalf into a
// panic that Apply recovers (see pebbleDB).
type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{})  {}
func (quietLogger) Errorf(string, ...interface{}) {}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	panic(fatalError{msg: fmt.Sprintf(format, args...)})
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
