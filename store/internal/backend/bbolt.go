package backend

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bboltBucket = []byte("spark")
	// bboltMeta holds bboltCheckpointKey: the number of the last WAL
	// segment whose mutations are in the spark bucket (u64 little-endian).
	bboltMeta          = []byte("spark-meta")
	bboltCheckpointKey = []byte("wal-checkpoint")
)

// bboltDB keeps every record in one bucket; the disk key encoding keeps
// sites apart.
type bboltDB struct {
	db  *bolt.DB
	dir string
}

// openBbolt opens spark.db in cfg.Dir, replays any WAL segments left there
// (whatever the mode: a store last opened with group commit may be reopened
// with another), and returns the WAL backend when cfg.WAL is set.
func openBbolt(cfg Config) (Backend, error) {
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("bbolt: %w", err)
	}
	path := filepath.Join(cfg.Dir, "spark.db")
	db, err := bolt.Open(path, 0o644, &bolt.Options{
		// bbolt waits for the file lock; do not hang forever when another
		// process holds the directory.
		Timeout:        2 * time.Second,
		NoSync:         !cfg.Sync,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("bbolt: open %s: locked by another process: %w", path, err)
		}
		return nil, fmt.Errorf("bbolt: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bboltBucket); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(bboltMeta)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bbolt: create bucket: %w", err)
	}
	b := &bboltDB{db: db, dir: cfg.Dir}
	next, err := b.recoverWAL()
	if err != nil {
		db.Close()
		return nil, err
	}
	if cfg.WAL && cfg.Sync {
		return newWALBbolt(b, cfg, next), nil
	}
	return b, nil
}

// checkpointSeq reads the number of the last segment folded into bbolt.
func checkpointSeq(tx *bolt.Tx) uint64 {
	v := tx.Bucket(bboltMeta).Get(bboltCheckpointKey)
	if len(v) != 8 {
		return 0
	}
	return binary.LittleEndian.Uint64(v)
}

func putCheckpointSeq(tx *bolt.Tx, seq uint64) error {
	return tx.Bucket(bboltMeta).Put(bboltCheckpointKey, binary.LittleEndian.AppendUint64(nil, seq))
}

// recoverWAL replays the WAL segments numbered above the checkpoint, in
// order and each up to its first torn record, into bbolt in one synced
// transaction that also records the last of them as checkpointed; then it
// deletes every segment up to that number (those at or below the
// checkpoint are already in bbolt: a crash came between a checkpoint's
// commit and its deletions). It returns the number for the next segment.
func (b *bboltDB) recoverWAL() (next uint64, err error) {
	var ck uint64
	if err := b.db.View(func(tx *bolt.Tx) error { ck = checkpointSeq(tx); return nil }); err != nil {
		return 0, fmt.Errorf("bbolt wal: read checkpoint: %w: %w", ErrWALRecover, err)
	}
	segs, err := walSegments(b.dir)
	if err != nil {
		return 0, fmt.Errorf("bbolt wal: list segments: %w: %w", ErrWALRecover, err)
	}
	last := ck
	var replay []uint64
	for _, seq := range segs {
		if seq > ck {
			replay = append(replay, seq)
		}
		last = max(last, seq)
	}
	if len(replay) > 0 {
		// Deduplicate first (last write wins) and write in key order: bbolt
		// splits nodes only at commit, so inserting a large set in log
		// order into one transaction is quadratic in the set's size.
		set := map[string]pendingMut{}
		for _, seq := range replay {
			data, err := os.ReadFile(filepath.Join(b.dir, walSegmentName(seq)))
			if err != nil {
				return 0, fmt.Errorf("bbolt wal: read segment %d: %w: %w", seq, ErrWALRecover, err)
			}
			// Values alias data, which stays alive until the commit.
			decodeWALSegment(data, func(muts []Mutation) error {
				for _, m := range muts {
					set[string(m.Key)] = pendingMut{value: m.Value, del: m.Delete}
				}
				return nil
			})
		}
		err := b.db.Update(func(tx *bolt.Tx) error {
			if err := writeSet(tx.Bucket(bboltBucket), set); err != nil {
				return err
			}
			return putCheckpointSeq(tx, last)
		})
		if err == nil && b.db.NoSync {
			err = b.db.Sync()
		}
		if err != nil {
			return 0, fmt.Errorf("bbolt wal: replay segments %d..%d: %w: %w", replay[0], last, ErrWALRecover, err)
		}
	}
	// Best effort: a segment left behind is at or below the checkpoint and
	// is skipped (and deleted again) by the next open.
	_ = removeSegments(b.dir, last)
	_ = os.Remove(filepath.Join(b.dir, walSpareName)) // a crash's unused spare
	return last + 1, nil
}

// writeSet writes set into bk in key order (bbolt then fills pages in
// order: fewer splits, fewer pages).
func writeSet(bk *bolt.Bucket, set map[string]pendingMut) error {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		m := set[k]
		var err error
		if m.del {
			err = bk.Delete([]byte(k))
		} else {
			err = bk.Put([]byte(k), m.value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func applyMuts(bk *bolt.Bucket, muts []Mutation) error {
	for _, m := range muts {
		var err error
		if m.Delete {
			err = bk.Delete(m.Key)
		} else {
			err = bk.Put(m.Key, m.Value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *bboltDB) Apply(muts []Mutation) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		return applyMuts(tx.Bucket(bboltBucket), muts)
	})
}

func (b *bboltDB) Scan(fn func(key, value []byte) error) error {
	return b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bboltBucket).ForEach(fn)
	})
}

func (b *bboltDB) Persistent() bool { return true }
func (b *bboltDB) Close() error     { return b.db.Close() }
