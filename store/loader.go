package store

import (
	"bytes"
	"slices"
	"time"
	"unsafe"

	"github.com/sparkbench/sparkbench/store/internal/backend"
	disk "github.com/sparkbench/sparkbench/store/internal/record"
)

// Loader writes many entries into one site in large batches, for preloads:
// each batch is one backend transaction (bbolt: keys in order, one commit,
// bypassing the WAL and the group committer; pebble: one batch) and fills
// the index directly, where Set pays a transaction or a group commit and
// the index bookkeeping per entry. Every entry meets Set's rules: key,
// TTL and value size are checked when it is added, the site's quota when
// its batch is written (reclaiming the site's expired entries once before
// refusing, as Set does). Refusals are counted by code in LoadStats.
//
// An entry is durable once the Flush or Close that wrote its batch has
// returned nil: a load killed half-way leaves the batches written before
// (each atomic) and nothing of the others, and the store reopens
// consistent. Until then the entry is neither readable nor on disk.
//
// A Loader is not safe for concurrent use; several Loaders (one per
// goroutine) may load the same site. Writes of the same keys by Set or
// Delete meanwhile are ordered as usual: a batch waits for a write in
// progress of any of its keys, and such writes wait for the batch. Bulk
// writes are not reported to the Observer (one batch would swamp the write
// latencies of the measured run).
type Loader struct {
	t    *Site
	opts LoaderOptions
	ents []loadEntry
	buf  []byte // keys and values of ents, back to back
	err  error  // a failed batch: later entries are refused with Internal
	st   LoadStats
}

// LoaderOptions sizes a Loader's batches. Zero fields take the defaults.
type LoaderOptions struct {
	// BatchEntries and BatchBytes (keys plus values) bound a batch:
	// default DefaultLoadBatchEntries and DefaultLoadBatchBytes.
	BatchEntries int
	BatchBytes   int
}

// Default batch bounds of a Loader: 1M entries of 100 bytes load in 16
// transactions of about 7 MiB each.
const (
	DefaultLoadBatchEntries = 1 << 16
	DefaultLoadBatchBytes   = 32 << 20
)

// LoadStats counts a Loader's entries.
type LoadStats struct {
	// Written counts entries written and durable (Flush or Close returned
	// nil for their batch). Of several entries of one key in one batch only
	// the last is written; the earlier ones are counted with its outcome.
	Written int64
	// Refused counts refused entries by code: BadKey, InvalidTTL,
	// TooLarge, QuotaExceeded, or Internal (the batch's write failed;
	// nothing of it is on disk or in the index).
	Refused map[Code]int64
	// Batches counts the batches written; Bytes the keys and values of
	// the entries written.
	Batches int
	Bytes   int64
}

// RefusedTotal returns the number of refused entries.
func (s LoadStats) RefusedTotal() int64 {
	var n int64
	for _, c := range s.Refused {
		n += c
	}
	return n
}

// loadEntry is one entry of a batch; its key and value are
// buf[off:off+klen] and buf[off+klen:off+klen+vlen].
type loadEntry struct {
	off, klen, vlen int
	exp             int64
	delta           int64 // quota reserved for it
	ok              bool  // accepted for the backend write
	dups            int   // earlier entries of the same key in the batch
}

// NewLoader returns a Loader for the site.
func (t *Site) NewLoader(opts LoaderOptions) *Loader {
	if opts.BatchEntries <= 0 {
		opts.BatchEntries = DefaultLoadBatchEntries
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = DefaultLoadBatchBytes
	}
	return &Loader{t: t, opts: opts, st: LoadStats{Refused: map[Code]int64{}}}
}

// Set adds key with value and a TTL in seconds (0 = no expiry), checked as
// Site.Set checks them. It returns BadKey, InvalidTTL, TooLarge or
// QuotaExceeded (an entry larger than the whole quota) for an entry refused
// at once, Internal after a failed batch, and OK for an entry taken into
// the batch, which is written when the batch fills, by Flush or by Close
// (and may still be refused for quota then: see LoadStats). Key and value
// are copied.
func (l *Loader) Set(key, value []byte, ttlSecs int64) Code {
	o := &l.t.s.opts
	code := OK
	switch {
	case l.err != nil:
		code = Internal
	case !ValidKey(key):
		code = BadKey
	case ttlSecs < 0 || ttlSecs > o.MaxTTLSecs:
		code = InvalidTTL
	case len(value) > o.MaxValueBytes:
		code = TooLarge
	case int64(len(key)+len(value)) > o.SiteQuotaBytes:
		code = QuotaExceeded
	}
	if code != OK {
		l.st.Refused[code]++
		return code
	}
	if len(l.ents) > 0 && (len(l.ents) >= l.opts.BatchEntries || len(l.buf)+len(key)+len(value) > l.opts.BatchBytes) {
		if l.Flush() != nil {
			l.st.Refused[Internal]++
			return Internal
		}
	}
	var exp int64
	if ttlSecs > 0 {
		exp = l.t.s.now() + ttlSecs*int64(time.Second)
	}
	l.ents = append(l.ents, loadEntry{off: len(l.buf), klen: len(key), vlen: len(value), exp: exp})
	l.buf = append(l.buf, key...)
	l.buf = append(l.buf, value...)
	return OK
}

func (l *Loader) key(e *loadEntry) []byte { return l.buf[e.off : e.off+e.klen : e.off+e.klen] }
func (l *Loader) value(e *loadEntry) []byte {
	return l.buf[e.off+e.klen : e.off+e.klen+e.vlen : e.off+e.klen+e.vlen]
}

// ikey returns e's key as an index key, aliasing buf (valid until the
// batch is reset).
func (l *Loader) ikey(e *loadEntry) string {
	k := l.key(e)
	return unsafe.String(unsafe.SliceData(k), len(k))
}

// Flush writes the pending batch: it reserves quota for each entry (in key
// order, holding each key exclusively once its writes in progress are
// done), writes the accepted
// ones in one backend transaction, then puts them in the index. It
// returns the backend's error, after which the Loader refuses everything
// with Internal.
func (l *Loader) Flush() error {
	if l.err != nil || len(l.ents) == 0 {
		return l.err
	}
	t, s := l.t, l.t.s
	defer func() { l.ents, l.buf = l.ents[:0], l.buf[:0] }()
	// Key order (bbolt fills pages in order; keys are claimed in order, so
	// that loaders of one site never wait on each other in a cycle), the
	// last entry of a key only.
	slices.SortStableFunc(l.ents, func(a, b loadEntry) int { return bytes.Compare(l.key(&a), l.key(&b)) })
	batch := l.ents[:0]
	dups := 0
	for i := range l.ents {
		if i+1 < len(l.ents) && bytes.Equal(l.key(&l.ents[i]), l.key(&l.ents[i+1])) {
			dups++
			continue
		}
		e := l.ents[i]
		e.dups, dups = dups, 0
		batch = append(batch, e)
	}
	l.ents = batch

	t.mu.Lock()
	reclaimed := false
	for i := range batch {
		e := &batch[i]
		ik := l.ikey(e)
		t.holdExclusive(ik)
		for {
			e.delta = int64(e.klen + e.vlen)
			if old, had := t.ix.get(ik); had {
				e.delta -= old.size()
			}
			if e.delta <= 0 || t.used.Load()+e.delta <= s.opts.SiteQuotaBytes {
				e.ok = true
				break
			}
			if reclaimed || !t.reclaimExpiredLocked(ik) {
				break
			}
			reclaimed = true
		}
		if !e.ok {
			t.dropExclusive(ik)
			l.st.Refused[QuotaExceeded] += int64(1 + e.dups)
			continue
		}
		if e.delta > 0 {
			t.used.Add(e.delta) // reserve, as put does
		}
	}
	t.mu.Unlock()

	var err error
	if s.persistent {
		// The encoded keys and values share one allocation.
		size := 0
		for i := range batch {
			size += batch[i].klen + batch[i].vlen + len(t.name) + 32
		}
		enc := make([]byte, 0, size)
		muts := make([]backend.Mutation, 0, len(batch))
		for i := range batch {
			if e := &batch[i]; e.ok {
				k := len(enc)
				enc = disk.AppendKey(enc, t.name, l.key(e))
				v := len(enc)
				enc = disk.AppendValue(enc, l.value(e), e.exp)
				muts = append(muts, backend.Mutation{Key: enc[k:v:v], Value: enc[v:len(enc):len(enc)]})
			}
		}
		// Disk keys share the site prefix, so they sort as the keys do.
		err = s.applyBulk(muts)
	} else {
		err = s.applyBulk(nil)
	}
	// No other write of these keys ran meanwhile (they are held), so the
	// batch applies to the index as it is.

	t.mu.Lock()
	written := int64(0)
	for i := range batch {
		e := &batch[i]
		if !e.ok {
			continue
		}
		ik := l.ikey(e)
		if err != nil {
			if e.delta > 0 {
				t.used.Add(-e.delta)
			}
			l.st.Refused[Internal] += int64(1 + e.dups)
		} else {
			r := newRecord(l.key(e), l.value(e), e.exp)
			t.ix.put(r)
			if e.delta <= 0 {
				t.used.Add(e.delta)
			}
			t.noteExpiry(e.exp)
			written += int64(1 + e.dups)
			l.st.Bytes += int64(e.klen + e.vlen)
		}
		t.dropExclusive(ik)
	}
	t.mu.Unlock()
	if err != nil {
		l.err = err
		return err
	}
	l.st.Written += written
	l.st.Batches++
	return nil
}

// Close flushes the last batch and returns the counts.
func (l *Loader) Close() (LoadStats, error) {
	err := l.Flush()
	return l.Stats(), err
}

// Stats returns the counts so far.
func (l *Loader) Stats() LoadStats {
	st := l.st
	st.Refused = make(map[Code]int64, len(l.st.Refused))
	for c, n := range l.st.Refused {
		if n > 0 {
			st.Refused[c] = n
		}
	}
	return st
}

// applyBulk makes muts (sorted by disk key, no duplicates) durable in one
// backend transaction.
func (s *Store) applyBulk(muts []backend.Mutation) error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	if len(muts) == 0 {
		return nil
	}
	var err error
	if b, ok := s.be.(backend.BulkApplier); ok {
		err = b.ApplyBulk(muts)
	} else {
		err = s.be.Apply(muts)
	}
	if err != nil {
		s.noteWriteError(err)
	}
	return err
}

// holdExclusive waits until key has no write in progress and no other
// holder, and holds it: writes of it wait until dropExclusive. Callers
// hold keys in key order, so two Loaders never wait on each other in a
// cycle. Called with t.mu held.
func (t *Site) holdExclusive(key string) {
	for {
		if ks, busy := t.keys[key]; !busy || (ks.writers == 0 && !ks.excl) {
			t.keys[key] = keyState{excl: true}
			return
		}
		t.idle.Wait()
	}
}

// dropExclusive ends holdExclusive. Called with t.mu held.
func (t *Site) dropExclusive(key string) {
	delete(t.keys, key)
	t.idle.Broadcast()
}
