package backend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
)

func put(k, v string) Mutation { return Mutation{Key: []byte(k), Value: []byte(v)} }
func del(k string) Mutation    { return Mutation{Key: []byte(k), Delete: true} }

func sameMuts(a, b []Mutation) bool {
	return slices.EqualFunc(a, b, func(x, y Mutation) bool {
		return x.Delete == y.Delete && bytes.Equal(x.Key, y.Key) && (x.Delete || bytes.Equal(x.Value, y.Value))
	})
}

var walBatches = [][]Mutation{
	{put("a", "1")},
	{put("b", ""), del("a")},
	{del("zz")},
	{put(string(bytes.Repeat([]byte("k"), 300)), string(bytes.Repeat([]byte{0, 0xff}, 40000)))},
	{put("c", "3"), put("c", "33"), del("b"), put("d", "4")},
}

func TestWALRecordRoundTrip(t *testing.T) {
	for i, batch := range walBatches {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			rec := appendWALRecord(nil, batch)
			if len(rec) != walRecordSize(batch) {
				t.Fatalf("record is %d bytes, walRecordSize says %d", len(rec), walRecordSize(batch))
			}
			var got [][]Mutation
			sc, err := scanWALSegment(rec, func(m []Mutation) error {
				got = append(got, slices.Clone(m))
				return nil
			})
			if err != nil || sc.Torn || len(sc.Damaged) != 0 || sc.Records != 1 || sc.Muts != len(batch) {
				t.Fatalf("scan: %+v, err %v", sc, err)
			}
			if len(got) != 1 || !sameMuts(got[0], batch) {
				t.Fatalf("decoded %v, want %v", got, batch)
			}
		})
	}
}

// TestWALDecodeRejects: each kind of damage to a record is found. Followed
// by an intact record, it is damage (reported with its span, and the record
// after it still decoded); at the end of the segment, a torn tail.
func TestWALDecodeRejects(t *testing.T) {
	good := appendWALRecord(nil, []Mutation{put("k", "v")})
	cases := []struct {
		name   string
		damage func([]byte) []byte
		// lost is the number of mutations a damaged record reports when
		// intact records follow it (-1: unknown).
		lost int
	}{
		{"short header", func(b []byte) []byte { return b[:5] }, -1},
		{"short payload", func(b []byte) []byte { return b[:len(b)-1] }, -1},
		{"zero length", func(b []byte) []byte { return make([]byte, len(b)) }, -1},
		{"huge length", func(b []byte) []byte { b[3] = 0xff; return b }, -1},
		{"bad crc", func(b []byte) []byte { b[4] ^= 1; return b }, 1},
		{"flipped payload bit", func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := c.damage(slices.Clone(good))
			// At the end: a torn tail (zeros alone are the clean end of a
			// pre-zeroed segment).
			tail := append(slices.Clone(good), bad...)
			n := 0
			sc, err := scanWALSegment(tail, func([]Mutation) error { n++; return nil })
			wantTorn := !allZero(bad)
			if err != nil || sc.Torn != wantTorn || len(sc.Damaged) != 0 || sc.Records != 1 || n != 1 {
				t.Fatalf("at the end: %+v (want torn %v), records called %d, err %v", sc, wantTorn, n, err)
			}
			// In the middle: damage, and the record after it still counts.
			mid := append(slices.Clone(tail), good...)
			n = 0
			sc, err = scanWALSegment(mid, func([]Mutation) error { n++; return nil })
			if err != nil || sc.Torn || sc.Records != 2 || n != 2 || len(sc.Damaged) != 1 {
				t.Fatalf("in the middle: %+v, records called %d, err %v", sc, n, err)
			}
			d := sc.Damaged[0]
			if d.Off != len(good) || d.End != len(good)+len(bad) || d.Muts != c.lost || d.Why == "" {
				t.Fatalf("damage %+v, want span [%d, %d), %d writes lost", d, len(good), len(good)+len(bad), c.lost)
			}
		})
	}
}

// crash abandons w as a SIGKILL would: no final checkpoint, the segment
// and bbolt closed without further writes.
func (w *walBbolt) crash() {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	w.closed, w.closing = true, true
	if w.f != nil {
		w.f.Close()
	}
	w.mu.Unlock()
	w.db.Close()
}

func openWAL(t *testing.T, dir string, fault func(string) error) *walBbolt {
	t.Helper()
	b, err := Open(context.Background(), "bbolt", Config{Dir: dir, Sync: true, WAL: true, CheckpointBytes: 1 << 30, CheckpointInterval: -1, WALFault: fault})
	if err != nil {
		t.Fatal(err)
	}
	return b.(*walBbolt)
}

// scanDir opens dir (recovering its WAL), returns its contents and closes
// it.
func scanDir(t *testing.T, dir string) []kv {
	t.Helper()
	b := openT(t, "bbolt", dir, true)
	defer b.Close()
	return scanAll(t, b)
}

// model applies batches to a map and returns its sorted contents.
func model(batches ...[]Mutation) []kv {
	m := map[string]string{}
	for _, b := range batches {
		for _, mu := range b {
			if mu.Delete {
				delete(m, string(mu.Key))
			} else {
				m[string(mu.Key)] = string(mu.Value)
			}
		}
	}
	out := []kv{}
	for k, v := range m {
		out = append(out, kv{k, v})
	}
	slices.SortFunc(out, func(a, b kv) int { return bytes.Compare([]byte(a.k), []byte(b.k)) })
	return out
}

func segmentsIn(t *testing.T, dir string) []uint64 {
	t.Helper()
	s, err := walSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// onlySegment returns the path of dir's one WAL segment, failing if there
// is not exactly one.
func onlySegment(t *testing.T, dir string) string {
	t.Helper()
	segs := segmentsIn(t, dir)
	if len(segs) != 1 {
		t.Fatalf("segments %v, want one", segs)
	}
	return filepath.Join(dir, walSegmentName(segs[0]))
}

// TestWALTornTail writes a segment of records, then cuts it at every byte
// offset of its last record: recovery applies exactly the records before.
func TestWALTornTail(t *testing.T) {
	var seg []byte
	var ends []int
	for _, b := range walBatches {
		seg = appendWALRecord(seg, b)
		ends = append(ends, len(seg))
	}
	lastStart := ends[len(ends)-2]
	for cut := lastStart; cut <= len(seg); cut++ {
		want := model(walBatches[:len(walBatches)-1]...)
		if cut == len(seg) {
			want = model(walBatches...)
		}
		dir := t.TempDir()
		openT(t, "bbolt", dir, true).Close() // an empty database, checkpoint 0
		if err := os.WriteFile(filepath.Join(dir, walSegmentName(1)), seg[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		if got := scanDir(t, dir); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("cut at %d of %d: recovered %v, want %v", cut, len(seg), got, want)
		}
		if s := segmentsIn(t, dir); len(s) != 0 {
			t.Fatalf("cut at %d: segments %v left after recovery", cut, s)
		}
	}
}

// TestWALTornTailThenNewerSegment: a segment abandoned after a failed
// append ends in garbage; the next segment is still replayed after it.
func TestWALTornTailThenNewerSegment(t *testing.T) {
	dir := t.TempDir()
	openT(t, "bbolt", dir, true).Close()
	first := appendWALRecord(nil, []Mutation{put("a", "1"), put("b", "1")})
	garbage := appendWALRecord(nil, []Mutation{put("a", "never")})[:7]
	second := appendWALRecord(nil, []Mutation{put("b", "2")})
	os.WriteFile(filepath.Join(dir, walSegmentName(3)), append(first, garbage...), 0o644)
	os.WriteFile(filepath.Join(dir, walSegmentName(4)), second, 0o644)
	if got, want := fmt.Sprint(scanDir(t, dir)), fmt.Sprint([]kv{{"a", "1"}, {"b", "2"}}); got != want {
		t.Fatalf("recovered %s, want %s", got, want)
	}
}

// TestWALCrashReplays: acknowledged Applies that no checkpoint has folded
// in survive a crash, across segments and after a checkpoint.
func TestWALCrashReplays(t *testing.T) {
	dir := t.TempDir()
	w := openWAL(t, dir, nil)
	for _, b := range walBatches[:2] {
		if err := w.Apply(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	for _, b := range walBatches[2:] {
		if err := w.Apply(b); err != nil {
			t.Fatal(err)
		}
	}
	w.crash()
	if got, want := scanDir(t, dir), model(walBatches...); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after crash: %v, want %v", got, want)
	}
}

// TestWALCrashBetweenCheckpointAndDelete: segments at or below the recorded
// checkpoint that a crash left behind are deleted at open, not replayed
// (replaying one would resurrect a key deleted since).
func TestWALCrashBetweenCheckpointAndDelete(t *testing.T) {
	dir := t.TempDir()
	w := openWAL(t, dir, nil)
	if err := w.Apply([]Mutation{put("x", "old"), put("y", "old")}); err != nil {
		t.Fatal(err)
	}
	seg := onlySegment(t, dir)
	saved, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if err := w.Apply([]Mutation{del("x"), put("y", "new")}); err != nil {
		t.Fatal(err)
	}
	if err := w.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	w.crash()
	if s := segmentsIn(t, dir); len(s) != 0 {
		t.Fatalf("segments %v left after checkpoints", s)
	}
	// The crash came after the first checkpoint's commit, before it deleted
	// its segment.
	if err := os.WriteFile(seg, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(scanDir(t, dir)), fmt.Sprint([]kv{{"y", "new"}}); got != want {
		t.Fatalf("recovered %s, want %s", got, want)
	}
	if s := segmentsIn(t, dir); len(s) != 0 {
		t.Fatalf("segments %v left after open", s)
	}
}

// TestWALCheckpointFailureKeepsData: while checkpoints fail, Applies keep
// succeeding, the segments stay, and the data survives both a later
// successful checkpoint and a crash.
func TestWALCheckpointFailureKeepsData(t *testing.T) {
	for _, end := range []string{"recover", "crash", "close"} {
		t.Run("then="+end, func(t *testing.T) {
			dir := t.TempDir()
			var failing atomic.Bool
			w := openWAL(t, dir, func(op string) error {
				if op == "checkpoint" && failing.Load() {
					return errors.New("injected checkpoint failure")
				}
				return nil
			})
			batches := walBatches
			if err := w.Apply(batches[0]); err != nil {
				t.Fatal(err)
			}
			if err := w.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			failing.Store(true)
			for _, b := range batches[1:3] {
				if err := w.Apply(b); err != nil {
					t.Fatal(err)
				}
				if err := w.Checkpoint(); !errors.Is(err, ErrCheckpoint) {
					t.Fatalf("checkpoint with a failing tx: %v", err)
				}
			}
			for _, b := range batches[3:] {
				if err := w.Apply(b); err != nil {
					t.Fatal(err)
				}
			}
			if st := w.CheckpointStats(); st.Failures != 2 || st.Checkpoints != 1 {
				t.Fatalf("stats %+v", st)
			}
			if s := segmentsIn(t, dir); len(s) < 2 {
				t.Fatalf("segments %v: the failed checkpoints' segments are gone", s)
			}
			switch end {
			case "recover":
				failing.Store(false)
				if err := w.Checkpoint(); err != nil {
					t.Fatal(err)
				}
				if s := segmentsIn(t, dir); len(s) != 0 {
					t.Fatalf("segments %v after a successful checkpoint", s)
				}
				if got, want := scanAll(t, w), model(batches...); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("after recovery: %v, want %v", got, want)
				}
				w.Close()
			case "crash":
				w.crash()
			case "close":
				if err := w.Close(); !errors.Is(err, ErrCheckpoint) {
					t.Fatalf("close with a failing final checkpoint: %v", err)
				}
			}
			if got, want := scanDir(t, dir), model(batches...); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("reopened: %v, want %v", got, want)
			}
		})
	}
}

// TestWALAppendFailure: a failed create, write or sync fails the Apply with
// ErrWALWrite; the failed batch is neither pending nor on disk (a sync
// failure comes after the bytes were written: they are truncated away),
// and later Applies succeed in a fresh segment.
func TestWALAppendFailure(t *testing.T) {
	for _, op := range []string{"create", "write", "sync"} {
		t.Run("op="+op, func(t *testing.T) {
			dir := t.TempDir()
			var failing atomic.Bool
			w := openWAL(t, dir, func(o string) error {
				if o == op && failing.Load() {
					return errors.New("injected " + op + " failure")
				}
				return nil
			})
			if op != "create" {
				if err := w.Apply([]Mutation{put("a", "1")}); err != nil {
					t.Fatal(err)
				}
			}
			failing.Store(true)
			if err := w.Apply([]Mutation{put("a", "failed"), put("f", "failed")}); !errors.Is(err, ErrWALWrite) {
				t.Fatalf("Apply with failing %s: %v", op, err)
			}
			failing.Store(false)
			if err := w.Apply([]Mutation{put("b", "2")}); err != nil {
				t.Fatalf("Apply after the failure: %v", err)
			}
			want := []kv{{"a", "1"}, {"b", "2"}}
			if op == "create" {
				want = []kv{{"b", "2"}}
			}
			w.crash()
			if got := scanDir(t, dir); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("after crash: %v, want %v", got, want)
			}
		})
	}
}

// TestWALBacklog: when pending mutations reach the memory bound and
// checkpoints fail, Apply refuses with ErrWALBacklog; once a checkpoint
// succeeds, it accepts again.
func TestWALBacklog(t *testing.T) {
	dir := t.TempDir()
	var failing atomic.Bool
	w := openWAL(t, dir, func(op string) error {
		if op == "checkpoint" && failing.Load() {
			return errors.New("injected checkpoint failure")
		}
		return nil
	})
	defer w.Close()
	w.mu.Lock()
	w.maxPending = 4 * (pendingOverhead + 2)
	w.mu.Unlock()
	failing.Store(true)
	var err error
	for i := range 10 {
		if err = w.Apply([]Mutation{put(fmt.Sprint(i), "v")}); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrWALBacklog) {
		t.Fatalf("Apply past the bound with failing checkpoints: %v", err)
	}
	failing.Store(false)
	if err := w.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if err := w.Apply([]Mutation{put("after", "v")}); err != nil {
		t.Fatalf("Apply after a successful checkpoint: %v", err)
	}
}

// FuzzWALDecode: the segment scanner never panics; damaged spans lie in
// the input, in order, between the records it decodes; and the records it
// decodes re-encode to a clean segment that decodes to the same mutations.
func FuzzWALDecode(f *testing.F) {
	var seg []byte
	for i, b := range walBatches {
		if i == 3 {
			continue // large: it slows the fuzzer down
		}
		seg = appendWALRecord(seg, b)
		f.Add(slices.Clone(seg))
	}
	f.Add(seg[:len(seg)-3])
	f.Add([]byte{})
	f.Add(make([]byte, 16))
	flipped := slices.Clone(seg)
	flipped[20] ^= 0xff
	f.Add(flipped)
	f.Fuzz(func(t *testing.T, data []byte) {
		var got [][]Mutation
		var again []byte
		sc, err := scanWALSegment(data, func(m []Mutation) error {
			got = append(got, slices.Clone(m))
			again = appendWALRecord(again, m)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		end := 0
		for _, d := range sc.Damaged {
			if d.Off < end || d.End <= d.Off || d.End > len(data) || d.Why == "" || d.Muts < -1 {
				t.Fatalf("damaged spans %+v in %d bytes", sc.Damaged, len(data))
			}
			end = d.End
		}
		if sc.Records != len(got) {
			t.Fatalf("%d records reported, %d decoded", sc.Records, len(got))
		}
		i := 0
		sc2, _ := scanWALSegment(again, func(m []Mutation) error {
			if i >= len(got) || !sameMuts(m, got[i]) {
				t.Fatalf("record %d re-decodes to %v, want %v", i, m, got[i])
			}
			i++
			return nil
		})
		if sc2.Torn || len(sc2.Damaged) != 0 || i != len(got) {
			t.Fatalf("re-encoded records: %+v, %d of %d records", sc2, i, len(got))
		}
	})
}

// TestWALSpareSegment: a segment made from the pre-zeroed spare keeps its
// zeros after the last record; recovery reads them as the end, and the
// records before them are all replayed.
func TestWALSpareSegment(t *testing.T) {
	dir := t.TempDir()
	w := openWAL(t, dir, nil)
	w.spareBytes = 64 << 10
	w.prepareSpare()
	if !w.spare {
		t.Fatal("no spare prepared")
	}
	for _, b := range walBatches[:3] {
		if err := w.Apply(b); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(onlySegment(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != 64<<10 || w.off >= fi.Size() {
		t.Fatalf("segment is %d bytes with %d written: the spare was not used", fi.Size(), w.off)
	}
	if _, err := os.Stat(filepath.Join(dir, walSpareName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("spare still there after use: %v", err)
	}
	w.crash()
	if got, want := scanDir(t, dir), model(walBatches[:3]...); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after crash: %v, want %v", got, want)
	}
}
