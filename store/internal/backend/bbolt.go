package backend

import (
	"bytes"
	"context"
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
	db       *bolt.DB
	dir      string
	path     string // dir/spark.db
	recovery Recovery
}

// Recovery reports what the open found and did.
func (b *bboltDB) Recovery() Recovery { return b.recovery }

// openBbolt opens spark.db in cfg.Dir, replays any WAL segments left there
// (whatever the mode: a store last opened with group commit may be reopened
// with another), and returns the WAL backend when cfg.WAL is set.
//
// Before bbolt sees the file, it is checked (checkBoltFile): bbolt panics or
// faults on damaged files. A damaged, truncated, empty or missing spark.db
// where a store existed is a *CorruptError unless cfg.Recover is set; then
// the intact records are copied into a new spark.db and the damaged file is
// moved aside (salvageBbolt).
func openBbolt(ctx context.Context, cfg Config) (Backend, error) {
	path := filepath.Join(cfg.Dir, "spark.db")
	var rec Recovery
	// replayAll: the checkpoint number is lost with the file, so every WAL
	// segment is replayed (segments at or below a checkpoint exist only
	// between a checkpoint's commit and its deletions, which go in
	// ascending order, so replaying them in order still ends at the
	// newest value of every key).
	replayAll := false
	fi, err := os.Stat(path)
	switch {
	case err != nil && !os.IsNotExist(err):
		return nil, fmt.Errorf("bbolt: %w", classify("stat", path, err))
	case err != nil || fi.Size() == 0:
		segs, _ := walSegments(cfg.Dir)
		if !cfg.mustExist && len(segs) == 0 {
			break // a new store
		}
		state := "missing"
		if err == nil {
			state = "empty (0 bytes)"
		}
		why := fmt.Sprintf("%s, but the directory held a bbolt store (%s, %d WAL segments)", state, MarkerName, len(segs))
		if !cfg.mustExist {
			why = fmt.Sprintf("%s, but the directory holds %d WAL segments of a bbolt store", state, len(segs))
		}
		if !cfg.Recover {
			return nil, fmt.Errorf("bbolt: %w", &CorruptError{Path: path, What: why})
		}
		rec.Damage = append(rec.Damage, path+": "+why)
		rec.UnknownLoss++
		if err == nil {
			aside, err := damagedDir(cfg.Dir)
			if err != nil {
				return nil, fmt.Errorf("bbolt: recover: %w", err)
			}
			to, err := moveAside(path, aside)
			if err != nil {
				return nil, fmt.Errorf("bbolt: recover: %w", err)
			}
			rec.MovedAside = append(rec.MovedAside, path+" -> "+to)
		}
		replayAll = true
	default:
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("bbolt: open %s: %w", path, context.Cause(ctx))
		}
		chk, err := runCancellable(ctx, "bbolt: check "+path, func() (*boltCheck, error) {
			return checkBoltFile(path, nil)
		}, func(*boltCheck) {})
		if err != nil {
			return nil, fmt.Errorf("bbolt: check: %w", err)
		}
		if len(chk.Damage) > 0 {
			if !cfg.Recover {
				what := chk.Damage[0]
				if n := len(chk.Damage); n > 1 {
					what += fmt.Sprintf(" (and %d more damaged pages or structures)", n-1)
				}
				return nil, fmt.Errorf("bbolt: %w", &CorruptError{Path: path,
					What: fmt.Sprintf("%s; %d intact records can be salvaged", what, chk.Records)})
			}
			ok, err := salvageBbolt(ctx, cfg, path, &rec)
			if err != nil {
				return nil, err
			}
			replayAll = !ok
		}
	}
	db, err := runCancellable(ctx, "bbolt: open "+path, func() (*bolt.DB, error) {
		return bolt.Open(path, 0o644, &bolt.Options{
			// bbolt waits for the file lock; do not hang forever when
			// another process holds the directory.
			Timeout:        2 * time.Second,
			NoSync:         !cfg.Sync,
			NoFreelistSync: true,
			FreelistType:   bolt.FreelistMapType,
		})
	}, func(db *bolt.DB) { db.Close() })
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("bbolt: open %s: locked by another process: %w", path, err)
		}
		return nil, fmt.Errorf("bbolt: open %s: %w", path, classify("open", path, err))
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
		return nil, fmt.Errorf("bbolt: create bucket: %w", classify("commit", path, err))
	}
	b := &bboltDB{db: db, dir: cfg.Dir, path: path}
	next, err := b.recoverWAL(ctx, cfg.Recover, replayAll, &rec)
	if err != nil {
		db.Close()
		return nil, err
	}
	b.recovery = rec
	if cfg.WAL && cfg.Sync {
		return newWALBbolt(b, cfg, next), nil
	}
	return b, nil
}

// salvageBbolt copies the intact records of the damaged spark.db at path
// into a new file, keeps a link to the damaged one under a damaged-<time>
// directory, and renames the new file into place. It reports whether the
// WAL checkpoint number survived (else every segment is replayed).
func salvageBbolt(ctx context.Context, cfg Config, path string, rec *Recovery) (checkpointOK bool, err error) {
	aside, err := damagedDir(cfg.Dir)
	if err != nil {
		return false, fmt.Errorf("bbolt: recover: %w", err)
	}
	kept := filepath.Join(aside, "spark.db")
	if err := os.Link(path, kept); err != nil {
		return false, fmt.Errorf("bbolt: recover: %w", classify("link", path, err))
	}
	if err := syncDir(aside); err != nil {
		return false, fmt.Errorf("bbolt: recover: %w", classify("sync", aside, err))
	}
	tmp := path + ".salvage"
	os.Remove(tmp)
	db, err := bolt.Open(tmp, 0o644, &bolt.Options{Timeout: 2 * time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return false, fmt.Errorf("bbolt: recover: %w", classify("open", tmp, err))
	}
	defer func() {
		if db != nil {
			db.Close()
			os.Remove(tmp)
		}
	}()
	tx, err := db.Begin(true)
	if err != nil {
		return false, fmt.Errorf("bbolt: recover: %w", classify("commit", tmp, err))
	}
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	bk, err := tx.CreateBucket(bboltBucket)
	if err != nil {
		return false, fmt.Errorf("bbolt: recover: %w", err)
	}
	n := 0
	// In key order (the walk's), in transactions of 100k records.
	chk, err := checkBoltFile(path, func(k, v []byte) error {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("bbolt: recover %s: %w", path, context.Cause(ctx))
			}
		}
		if err := bk.Put(bytes.Clone(k), bytes.Clone(v)); err != nil {
			return err
		}
		n++
		if n%100000 == 0 {
			if err := tx.Commit(); err != nil {
				return classify("commit", tmp, err)
			}
			if tx, err = db.Begin(true); err != nil {
				return classify("commit", tmp, err)
			}
			bk = tx.Bucket(bboltBucket)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("bbolt: recover: %w", err)
	}
	mb, err := tx.CreateBucketIfNotExists(bboltMeta)
	if err == nil && chk.CheckpointOK {
		err = putCheckpointSeq(tx, chk.Checkpoint)
	}
	if err == nil {
		err = tx.Commit()
	}
	tx = nil
	_ = mb
	if err == nil {
		err = db.Close()
	}
	db = nil
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(cfg.Dir)
	}
	if err != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("bbolt: recover: %w", classify("write", tmp, err))
	}
	for _, d := range chk.Damage {
		rec.Damage = append(rec.Damage, path+": "+d)
	}
	rec.MovedAside = append(rec.MovedAside, path+" -> "+kept)
	rec.SalvagedRecords += int64(n)
	rec.DroppedRecords += chk.Dropped
	rec.UnknownLoss += chk.Unknown
	return chk.CheckpointOK, nil
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

// recoverWAL replays the WAL segments numbered above the checkpoint (all
// of them with replayAll), in order, into bbolt in one synced transaction
// that also records the last of them as checkpointed; then it deletes
// every segment up to that number (those at or below the checkpoint are
// already in bbolt: a crash came between a checkpoint's commit and its
// deletions). A segment's torn tail is dropped silently; damage followed by
// intact records fails the open with a *CorruptError unless recover is
// set, in which case every intact record is replayed and the damaged
// segment is kept under a damaged-<time> directory. It returns the number
// for the next segment.
func (b *bboltDB) recoverWAL(ctx context.Context, recover, replayAll bool, rec *Recovery) (next uint64, err error) {
	var ck uint64
	if err := b.db.View(func(tx *bolt.Tx) error { ck = checkpointSeq(tx); return nil }); err != nil {
		return 0, fmt.Errorf("bbolt wal: read checkpoint: %w: %w", ErrWALRecover, err)
	}
	if replayAll {
		ck = 0
	}
	segs, err := walSegments(b.dir)
	if err != nil {
		return 0, fmt.Errorf("bbolt wal: list segments: %w: %w", ErrWALRecover, classify("read", b.dir, err))
	}
	last := ck
	var replay []uint64
	for _, seq := range segs {
		if seq > ck {
			replay = append(replay, seq)
		}
		last = max(last, seq)
	}
	var damaged []string // paths of damaged segments
	if len(replay) > 0 {
		// Deduplicate first (last write wins) and write in key order: bbolt
		// splits nodes only at commit, so inserting a large set in log
		// order into one transaction is quadratic in the set's size.
		set := map[string]pendingMut{}
		for _, seq := range replay {
			if err := ctx.Err(); err != nil {
				return 0, fmt.Errorf("bbolt wal: replay: %w", context.Cause(ctx))
			}
			path := filepath.Join(b.dir, walSegmentName(seq))
			data, err := os.ReadFile(path)
			if err != nil {
				return 0, fmt.Errorf("bbolt wal: read segment %d: %w: %w", seq, ErrWALRecover, classify("read", path, err))
			}
			// Values alias data, which stays alive until the commit.
			sc, _ := scanWALSegment(data, func(muts []Mutation) error {
				for _, m := range muts {
					set[string(m.Key)] = pendingMut{value: m.Value, del: m.Delete}
				}
				return nil
			})
			rec.WALRecords += sc.Records
			if sc.Torn {
				rec.TornTails++
			}
			if len(sc.Damaged) == 0 {
				continue
			}
			d := sc.Damaged[0]
			what := fmt.Sprintf("damaged at offset %d: %s, and intact records follow (%d damaged spans, %d intact records in the segment): acknowledged writes are damaged",
				d.Off, d.Why, len(sc.Damaged), sc.Records)
			if !recover {
				return 0, fmt.Errorf("bbolt wal: %w", &CorruptError{Path: path, What: what})
			}
			rec.Damage = append(rec.Damage, path+": "+what)
			for _, d := range sc.Damaged {
				if d.Muts >= 0 {
					rec.DroppedRecords += int64(d.Muts)
				} else {
					rec.UnknownLoss++
				}
			}
			damaged = append(damaged, path)
		}
		// Damaged segments are linked aside before the replay commits:
		// after it, the next open would delete them unread.
		if len(damaged) > 0 {
			aside, err := damagedDir(b.dir)
			if err != nil {
				return 0, fmt.Errorf("bbolt wal: recover: %w", err)
			}
			for _, p := range damaged {
				to := filepath.Join(aside, filepath.Base(p))
				if err := os.Link(p, to); err != nil {
					return 0, fmt.Errorf("bbolt wal: recover: %w", classify("link", p, err))
				}
				rec.MovedAside = append(rec.MovedAside, p+" -> "+to)
			}
			if err := syncDir(aside); err != nil {
				return 0, fmt.Errorf("bbolt wal: recover: %w", classify("sync", aside, err))
			}
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
			return 0, fmt.Errorf("bbolt wal: replay segments %d..%d: %w: %w", replay[0], last, ErrWALRecover, classify("commit", b.path, err))
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
	err := b.db.Update(func(tx *bolt.Tx) error {
		return applyMuts(tx.Bucket(bboltBucket), muts)
	})
	if err != nil {
		return fmt.Errorf("bbolt: %w", classify("commit", b.path, err))
	}
	return nil
}

// ApplyBulk writes muts, which must be sorted by key, in one transaction.
// Sorted puts fill bbolt's nodes in order, so the bucket's fill percent is
// raised for the transaction: nodes split when 90% full instead of half,
// which writes about half as many pages (a later random insert into a full
// page splits it as usual).
func (b *bboltDB) ApplyBulk(muts []Mutation) error {
	err := b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bboltBucket)
		bk.FillPercent = 0.9
		return applyMuts(bk, muts)
	})
	if err != nil {
		return fmt.Errorf("bbolt: bulk: %w", classify("commit", b.path, err))
	}
	return nil
}

func (b *bboltDB) Scan(fn func(key, value []byte) error) error {
	return b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bboltBucket).ForEach(fn)
	})
}

func (b *bboltDB) Persistent() bool { return true }
func (b *bboltDB) Close() error     { return b.db.Close() }
