package backend

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// walBbolt is bbolt behind a write-ahead log (Config.WAL): the durable
// write path of bbolt in group mode.
//
// Apply appends one record holding muts to the current WAL segment with one
// write and one fdatasync, then records muts in an in-memory pending set
// (last write per key wins; a delete is a tombstone). Put behind Group,
// one Apply carries a whole group of writers, so they share the append and
// the sync. Apply never takes bbolt's writer lock.
//
// A background checkpointer folds the pending set into bbolt: under mu it
// takes the pending set and rotates to a new segment (so appends continue
// at once), then, without mu, writes the set sorted by key in one bbolt
// transaction committed with bbolt's own fsync, which also records the
// number of the last segment it covers; only after that commit does it
// delete the covered segments. A checkpoint starts when the WAL since the
// last one reaches CheckpointBytes or when something has been pending for
// CheckpointInterval. A failed checkpoint keeps the segments and the set
// (merged with what arrived since) and is retried with a backoff.
//
// Memory is bounded: when the pending mutations reach maxPending bytes,
// Apply waits for the running checkpoint, and refuses with ErrWALBacklog
// while checkpoints fail.
//
// A failed append (disk full, I/O error) fails the Apply and changes nothing
// in the pending set; the partial record is truncated away (best effort)
// and the segment is abandoned, so the next Apply starts a new one and no
// acknowledged record ever follows garbage.
//
// Scan first checkpoints, so it sees every applied mutation; the store only
// scans at open, when recovery has left nothing pending.
type walBbolt struct {
	*bboltDB
	fault      func(op string) error
	onFault    func(error)
	ckBytes    int64
	ckInterval time.Duration
	maxPending int64

	mu   sync.Mutex
	cond *sync.Cond // broadcast when a checkpoint ends and at close
	// The current segment: f is nil until the first append to seq, and
	// after a failed append (seq then moves on).
	f   *os.File
	seq uint64
	off int64 // bytes in f
	// walBytes counts bytes appended since the last rotation.
	walBytes int64
	// cur holds the mutations applied since the last rotation; frozen
	// those taken by the running checkpoint or left by a failed one. Only
	// the checkpointer (under ckMu) touches frozen, and it changes the
	// field itself under mu.
	cur, frozen           map[string]pendingMut
	curBytes, frozenBytes int64
	ckErr                 error // the last checkpoint's failure; nil after a success
	closing, closed       bool
	// spare is set when walSpareName is ready to become the next segment.
	spare      bool
	spareBytes int64
	buf        []byte

	ckMu sync.Mutex // one checkpoint at a time
	kick chan struct{}
	stop chan struct{}
	done chan struct{}

	statsMu sync.Mutex
	stats   CheckpointStats
}

type pendingMut struct {
	value []byte
	del   bool
}

// pendingOverhead approximates the memory of one pending entry beyond its
// key and value (map slot, string header, slice header).
const pendingOverhead = 64

// CheckpointStats describes the checkpoints of a WAL backend so far.
type CheckpointStats struct {
	// Checkpoints counts successful checkpoints, Failures failed ones.
	Checkpoints, Failures int64
	// Mutations counts the distinct keys the checkpoints wrote (after
	// deduplication); WALBytes the bytes appended to the WAL.
	Mutations, WALBytes int64
	// Total and Max are the summed and the longest checkpoint duration.
	Total, Max time.Duration
	// Appends counts WAL appends (one per group commit).
	Appends int64
}

// CheckpointStater is implemented by backends that checkpoint a WAL.
type CheckpointStater interface{ CheckpointStats() CheckpointStats }

func newWALBbolt(b *bboltDB, cfg Config, next uint64) *walBbolt {
	w := &walBbolt{
		bboltDB:    b,
		fault:      cfg.WALFault,
		onFault:    cfg.OnFault,
		ckBytes:    cfg.CheckpointBytes,
		ckInterval: cfg.CheckpointInterval,
		seq:        next,
		cur:        make(map[string]pendingMut),
		kick:       make(chan struct{}, 1),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	if w.ckBytes <= 0 {
		w.ckBytes = DefaultCheckpointBytes
	}
	if w.ckInterval == 0 {
		w.ckInterval = DefaultCheckpointInterval
	}
	// Room for the set being checkpointed and several thresholds'
	// worth of arrivals while it commits.
	w.maxPending = max(8*w.ckBytes, 64<<20)
	// A segment takes the appends of one checkpoint interval plus those
	// that arrive while the checkpoint runs.
	w.spareBytes = min(2*w.ckBytes, 4<<20)
	w.cond = sync.NewCond(&w.mu)
	go w.loop()
	return w
}

func (w *walBbolt) injected(op string) error {
	if w.fault == nil {
		return nil
	}
	return w.fault(op)
}

// Apply makes muts durable in the WAL, then pending.
func (w *walBbolt) Apply(muts []Mutation) error {
	if len(muts) == 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		if w.closed {
			return fmt.Errorf("bbolt wal: %w", ErrClosed)
		}
		if w.curBytes+w.frozenBytes < w.maxPending {
			break
		}
		if w.ckErr != nil {
			return fmt.Errorf("bbolt wal: %d bytes pending: %w: %w", w.curBytes+w.frozenBytes, ErrWALBacklog, w.ckErr)
		}
		w.kickCheckpoint()
		w.cond.Wait()
	}
	if err := w.appendLocked(muts); err != nil {
		return err
	}
	for _, m := range muts {
		k := string(m.Key)
		w.cur[k] = pendingMut{value: m.Value, del: m.Delete}
		w.curBytes += int64(len(k)+len(m.Value)) + pendingOverhead
	}
	if w.walBytes >= w.ckBytes {
		w.kickCheckpoint()
	}
	return nil
}

// appendLocked writes and syncs the record of muts. On failure it truncates
// the segment back and abandons it.
func (w *walBbolt) appendLocked(muts []Mutation) error {
	if w.f == nil {
		if err := w.createLocked(); err != nil {
			return err
		}
	}
	w.buf = appendWALRecord(w.buf[:0], muts)
	op := "write"
	err := w.injected("write")
	if err == nil {
		_, err = w.f.Write(w.buf)
	}
	if err == nil {
		op = "sync"
		if err = w.injected("sync"); err == nil {
			err = fdatasync(w.f)
		}
	}
	n := int64(len(w.buf))
	if cap(w.buf) > 1<<20 {
		w.buf = nil // do not pin a large batch's buffer
	}
	if err != nil {
		seq, path := w.seq, w.f.Name()
		w.abandonLocked()
		return fmt.Errorf("bbolt wal: append segment %d: %w: %w", seq, ErrWALWrite, classify(op, path, err))
	}
	w.off += n
	w.walBytes += n
	w.statsMu.Lock()
	w.stats.Appends++
	w.stats.WALBytes += n
	w.statsMu.Unlock()
	return nil
}

// walSpareName is the pre-zeroed file the checkpointer prepares for the
// next segment. It is not a segment name: recovery ignores it and open
// deletes it.
const walSpareName = "wal-spare.tmp"

// createLocked creates segment w.seq and makes its directory entry
// durable. It renames the spare into place when one is ready: appending
// over blocks that are already allocated, written and synced changes no
// file metadata, so each append's fdatasync flushes data only and need not
// wait for a file system journal commit (which would also wait for
// whatever the checkpoint has written meanwhile). The zeros after the last
// record read as the end of the segment (a zero length).
func (w *walBbolt) createLocked() error {
	path := filepath.Join(w.dir, walSegmentName(w.seq))
	err := w.injected("create")
	var f *os.File
	if err == nil && w.spare {
		w.spare = false
		spare := filepath.Join(w.dir, walSpareName)
		if err = os.Rename(spare, path); err == nil {
			f, err = os.OpenFile(path, os.O_WRONLY, 0)
		} else {
			os.Remove(spare)
			err = nil // fall back to a fresh file
		}
	}
	if err == nil && f == nil {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	}
	if err == nil {
		if err = syncDir(w.dir); err != nil {
			f.Close()
			os.Remove(path)
		}
	}
	if err != nil {
		// Skip the number: whatever a failed create left is never
		// appended to.
		seq := w.seq
		w.seq++
		return fmt.Errorf("bbolt wal: create segment %d: %w: %w", seq, ErrWALWrite, classify("create", path, err))
	}
	w.f, w.off = f, 0
	return nil
}

// prepareSpare writes and syncs a zero-filled spare segment of
// spareBytes, unless one is ready. Failures (disk full) only mean the next
// segment starts empty. Called by the checkpointer only.
func (w *walBbolt) prepareSpare() {
	w.mu.Lock()
	ready := w.spare || w.closed
	w.mu.Unlock()
	if ready || w.spareBytes <= 0 {
		return
	}
	path := filepath.Join(w.dir, walSpareName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return
	}
	zeros := make([]byte, 256<<10)
	for left := w.spareBytes; err == nil && left > 0; left -= int64(len(zeros)) {
		_, err = f.Write(zeros[:min(left, int64(len(zeros)))])
	}
	if err == nil {
		err = f.Sync() // data and size
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return
	}
	w.mu.Lock()
	w.spare = true
	w.mu.Unlock()
}

// abandonLocked drops a segment whose last append failed: the partial
// record is cut off if possible, and later appends go to a new segment. A
// segment that holds no acknowledged record is removed: on a full disk
// every write would otherwise leave an empty segment behind.
func (w *walBbolt) abandonLocked() {
	if w.off == 0 {
		name := w.f.Name()
		_ = w.f.Close()
		_ = os.Remove(name)
	} else {
		_ = w.f.Truncate(w.off)
		_ = fdatasync(w.f)
		_ = w.f.Close()
	}
	w.f = nil
	w.seq++
}

func (w *walBbolt) kickCheckpoint() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// loop runs checkpoints when kicked (WAL size), on the interval timer and,
// after a failure, again with a backoff.
func (w *walBbolt) loop() {
	defer close(w.done)
	var tick <-chan time.Time
	if w.ckInterval > 0 {
		t := time.NewTicker(w.ckInterval)
		defer t.Stop()
		tick = t.C
	}
	backoff := time.Duration(0)
	for {
		var retry <-chan time.Time
		if backoff > 0 {
			retry = time.After(backoff)
		}
		select {
		case <-w.stop:
			return
		case <-w.kick:
			if backoff > 0 {
				// Failing: wait out the backoff rather than retry at
				// every append.
				select {
				case <-w.stop:
					return
				case <-time.After(backoff):
				}
			}
		case <-tick:
		case <-retry:
		}
		if err := w.checkpoint(); err != nil {
			backoff = min(max(2*backoff, 50*time.Millisecond), 2*time.Second)
		} else {
			backoff = 0
			w.prepareSpare() // for the segment after the one just started
		}
	}
}

// Checkpoint folds everything applied so far into bbolt now.
func (w *walBbolt) Checkpoint() error { return w.checkpoint() }

// checkpoint folds the pending mutations into bbolt and deletes the WAL
// segments they came from.
func (w *walBbolt) checkpoint() error {
	w.ckMu.Lock()
	defer w.ckMu.Unlock()
	return w.checkpointLocked()
}

// checkpointLocked is checkpoint with ckMu held.
func (w *walBbolt) checkpointLocked() error {
	start := time.Now()

	w.mu.Lock()
	if len(w.cur) == 0 && w.frozen == nil {
		w.mu.Unlock()
		return nil
	}
	if w.frozen == nil {
		w.frozen, w.frozenBytes = w.cur, w.curBytes
	} else {
		for k, m := range w.cur { // newer than what a failed checkpoint left
			w.frozen[k] = m
		}
		w.frozenBytes += w.curBytes
	}
	w.cur, w.curBytes = make(map[string]pendingMut, len(w.frozen)), 0
	// Rotate: every record of the taken set is in a segment numbered up to
	// covered; later appends go to covered+1 and up.
	covered := w.seq
	if w.f != nil {
		_ = w.f.Close() // every append was synced; nothing is lost if this fails
		w.f = nil
	}
	w.seq++
	w.walBytes = 0
	set := w.frozen
	w.mu.Unlock()

	err := w.db.Update(func(tx *bolt.Tx) error {
		if err := w.injected("checkpoint"); err != nil {
			return err
		}
		if err := writeSet(tx.Bucket(bboltBucket), set); err != nil {
			return err
		}
		return putCheckpointSeq(tx, covered)
	})
	took := time.Since(start)
	if err != nil {
		err = fmt.Errorf("bbolt wal: checkpoint through segment %d: %w: %w", covered, ErrCheckpoint, classify("checkpoint", w.path, err))
	}

	w.mu.Lock()
	if err == nil {
		w.frozen, w.frozenBytes = nil, 0
	}
	w.ckErr = err
	w.cond.Broadcast()
	w.mu.Unlock()

	w.statsMu.Lock()
	if err != nil {
		w.stats.Failures++
	} else {
		w.stats.Checkpoints++
		w.stats.Mutations += int64(len(set))
		w.stats.Total += took
		w.stats.Max = max(w.stats.Max, took)
	}
	w.statsMu.Unlock()
	if err != nil {
		if w.onFault != nil {
			w.onFault(err)
		}
		return err
	}
	// Only now are the covered segments redundant. A segment that cannot
	// be removed is at or below the recorded checkpoint: the next
	// checkpoint or open removes it without replaying it.
	if err := removeSegments(w.dir, covered); err != nil {
		return fmt.Errorf("bbolt wal: remove segments through %d: %w", covered, err)
	}
	return nil
}

// ApplyBulk writes muts straight into bbolt in one transaction, bypassing
// the log. It first checkpoints what is pending, under the checkpoint lock,
// so that no older pending or logged write of the same keys is folded (or,
// after a crash, replayed) over them later; writes applied while it runs
// are newer and go to the log as usual.
func (w *walBbolt) ApplyBulk(muts []Mutation) error {
	w.ckMu.Lock()
	defer w.ckMu.Unlock()
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return fmt.Errorf("bbolt wal: %w", ErrClosed)
	}
	if err := w.checkpointLocked(); err != nil {
		return err
	}
	return w.bboltDB.ApplyBulk(muts)
}

// CheckpointStats returns the checkpoint counters so far.
func (w *walBbolt) CheckpointStats() CheckpointStats {
	w.statsMu.Lock()
	defer w.statsMu.Unlock()
	return w.stats
}

// Scan checkpoints, then scans bbolt.
func (w *walBbolt) Scan(fn func(key, value []byte) error) error {
	if err := w.checkpoint(); err != nil {
		return err
	}
	return w.bboltDB.Scan(fn)
}

// Close stops the checkpointer, runs a final checkpoint and closes bbolt.
// If the final checkpoint fails, the WAL segments stay and the next open
// replays them. Callers must not Apply concurrently.
func (w *walBbolt) Close() error {
	w.mu.Lock()
	if w.closing {
		w.mu.Unlock()
		return nil
	}
	w.closing = true
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	ckErr := w.checkpoint()
	w.mu.Lock()
	w.closed = true
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	if w.spare {
		os.Remove(filepath.Join(w.dir, walSpareName))
		w.spare = false
	}
	w.cond.Broadcast()
	w.mu.Unlock()
	return errors.Join(ckErr, w.db.Close())
}
