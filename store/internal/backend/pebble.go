package backend

import (
	"fmt"
	"sync"
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
//
// Callers must not call Apply concurrently (the store never does): a commit
// that fails inside pebble can leave concurrent commits waiting forever.
type pebbleDB struct {
	cfg Config
	wo  *pebble.WriteOptions

	mu        sync.RWMutex // Apply and Scan hold it shared; swapping db exclusive
	db        *pebble.DB   // nil while broken
	broken    error        // why db is nil; set with mu held exclusively
	repairing bool
	closed    bool
	repaired  chan struct{} // closed when a repair goroutine ends
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
// repair. Called with mu held shared; it upgrades.
func (p *pebbleDB) markBroken(db *pebble.DB, cause error) {
	p.mu.RUnlock()
	p.mu.Lock()
	if p.db == db && !p.closed {
		p.db, p.broken = nil, cause
		if !p.repairing {
			p.repairing = true
			p.repaired = make(chan struct{})
			go p.repair(db, p.repaired)
		}
	}
	p.mu.Unlock()
	p.mu.RLock()
}

// repair closes the broken DB and opens the directory again, retrying
// until it succeeds or the backend is closed.
func (p *pebbleDB) repair(old *pebble.DB, done chan struct{}) {
	defer close(done)
	closeQuietly(old)
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		db, err := p.openDB()
		p.mu.Lock()
		if p.closed {
			p.repairing = false
			p.mu.Unlock()
			if db != nil {
				closeQuietly(db)
			}
			return
		}
		if err == nil {
			p.db, p.broken, p.repairing = db, nil, false
			p.mu.Unlock()
			return
		}
		p.broken = err
		p.mu.Unlock()
		time.Sleep(delay)
	}
}

func (p *pebbleDB) Apply(muts []Mutation) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.db == nil {
		if p.closed {
			return pebble.ErrClosed
		}
		return fmt.Errorf("pebble: unavailable until reopened after: %w", p.broken)
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
		return fmt.Errorf("pebble: scan: unavailable: %w", p.broken)
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
