package backend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/record"
)

// Salvaging a damaged pebble store (Config.Recover).
//
// Every file of the store is moved into Dir/damaged-<time>/, a new store
// is created in Dir, and what can be read of the damaged one is copied
// into it:
//
//   - The damaged copy is opened read-only (which replays its WALs into
//     memory without writing). If a WAL is damaged, it is opened without
//     that WAL and the later ones (hard links in a scratch directory), and
//     their records up to the damage are applied after the copy, in order.
//   - Its keys are copied in key order. An sstable that fails its checksums
//     stops the iteration; the copy resumes after that table's last key, so
//     the keys in its range are lost (counted in UnknownLoss: their number
//     is not known).
//   - If the damaged copy cannot be opened at all (its MANIFEST is damaged),
//     nothing is salvaged; the files stay where they were moved.
func (p *pebbleDB) salvage(ctx context.Context, cause error) (*pebble.DB, error) {
	rec := &p.recovery
	dir := p.cfg.Dir
	rec.Damage = append(rec.Damage, firstLine(cause))
	aside, err := damagedDir(dir)
	if err != nil {
		return nil, fmt.Errorf("pebble: recover: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("pebble: recover: %w", classify("read", dir, err))
	}
	moved := 0
	for _, e := range ents {
		name := e.Name()
		if name == MarkerName || strings.HasPrefix(name, "damaged-") || name == "LOCK" {
			continue
		}
		if err := os.Rename(filepath.Join(dir, name), filepath.Join(aside, name)); err != nil {
			return nil, fmt.Errorf("pebble: recover: %w", classify("rename", filepath.Join(dir, name), err))
		}
		moved++
	}
	if err := syncDir(aside); err != nil {
		return nil, fmt.Errorf("pebble: recover: %w", classify("sync", aside, err))
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("pebble: recover: %w", classify("sync", dir, err))
	}
	rec.MovedAside = append(rec.MovedAside, fmt.Sprintf("%s (%d files) -> %s", dir, moved, aside))

	// The new store. The marker's record of the old MANIFEST and WALs no
	// longer applies.
	p.cfg.mustExist, p.cfg.marker = false, marker{}
	if err := writeMarker(dir, marker{backend: Pebble}); err != nil {
		return nil, fmt.Errorf("pebble: recover: %w", err)
	}
	db, err := p.openDB(ctx)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			closeQuietly(db)
		}
	}()

	var damaged []string // sstables the damaged copy reports
	src, tail, cleanup, err := p.openDamaged(aside, &damaged)
	defer cleanup()
	if err != nil {
		rec.Damage = append(rec.Damage, fmt.Sprintf("%s: cannot be read, nothing salvaged from it: %s", aside, firstLine(err)))
		rec.UnknownLoss++
	} else {
		n, err := p.copyKeys(ctx, src, db, &damaged)
		closeQuietly(src)
		if err != nil {
			return nil, err
		}
		rec.SalvagedRecords += n
	}
	for _, log := range tail {
		n, err := p.applyLog(db, log)
		if err != nil {
			return nil, err
		}
		rec.SalvagedRecords += n
	}
	if err := db.Flush(); err != nil {
		return nil, fmt.Errorf("pebble: recover: %w", classify("flush", dir, err))
	}
	ok = true
	return db, nil
}

// openDamaged opens the moved-aside store read-only. When one of its WALs
// is damaged, it opens a scratch directory of hard links without that WAL
// and the later ones, and returns those WALs (in order) to apply after.
func (p *pebbleDB) openDamaged(aside string, damaged *[]string) (db *pebble.DB, tail []string, cleanup func(), err error) {
	cleanup = func() {}
	open := func(dir string) (*pebble.DB, error) {
		return p.openReadOnly(dir, damaged)
	}
	db, err = open(aside)
	if err == nil || !strings.Contains(err.Error(), "replaying WAL") {
		return db, nil, cleanup, err
	}
	logs, lerr := walLogs(aside)
	if lerr != nil {
		return nil, nil, cleanup, err
	}
	first := -1
	for i, l := range logs {
		if _, damaged, _ := readPebbleLog(l.path, l.num, nil); damaged {
			first = i
			break
		}
	}
	if first < 0 {
		return nil, nil, cleanup, err
	}
	scratch, serr := os.MkdirTemp(aside, "scratch-")
	if serr != nil {
		return nil, nil, cleanup, err
	}
	cleanup = func() { os.RemoveAll(scratch) }
	skip := map[string]bool{}
	for _, l := range logs[first:] {
		skip[filepath.Base(l.path)] = true
		tail = append(tail, l.path)
	}
	ents, _ := os.ReadDir(aside)
	for _, e := range ents {
		if e.IsDir() || skip[e.Name()] || e.Name() == "LOCK" {
			continue
		}
		if lerr := os.Link(filepath.Join(aside, e.Name()), filepath.Join(scratch, e.Name())); lerr != nil {
			return nil, nil, cleanup, err
		}
	}
	db, err = open(scratch)
	return db, tail, cleanup, err
}

// openReadOnly opens dir read-only, appending the paths of the sstables it
// finds damaged to damaged (from pebble's goroutines: read it only after
// the reads that may add to it).
func (p *pebbleDB) openReadOnly(dir string, damaged *[]string) (db *pebble.DB, err error) {
	var mu sync.Mutex
	opts := &pebble.Options{
		ReadOnly:         true,
		ErrorIfNotExists: true,
		Logger:           pebbleLogger{p: &pebbleDB{cfg: Config{Dir: dir}}},
		EventListener: &pebble.EventListener{DataCorruption: func(info pebble.DataCorruptionInfo) {
			mu.Lock()
			*damaged = append(*damaged, info.Path)
			mu.Unlock()
		}},
	}
	if p.cfg.FS != nil {
		opts.FS = p.cfg.FS
	}
	defer func() {
		if r := recover(); r != nil {
			if fe, ok := r.(fatalError); ok {
				db, err = nil, fe
				return
			}
			db, err = nil, fmt.Errorf("pebble failed reading the store: %v", r)
		}
	}()
	return pebble.Open(dir, opts)
}

// copyKeys copies src's keys into dst in key order, resuming after the key
// range of each sstable that fails to read (damaged lists those src
// reported).
func (p *pebbleDB) copyKeys(ctx context.Context, src, dst *pebble.DB, damaged *[]string) (int64, error) {
	var n int64
	var lower []byte
	b := dst.NewBatch()
	flush := func() error {
		if b.Count() == 0 {
			return nil
		}
		if err := b.Commit(pebble.NoSync); err != nil {
			return fmt.Errorf("pebble: recover: %w", classify("commit", p.cfg.Dir, err))
		}
		b = dst.NewBatch()
		return nil
	}
	defer func() { b.Close() }()
	for attempt := 0; ; attempt++ {
		it, err := src.NewIter(&pebble.IterOptions{LowerBound: lower})
		if err != nil {
			return n, fmt.Errorf("pebble: recover: %w", err)
		}
		var last []byte
		for it.First(); it.Valid(); it.Next() {
			if n&4095 == 0 {
				if err := ctx.Err(); err != nil {
					it.Close()
					return n, fmt.Errorf("pebble: recover: %w", context.Cause(ctx))
				}
			}
			if err := b.Set(it.Key(), it.Value(), nil); err != nil {
				it.Close()
				return n, err
			}
			n++
			last = append(last[:0], it.Key()...)
			if b.Count() >= 10000 {
				if err := flush(); err != nil {
					it.Close()
					return n, err
				}
			}
		}
		ierr := it.Close()
		if ierr == nil {
			return n, flush()
		}
		// A damaged table: resume past its last key.
		p.recovery.Damage = append(p.recovery.Damage, "skipped the key range of a damaged table: "+firstLine(ierr))
		p.recovery.UnknownLoss++
		next, ok := skipDamagedTable(src, last, *damaged)
		if !ok || attempt > 1000 || (lower != nil && bytes.Compare(next, lower) <= 0) {
			return n, flush()
		}
		lower = next
	}
}

// skipDamagedTable returns a lower bound past the damaged table the
// iteration after last met: a table in damaged whose range ends after last,
// else (pebble did not say which) the table ending after last whose range
// starts first.
func skipDamagedTable(db *pebble.DB, last []byte, damaged []string) ([]byte, bool) {
	levels, err := db.SSTables()
	if err != nil {
		return nil, false
	}
	bad := map[uint64]bool{}
	for _, path := range damaged {
		if num, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(path), ".sst"), 10, 64); err == nil {
			bad[num] = true
		}
	}
	var named, first []byte
	var firstLo []byte
	for _, level := range levels {
		for _, t := range level {
			lo, hi := t.Smallest.UserKey, t.Largest.UserKey
			if last != nil && bytes.Compare(hi, last) <= 0 {
				continue
			}
			if bad[uint64(t.FileNum)] && (named == nil || bytes.Compare(hi, named) < 0) {
				named = hi
			}
			if first == nil || bytes.Compare(lo, firstLo) < 0 {
				first, firstLo = hi, lo
			}
		}
	}
	if named != nil {
		first = named
	}
	if first == nil {
		return nil, false
	}
	return append(slices.Clone(first), 0), true
}

// pebbleLog is one WAL file of a pebble directory.
type pebbleLog struct {
	path string
	num  uint64
}

// walLogs lists dir's WAL files (NNNNNN.log) by number.
func walLogs(dir string) ([]pebbleLog, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []pebbleLog
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".log")
		if !ok {
			continue
		}
		num, err := strconv.ParseUint(name, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, pebbleLog{filepath.Join(dir, e.Name()), num})
	}
	slices.SortFunc(out, func(a, b pebbleLog) int { return int(a.num - b.num) })
	return out, nil
}

// newRecordReader calls record.NewReader, whose log number parameter has a
// type of pebble's internal package.
func newRecordReader(r io.Reader, logNum uint64) *record.Reader {
	fn := reflect.ValueOf(record.NewReader)
	out := fn.Call([]reflect.Value{reflect.ValueOf(&r).Elem(), reflect.ValueOf(logNum).Convert(fn.Type().In(1))})
	return out[0].Interface().(*record.Reader)
}

// readPebbleLog calls fn with each batch of the WAL file at path, up to its
// end or its first bad chunk, and reports whether that chunk is damage
// (pebble's reader confirms it from a later chunk) rather than a torn tail.
func readPebbleLog(path string, num uint64, fn func(repr []byte) error) (records int, damaged bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, classify("open", path, err)
	}
	defer f.Close()
	rr := newRecordReader(f, num)
	for {
		r, err := rr.Next()
		if err == nil {
			var data []byte
			data, err = io.ReadAll(r)
			if err == nil {
				if fn != nil {
					if err := fn(data); err != nil {
						return records, false, err
					}
				}
				records++
				continue
			}
		}
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, record.ErrUnexpectedEOF):
			return records, false, nil
		case errors.Is(err, record.ErrInvalidChunk), errors.Is(err, record.ErrZeroedChunk):
			return records, true, nil
		}
		return records, false, classify("read", path, err)
	}
}

// applyLog applies the intact batches of the WAL file at path to db, in
// order, and returns the number of writes they held.
func (p *pebbleDB) applyLog(db *pebble.DB, path string) (int64, error) {
	num, _ := strconv.ParseUint(strings.TrimSuffix(filepath.Base(path), ".log"), 10, 64)
	var n int64
	_, damaged, err := readPebbleLog(path, num, func(repr []byte) error {
		b := db.NewBatch()
		defer b.Close()
		if err := b.SetRepr(slices.Clone(repr)); err != nil {
			return nil // not a batch: skip it
		}
		n += int64(b.Count())
		return db.Apply(b, pebble.NoSync)
	})
	if err != nil {
		return n, fmt.Errorf("pebble: recover: %s: %w", path, err)
	}
	if damaged {
		p.recovery.Damage = append(p.recovery.Damage, path+": damaged WAL chunk; the records after it are lost")
		p.recovery.UnknownLoss++
	}
	return n, nil
}

// firstLine returns the first line of err's message (cockroachdb/errors
// may add detail lines).
func firstLine(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}
