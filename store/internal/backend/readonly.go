package backend

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	bolt "go.etcd.io/bbolt"
)

// ErrLocked: another process (a running sparkbench) holds the store
// directory.
var ErrLocked = errors.New("store directory in use by another process")

// ErrNotStore: the directory holds no store of the backend.
var ErrNotStore = errors.New("not a store directory")

// Reader reads a store directory without changing it: the records as a
// clean reopen would find them (for bbolt, the WAL segments not yet
// checkpointed are laid over the B+tree in memory, each up to its first
// torn record, as recovery would replay them).
type Reader interface {
	// Get returns the value of a disk key.
	Get(key []byte) (value []byte, ok bool, err error)
	// Scan calls fn for every record whose disk key starts with prefix, in
	// key order; key and value are valid only during the call.
	Scan(prefix []byte, fn func(key, value []byte) error) error
	Close() error
}

// OpenReader opens dir read-only as the named backend ("bbolt" or
// "pebble"). A directory held by a running store gives ErrLocked: bbolt
// waits up to lockTimeout for its file lock, pebble's LOCK fails at once.
func OpenReader(name, dir string, lockTimeout time.Duration) (Reader, error) {
	switch name {
	case Bbolt:
		return openBboltReader(dir, lockTimeout)
	case Pebble:
		return openPebbleReader(dir)
	}
	return nil, fmt.Errorf("backend %q has no files to read: %w", name, ErrUnknown)
}

// bboltReader is a read-only bbolt view with the WAL laid over it.
type bboltReader struct {
	db      *bolt.DB
	overlay map[string]pendingMut // records of the WAL not yet in bbolt
}

func openBboltReader(dir string, lockTimeout time.Duration) (Reader, error) {
	path := filepath.Join(dir, "spark.db")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("bbolt: %s: %w", dir, ErrNotStore)
	}
	// bbolt panics on a damaged file, so the file is walked first, under
	// a shared lock of our own: a running store holds it exclusively, and
	// its file may be mid-commit.
	unlock, err := lockShared(path, lockTimeout)
	if err != nil {
		return nil, err
	}
	defer unlock()
	chk, err := checkBoltFile(path, nil)
	if err != nil {
		return nil, fmt.Errorf("bbolt: %w", err)
	}
	if len(chk.Damage) > 0 {
		return nil, fmt.Errorf("bbolt: %w", &CorruptError{Path: path, What: strings.Join(chk.Damage, "; ")})
	}
	db, err := bolt.Open(path, 0o444, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("bbolt: %s: %w (its file lock was still held after %v)", path, ErrLocked, lockTimeout)
		}
		return nil, fmt.Errorf("bbolt: open %s read-only: %w", path, err)
	}
	r := &bboltReader{db: db, overlay: map[string]pendingMut{}}
	var ck uint64
	err = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bboltBucket) == nil {
			return fmt.Errorf("bbolt: %s: no %q bucket: %w", path, bboltBucket, ErrNotStore)
		}
		if tx.Bucket(bboltMeta) != nil {
			ck = checkpointSeq(tx)
		}
		return nil
	})
	if err == nil {
		err = r.loadWAL(dir, ck)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return r, nil
}

// loadWAL reads the segments numbered above the checkpoint into the
// overlay, last write per key winning.
func (r *bboltReader) loadWAL(dir string, ck uint64) error {
	segs, err := walSegments(dir)
	if err != nil {
		return fmt.Errorf("bbolt wal: list segments: %w", err)
	}
	for _, seq := range segs {
		if seq <= ck {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, walSegmentName(seq)))
		if err != nil {
			return fmt.Errorf("bbolt wal: read segment %d: %w", seq, err)
		}
		// The mutations alias data, which the overlay keeps.
		sc, err := scanWALSegment(data, func(muts []Mutation) error {
			for _, m := range muts {
				r.overlay[string(m.Key)] = pendingMut{value: m.Value, del: m.Delete}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("bbolt wal: segment %d: %w", seq, err)
		}
		if len(sc.Damaged) > 0 {
			d := sc.Damaged[0]
			return fmt.Errorf("bbolt wal: %w", &CorruptError{Path: filepath.Join(dir, walSegmentName(seq)),
				What: fmt.Sprintf("%s at offset %d (%d damaged span(s); a sparkbench run with --recover keeps the intact records)", d.Why, d.Off, len(sc.Damaged))})
		}
	}
	return nil
}

func (r *bboltReader) Get(key []byte) ([]byte, bool, error) {
	if m, ok := r.overlay[string(key)]; ok {
		return m.value, !m.del, nil
	}
	var out []byte
	var found bool
	err := r.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bboltBucket).Get(key); v != nil {
			out, found = slices.Clone(v), true
		}
		return nil
	})
	return out, found, err
}

func (r *bboltReader) Scan(prefix []byte, fn func(key, value []byte) error) error {
	var over []string
	for k := range r.overlay {
		if strings.HasPrefix(k, string(prefix)) {
			over = append(over, k)
		}
	}
	slices.Sort(over)
	return r.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bboltBucket).Cursor()
		k, v := c.Seek(prefix)
		for {
			inTree := k != nil && bytes.HasPrefix(k, prefix)
			if !inTree && len(over) == 0 {
				return nil
			}
			// The smaller key goes first; the overlay wins a tie.
			if len(over) > 0 && (!inTree || over[0] <= string(k)) {
				ok := over[0]
				if inTree && ok == string(k) {
					k, v = c.Next()
				}
				over = over[1:]
				if m := r.overlay[ok]; !m.del {
					if err := fn([]byte(ok), m.value); err != nil {
						return err
					}
				}
				continue
			}
			if err := fn(k, v); err != nil {
				return err
			}
			k, v = c.Next()
		}
	})
}

func (r *bboltReader) Close() error { return r.db.Close() }

// pebbleReader is a read-only pebble DB (its WAL replayed in memory).
type pebbleReader struct{ db *pebble.DB }

// IsPebbleDir reports whether dir holds a pebble database (its manifest
// marker, or the CURRENT file of older formats).
func IsPebbleDir(dir string) bool {
	if m, _ := filepath.Glob(filepath.Join(dir, "marker.manifest.*")); len(m) > 0 {
		return true
	}
	_, err := os.Stat(filepath.Join(dir, "CURRENT"))
	return err == nil
}

func openPebbleReader(dir string) (Reader, error) {
	if !IsPebbleDir(dir) {
		return nil, fmt.Errorf("pebble: %s: %w", dir, ErrNotStore)
	}
	db, err := openPebbleReadOnly(dir)
	if err != nil {
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) || strings.Contains(err.Error(), "lock held by current process") {
			return nil, fmt.Errorf("pebble: %s: %w (its LOCK is held)", dir, ErrLocked)
		}
		return nil, fmt.Errorf("pebble: open %s read-only: %w", dir, err)
	}
	return &pebbleReader{db: db}, nil
}

func (r *pebbleReader) Get(key []byte) ([]byte, bool, error) {
	v, closer, err := r.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer closer.Close()
	return slices.Clone(v), true, nil
}

func (r *pebbleReader) Scan(prefix []byte, fn func(key, value []byte) error) error {
	opts := &pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)}
	it, err := r.db.NewIter(opts)
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Error(); err != nil {
		it.Close()
		return err
	}
	return it.Close()
}

func (r *pebbleReader) Close() error { return r.db.Close() }

// prefixEnd is the smallest key after every key with prefix p; nil when
// there is none (p is all 0xff).
func prefixEnd(p []byte) []byte {
	end := slices.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// openPebbleReadOnly opens dir read-only; a fatal error pebble raises while
// opening (a damaged MANIFEST, say) is returned, not a crash.
func openPebbleReadOnly(dir string) (db *pebble.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			fe, ok := r.(fatalError)
			if !ok {
				panic(r)
			}
			db, err = nil, &CorruptError{Path: dir, What: fe.msg, Err: fe}
		}
	}()
	return pebble.Open(dir, &pebble.Options{ReadOnly: true, ErrorIfNotExists: true, Logger: readerLogger{}})
}

// readerLogger drops pebble's chatter and turns Fatalf into a fatalError
// panic, which openPebbleReadOnly recovers.
type readerLogger struct{}

func (readerLogger) Infof(string, ...interface{})  {}
func (readerLogger) Errorf(string, ...interface{}) {}
func (readerLogger) Fatalf(format string, args ...interface{}) {
	panic(fatalError{msg: fmt.Sprintf(format, args...)})
}
