package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sparkbench/sparkbench/store/internal/backend"
	disk "github.com/sparkbench/sparkbench/store/internal/record"
)

// Corruption tests: damage the files of a closed store in every way that
// matters and check that Open says which file and what, refuses to go on,
// and with Options.Recover keeps exactly what is intact, moves the damaged
// files aside and says what it kept and dropped. A torn WAL tail (the end
// of a crash) must still open silently.

// walRecordKeys is the number of writes in each record of testSegment.
const walRecordKeys = 20

// testSegment returns a WAL segment of n records of walRecordKeys puts of
// site "w" (key k<record>.<i>, value v<record>.<i>), and each record's end.
func testSegment(n int) ([]byte, []int) {
	var seg []byte
	var ends []int
	dir, _ := os.MkdirTemp("", "seg")
	defer os.RemoveAll(dir)
	for r := range n {
		muts := make([]backend.Mutation, walRecordKeys)
		for i := range muts {
			muts[i] = backend.Mutation{
				Key:   disk.AppendKey(nil, "w", fmt.Appendf(nil, "k%03d.%02d", r, i)),
				Value: disk.AppendValue(nil, fmt.Appendf(nil, "v%03d.%02d", r, i), 0),
			}
		}
		if err := backend.WriteWALSegment(dir, 1, [][]backend.Mutation{muts}); err != nil {
			panic(err)
		}
		rec, err := os.ReadFile(filepath.Join(dir, "wal-00000000000000000001.log"))
		if err != nil {
			panic(err)
		}
		seg = append(seg, rec...)
		ends = append(ends, len(seg))
	}
	return seg, ends
}

// newBboltDir makes an empty bbolt store (with its marker) in a fresh
// directory and returns the options to open it.
func newBboltDir(t *testing.T, mode Durability) Options {
	t.Helper()
	opts := Options{Backend: BackendBbolt, Dir: t.TempDir(), Durability: mode, SweepInterval: -1, SiteQuotaBytes: 1 << 30}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return opts
}

// wantCorrupt checks that err reports damage in path, mentioning each of
// words.
func wantCorrupt(t *testing.T, err error, path string, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Open accepted damaged data in %s", path)
	}
	var ce *CorruptError
	if !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) {
		t.Fatalf("Open error is not a corruption: %v", err)
	}
	if ce.Path != path {
		t.Fatalf("corruption reported in %q, want %q: %v", ce.Path, path, err)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("error %q does not mention %q", err, w)
		}
	}
	if strings.Count(err.Error(), "\n") > 0 {
		t.Fatalf("error is not one line: %q", err)
	}
}

// keysOf returns the sorted keys of site "w".
func keysOf(s *Store, site string) []string { return s.Site(site).List() }

// movedCopy returns the path a Recovery moved path to, checking it exists.
func movedCopy(t *testing.T, r Recovery, path string) string {
	t.Helper()
	for _, m := range r.MovedAside {
		from, to, ok := strings.Cut(m, " -> ")
		if ok && from == path {
			if _, err := os.Stat(to); err != nil {
				t.Fatalf("moved copy: %v", err)
			}
			return to
		}
	}
	t.Fatalf("%s not moved aside: %+v", path, r)
	return ""
}

func TestWALDamage(t *testing.T) {
	const records = 50
	seg, ends := testSegment(records)
	all := make([]string, 0, records*walRecordKeys)
	for r := range records {
		for i := range walRecordKeys {
			all = append(all, fmt.Sprintf("k%03d.%02d", r, i))
		}
	}
	without := func(rs ...int) []string {
		var out []string
		for _, k := range all {
			var r int
			fmt.Sscanf(k, "k%03d.", &r)
			if !slices.Contains(rs, r) {
				out = append(out, k)
			}
		}
		return out
	}
	cases := []struct {
		name   string
		damage func([]byte) []byte
		// torn: a torn tail, opened silently with keys; else damage, and
		// with Recover keys remain and dropped writes are reported
		// (unknown: counted as UnknownLoss instead).
		torn    bool
		keys    []string
		dropped int64
		unknown int
		words   []string
	}{
		{name: "four bytes flipped at offset 100", damage: func(b []byte) []byte {
			for i := 100; i < 104; i++ {
				b[i] ^= 0xff
			}
			return b
		}, keys: without(0), dropped: walRecordKeys, words: []string{"offset 0", "checksum", "intact records follow"}},
		{name: "record length damaged", damage: func(b []byte) []byte {
			b[ends[9]+1] ^= 0x40
			return b
		}, keys: without(10), unknown: 1, words: []string{fmt.Sprintf("offset %d", ends[9])}},
		{name: "zeroed block in the middle", damage: func(b []byte) []byte {
			clear(b[ends[4] : ends[4]+4096])
			return b
		}, keys: func() []string {
			var lost []int
			for r := range records {
				start := 0
				if r > 0 {
					start = ends[r-1]
				}
				if start < ends[4]+4096 && ends[r] > ends[4] {
					lost = append(lost, r)
				}
			}
			return without(lost...)
		}(), unknown: 1, words: []string{"zero record length"}},
		{name: "torn tail: cut inside the last record", damage: func(b []byte) []byte {
			return b[:ends[records-2]+17]
		}, torn: true, keys: without(records - 1)},
		{name: "torn tail: last record damaged", damage: func(b []byte) []byte {
			b[len(b)-3] ^= 1
			return b
		}, torn: true, keys: without(records - 1)},
		{name: "torn tail: garbage after the last record", damage: func(b []byte) []byte {
			return append(b, []byte("partial record bytes")...)
		}, torn: true, keys: all},
		{name: "clean: zeros after the last record (a pre-zeroed segment)", damage: func(b []byte) []byte {
			return append(b, make([]byte, 8192)...)
		}, keys: all},
		{name: "clean: cut at a record boundary", damage: func(b []byte) []byte {
			return b[:ends[24]]
		}, keys: func() []string {
			var rs []int
			for r := 25; r < records; r++ {
				rs = append(rs, r)
			}
			return without(rs...)
		}()},
		{name: "clean: zero-length segment", damage: func(b []byte) []byte { return nil }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := newBboltDir(t, DurabilityGroup)
			segPath := filepath.Join(opts.Dir, "wal-00000000000000000001.log")
			damaged := c.damage(slices.Clone(seg))
			if err := os.WriteFile(segPath, damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			clean := c.torn || c.words == nil
			s, err := Open(opts)
			if clean {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				defer s.Close()
				if got := keysOf(s, "w"); !slices.Equal(got, c.keys) {
					t.Fatalf("keys: %d, want %d", len(got), len(c.keys))
				}
				r := s.Stats().Recovery
				if wantTorn := map[bool]int{true: 1}[c.torn]; r.TornTails != wantTorn || len(r.Damage) != 0 {
					t.Fatalf("recovery %+v, want %d torn tails and no damage", r, wantTorn)
				}
				return
			}
			wantCorrupt(t, err, segPath, c.words...)
			// Nothing changed on disk.
			if got, _ := os.ReadFile(segPath); !bytes.Equal(got, damaged) {
				t.Fatal("the damaged segment changed after a refused open")
			}
			opts.Recover = true
			s, err = Open(opts)
			if err != nil {
				t.Fatalf("Open with Recover: %v", err)
			}
			st := s.Stats()
			if got := keysOf(s, "w"); !slices.Equal(got, c.keys) {
				t.Fatalf("recovered %d keys, want %d", len(got), len(c.keys))
			}
			for _, k := range c.keys {
				var r, i int
				fmt.Sscanf(k, "k%03d.%02d", &r, &i)
				wantGet(t, s.Site("w"), k, fmt.Sprintf("v%03d.%02d", r, i), 0)
			}
			r := st.Recovery
			if r.DroppedRecords != c.dropped || r.UnknownLoss != c.unknown || len(r.Damage) != 1 || st.ReloadedKeys != len(c.keys) {
				t.Fatalf("recovery %+v, reloaded %d; want %d dropped, %d unknown, %d kept", r, st.ReloadedKeys, c.dropped, c.unknown, len(c.keys))
			}
			moved := movedCopy(t, r, segPath)
			if got, _ := os.ReadFile(moved); !bytes.Equal(got, damaged) {
				t.Fatal("the moved-aside segment is not the damaged one")
			}
			if segs, _ := filepath.Glob(filepath.Join(opts.Dir, "wal-*.log")); len(segs) != 0 {
				t.Fatalf("segments left after recovery: %v", segs)
			}
			s.Close()
			opts.Recover = false
			s = reopenOK(t, opts)
			if got := keysOf(s, "w"); !slices.Equal(got, c.keys) {
				t.Fatalf("after recovery, reopen has %d keys, want %d", len(got), len(c.keys))
			}
		})
	}
}

// reopenOK opens opts, failing the test on error; closed at cleanup.
func reopenOK(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// bboltStore writes n keys of site "b" (100-byte values) to a bbolt store
// and closes it, so that everything is in spark.db.
func bboltStore(t *testing.T, n int) Options {
	t.Helper()
	opts := Options{Backend: BackendBbolt, Dir: t.TempDir(), Durability: DurabilityAlways, SweepInterval: -1, SiteQuotaBytes: 1 << 30}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	var muts []backend.Mutation
	for i := range n {
		muts = append(muts, backend.Mutation{Key: disk.AppendKey(nil, "b", fmt.Appendf(nil, "key%05d", i)),
			Value: disk.AppendValue(nil, bytes.Repeat([]byte{byte('a' + i%26)}, 100), 0)})
	}
	if err := s.be.Apply(muts); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return opts
}

// boltPages returns the ids of spark.db's pages of the given type (0x01
// branch, 0x02 leaf) that the file's page headers name, with their
// element counts.
func boltPages(t *testing.T, data []byte, flags uint16) map[int]int {
	t.Helper()
	out := map[int]int{}
	const ps = 4096
	for id := 2; (id+1)*ps <= len(data); id++ {
		h := data[id*ps:]
		if binary.LittleEndian.Uint64(h) == uint64(id) && binary.LittleEndian.Uint16(h[8:]) == flags {
			out[id] = int(binary.LittleEndian.Uint16(h[10:]))
		}
	}
	return out
}

func TestBboltFileDamage(t *testing.T) {
	const n = 3000
	base := bboltStore(t, n)
	orig, err := os.ReadFile(filepath.Join(base.Dir, "spark.db"))
	if err != nil {
		t.Fatal(err)
	}
	// A leaf page in the tree: spark.db's live leaves are those whose
	// header names them; pick one with entries of site "b".
	leaves := boltPages(t, orig, 0x02)
	var leaf, leafCount int
	for id, c := range leaves {
		if c > 10 && (leaf == 0 || id < leaf) && bytes.Contains(orig[id*4096:(id+1)*4096], []byte("bkey")) {
			leaf, leafCount = id, c
		}
	}
	branches := boltPages(t, orig, 0x01)
	if leaf == 0 || len(branches) == 0 {
		t.Fatalf("no leaf or branch page found (%d leaves, %d branches)", len(leaves), len(branches))
	}
	branch := slices.Min(slices.Collect(maps.Keys(branches)))
	value := bytes.Index(orig, append([]byte("key01234"), 1)) // key then the value's version byte
	if value < 0 {
		t.Fatal("value not found")
	}
	cases := []struct {
		name    string
		damage  func(path string)
		words   []string
		kept    int   // keys after Recover; -1: some, not all
		dropped int64 // records reported dropped
		unknown int
	}{
		{name: "truncated to 0 bytes", damage: func(p string) { os.Truncate(p, 0) },
			words: []string{"empty (0 bytes)", MarkerName}, kept: 0, unknown: 1},
		{name: "deleted", damage: func(p string) { os.Remove(p) },
			words: []string{"missing"}, kept: 0, unknown: 1},
		{name: "truncated to 100 bytes", damage: func(p string) { os.Truncate(p, 100) },
			words: []string{"truncated: the file is 100 bytes"}, kept: 0, unknown: 1},
		{name: "truncated to 40 bytes", damage: func(p string) { os.Truncate(p, 40) },
			words: []string{"shorter than its two meta pages"}, kept: 0, unknown: 1},
		// bbolt writes the root pages of a transaction last, at the end
		// of the file: cut there, nothing is reachable.
		{name: "truncated to half", damage: func(p string) { os.Truncate(p, int64(len(orig)/2)) },
			words: []string{"truncated: the file is"}, kept: 0, unknown: -1},
		{name: "garbage", damage: func(p string) {
			b := make([]byte, len(orig))
			r := rand.New(rand.NewPCG(1, 2))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			os.WriteFile(p, b, 0o644)
		}, words: []string{"both meta pages are invalid"}, kept: 0, unknown: 1},
		{name: "leaf element pointer damaged", damage: func(p string) {
			b := slices.Clone(orig)
			binary.LittleEndian.PutUint32(b[leaf*4096+16+3*16+4:], 1<<20) // element 3's pos
			os.WriteFile(p, b, 0o644)
		}, words: []string{fmt.Sprintf("page %d", leaf), "runs past the page"}, kept: n - leafCount, dropped: int64(leafCount)},
		{name: "branch page type damaged", damage: func(p string) {
			b := slices.Clone(orig)
			b[branch*4096+8] = 0x20
			os.WriteFile(p, b, 0o644)
		}, words: []string{fmt.Sprintf("page %d", branch), "page type"}, kept: -1, unknown: 1},
		{name: "leaf page claims another id", damage: func(p string) {
			b := slices.Clone(orig)
			binary.LittleEndian.PutUint64(b[leaf*4096:], 999999)
			os.WriteFile(p, b, 0o644)
		}, words: []string{fmt.Sprintf("page %d calls itself page 999999", leaf)}, kept: n - leafCount, unknown: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := base
			opts.Dir = t.TempDir()
			copyDir(t, base.Dir, opts.Dir)
			path := filepath.Join(opts.Dir, "spark.db")
			c.damage(path)
			damaged, _ := os.ReadFile(path)
			_, err := Open(opts)
			wantCorrupt(t, err, path, c.words...)
			if got, _ := os.ReadFile(path); !bytes.Equal(got, damaged) {
				t.Fatal("spark.db changed after a refused open")
			}
			opts.Recover = true
			s, err := Open(opts)
			if err != nil {
				t.Fatalf("Open with Recover: %v", err)
			}
			st := s.Stats()
			r := st.Recovery
			got := keysOf(s, "b")
			switch {
			case c.kept >= 0 && len(got) != c.kept:
				t.Fatalf("kept %d keys, want %d (%+v)", len(got), c.kept, r)
			case c.kept < 0 && len(got) >= n:
				t.Fatalf("kept %d keys of %d (%+v)", len(got), n, r)
			}
			for _, k := range got {
				var i int
				fmt.Sscanf(k, "key%05d", &i)
				wantGet(t, s.Site("b"), k, repeat(byte('a'+i%26), 100), 0)
			}
			if r.DroppedRecords != c.dropped || (c.unknown >= 0 && r.UnknownLoss != c.unknown) || (c.unknown < 0 && r.UnknownLoss == 0) || len(r.Damage) == 0 {
				t.Fatalf("recovery %+v, want %d dropped, %d unknown", r, c.dropped, c.unknown)
			}
			if int(r.SalvagedRecords) != len(got) && c.name != "deleted" && c.name != "truncated to 0 bytes" {
				t.Fatalf("salvaged %d records, kept %d keys", r.SalvagedRecords, len(got))
			}
			if len(damaged) > 0 {
				if moved, _ := os.ReadFile(movedCopy(t, r, path)); !bytes.Equal(moved, damaged) {
					t.Fatal("the moved-aside spark.db is not the damaged one")
				}
			}
			s.Close()
			opts.Recover = false
			if s = reopenOK(t, opts); len(keysOf(s, "b")) != len(got) {
				t.Fatalf("after recovery, reopen has %d keys, want %d", len(keysOf(s, "b")), len(got))
			}
		})
	}
	t.Run("value damaged", func(t *testing.T) {
		opts := base
		opts.Dir = t.TempDir()
		copyDir(t, base.Dir, opts.Dir)
		path := filepath.Join(opts.Dir, "spark.db")
		b := slices.Clone(orig)
		b[value+30] ^= 0x01
		os.WriteFile(path, b, 0o644)
		_, err := Open(opts)
		wantCorrupt(t, err, path, `key "key01234"`, "checksum")
		opts.Recover = true
		s := reopenOK(t, opts)
		if r := s.Stats().Recovery; r.DroppedRecords != 1 || len(keysOf(s, "b")) != n-1 {
			t.Fatalf("recovery %+v, %d keys", r, len(keysOf(s, "b")))
		}
		wantMiss(t, s.Site("b"), "key01234")
	})
	t.Run("first meta page damaged: bbolt uses the second", func(t *testing.T) {
		opts := base
		opts.Dir = t.TempDir()
		copyDir(t, base.Dir, opts.Dir)
		b := slices.Clone(orig)
		b[40] ^= 0xff
		os.WriteFile(filepath.Join(opts.Dir, "spark.db"), b, 0o644)
		s := reopenOK(t, opts)
		if k := len(keysOf(s, "b")); k != n && k != 0 {
			t.Fatalf("%d keys", k)
		}
	})
}

// TestBboltDamageNeverPanics damages spark.db at random (bytes flipped in
// random pages, truncation at every page boundary): Open never panics or
// faults, accepts only what it can read, and with Recover always opens.
func TestBboltDamageNeverPanics(t *testing.T) {
	base := bboltStore(t, 2000)
	orig, _ := os.ReadFile(filepath.Join(base.Dir, "spark.db"))
	rng := rand.New(rand.NewPCG(7, 11))
	rounds := 120
	if testing.Short() {
		rounds = 30
	}
	var damages []func([]byte) []byte
	for cut := 0; cut <= len(orig); cut += 4096 {
		damages = append(damages, func(b []byte) []byte { return b[:cut] })
	}
	for range rounds {
		flips := 1 + rng.IntN(8)
		page := rng.IntN(len(orig) / 4096)
		seed := rng.Uint64()
		damages = append(damages, func(b []byte) []byte {
			r := rand.New(rand.NewPCG(seed, 0))
			for range flips {
				off := page*4096 + r.IntN(64) // headers and element tables
				if r.IntN(2) == 0 {
					off = page*4096 + r.IntN(4096)
				}
				b[off] ^= byte(1 + r.IntN(255))
			}
			return b
		})
	}
	contents := func(s *Store) string {
		var b strings.Builder
		for _, k := range s.Site("b").List() {
			v, _, _ := s.Site("b").Get([]byte(k))
			fmt.Fprintf(&b, "%s=%s\n", k, v)
		}
		return b.String()
	}
	s0 := reopenOK(t, base)
	want := contents(s0)
	s0.Close()
	opened, refused, changed := 0, 0, 0
	for i, d := range damages {
		dir := t.TempDir()
		copyDir(t, base.Dir, dir)
		path := filepath.Join(dir, "spark.db")
		os.WriteFile(path, d(slices.Clone(orig)), 0o644)
		opts := base
		opts.Dir = dir
		s, err := Open(opts)
		if err == nil {
			opened++
			if contents(s) != want {
				changed++
			}
			s.Close()
		} else {
			refused++
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("damage %d: error is not a corruption: %v", i, err)
			}
		}
		opts.Recover = true
		s, err = Open(opts)
		if err != nil {
			t.Fatalf("damage %d: Open with Recover: %v", i, err)
		}
		s.Close()
	}
	// A changed store that opens is damage bbolt's format and the record
	// checksum (which covers the value and expiry, not the key) cannot
	// reveal: a flipped key byte that keeps the keys valid and in order.
	t.Logf("%d damaged files: %d refused, %d opened unchanged (damage in unused bytes or past the end), %d opened changed", len(damages), refused, opened-changed, changed)
}

// copyDir copies the regular files of src into dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestStoreMarker(t *testing.T) {
	t.Run("another backend's directory", func(t *testing.T) {
		opts := newBboltDir(t, DurabilityGroup)
		opts.Backend = BackendPebble
		if _, err := Open(opts); !errors.Is(err, ErrWrongBackend) || !strings.Contains(err.Error(), "bbolt store") {
			t.Fatalf("pebble over a bbolt store: %v", err)
		}
		popts := Options{Backend: BackendPebble, Dir: t.TempDir(), SweepInterval: -1}
		s, err := Open(popts)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		popts.Backend = BackendBbolt
		if _, err := Open(popts); !errors.Is(err, ErrWrongBackend) {
			t.Fatalf("bbolt over a pebble store: %v", err)
		}
		os.Remove(filepath.Join(popts.Dir, MarkerName)) // a directory from before markers
		if _, err := Open(popts); !errors.Is(err, ErrWrongBackend) {
			t.Fatalf("bbolt over an unmarked pebble store: %v", err)
		}
	})
	t.Run("pebble files deleted", func(t *testing.T) {
		opts := Options{Backend: BackendPebble, Dir: t.TempDir(), SweepInterval: -1}
		s, err := Open(opts)
		if err != nil {
			t.Fatal(err)
		}
		mustSet(t, s.Site("p"), "k", "v", 0)
		s.Close()
		ents, _ := os.ReadDir(opts.Dir)
		for _, e := range ents {
			if e.Name() != MarkerName {
				os.RemoveAll(filepath.Join(opts.Dir, e.Name()))
			}
		}
		_, err = Open(opts)
		wantCorrupt(t, err, opts.Dir, "missing")
		opts.Recover = true
		s = reopenOK(t, opts)
		if r := s.Stats().Recovery; r.UnknownLoss == 0 || len(r.Damage) == 0 {
			t.Fatalf("recovery %+v", r)
		}
	})
	t.Run("garbage marker", func(t *testing.T) {
		opts := newBboltDir(t, DurabilityGroup)
		os.WriteFile(filepath.Join(opts.Dir, MarkerName), []byte("\x00\x01garbage"), 0o644)
		_, err := Open(opts)
		wantCorrupt(t, err, filepath.Join(opts.Dir, MarkerName), "not a store marker")
	})
	t.Run("a directory from before markers gets one", func(t *testing.T) {
		opts := bboltStore(t, 10)
		os.Remove(filepath.Join(opts.Dir, MarkerName))
		reopenOK(t, opts).Close()
		if b, err := os.ReadFile(filepath.Join(opts.Dir, MarkerName)); err != nil || !strings.Contains(string(b), "backend: bbolt") {
			t.Fatalf("marker %q, %v", b, err)
		}
	})
}

// pebbleCrashCopy writes keys to a pebble store and copies its files
// while it is open (as a crash would leave them: the last writes only in
// the WAL). compact first settles 3000 keys into one table.
func pebbleCrashCopy(t *testing.T, compact bool) (Options, map[string]int64) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(Options{Backend: BackendPebble, Dir: dir, SweepInterval: -1, SiteQuotaBytes: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	site := s.Site("p")
	v := make([]byte, 1000)
	for i := range 3000 {
		mustSet(t, site, fmt.Sprintf("k%05d", i), string(v), 0)
	}
	if compact {
		if err := s.be.(interface{ Compact() error }).Compact(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 200 {
		mustSet(t, site, fmt.Sprintf("w%05d", i), string(v), 0)
	}
	crash := t.TempDir()
	copyDir(t, dir, crash)
	s.Close()
	sizes := map[string]int64{}
	ents, _ := os.ReadDir(crash)
	for _, e := range ents {
		fi, _ := e.Info()
		sizes[e.Name()] = fi.Size()
	}
	return Options{Backend: BackendPebble, Dir: crash, SweepInterval: -1, SiteQuotaBytes: 1 << 30}, sizes
}

// pebbleCleanStore writes keys to a pebble store, settles them into a
// table and closes it cleanly (the marker then records the MANIFEST).
func pebbleCleanStore(t *testing.T) (Options, map[string]int64) {
	t.Helper()
	opts := Options{Backend: BackendPebble, Dir: t.TempDir(), SweepInterval: -1, SiteQuotaBytes: 1 << 30}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	site := s.Site("p")
	v := make([]byte, 1000)
	for i := range 3000 {
		mustSet(t, site, fmt.Sprintf("k%05d", i), string(v), 0)
	}
	if err := s.be.(interface{ Compact() error }).Compact(); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		mustSet(t, site, fmt.Sprintf("w%05d", i), string(v), 0)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	ents, _ := os.ReadDir(opts.Dir)
	for _, e := range ents {
		fi, _ := e.Info()
		sizes[e.Name()] = fi.Size()
	}
	return opts, sizes
}

// TestPebbleCutAfterCleanClose: pebble takes a MANIFEST or WAL cut short,
// or damaged in its last record, for a torn write and drops what follows
// (the MANIFEST's later edits and their tables; the WAL's later writes);
// the marker records the MANIFEST and the WALs at each clean Close, so
// such damage since is reported.
func TestPebbleCutAfterCleanClose(t *testing.T) {
	for _, c := range []struct {
		name   string
		file   string // prefix or suffix of the file to damage
		damage func([]byte) []byte
		words  string
	}{
		{"MANIFEST cut", "MANIFEST-", func(b []byte) []byte { return b[:len(b)-5] }, "cut short"},
		{"MANIFEST last record flipped", "MANIFEST-", func(b []byte) []byte { b[len(b)-3] ^= 0x10; return b }, "changed since the last clean close"},
		{"WAL cut", ".log", func(b []byte) []byte { return b[:len(b)/2] }, "WAL cut short"},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts, sizes := pebbleCleanStore(t)
			var target string
			for n, size := range sizes {
				if (strings.HasPrefix(n, c.file) || strings.HasSuffix(n, c.file)) && (target == "" || size > sizes[target]) {
					target = n
				}
			}
			path := filepath.Join(opts.Dir, target)
			b, _ := os.ReadFile(path)
			os.WriteFile(path, c.damage(b), 0o644)
			_, err := Open(opts)
			wantCorrupt(t, err, path, c.words)
		})
	}
}

func TestPebbleDamage(t *testing.T) {
	cases := []struct {
		name    string
		compact bool
		file    func(name string) bool
		damage  func([]byte) []byte
		words   []string
		kept    bool // Recover keeps some keys
	}{
		{"table block flipped", true, func(n string) bool { return strings.HasSuffix(n, ".sst") },
			func(b []byte) []byte {
				for i := range 4 {
					b[len(b)/3+i] ^= 0xff
				}
				return b
			}, []string{".sst", "checksum"}, true},
		{"WAL record flipped", false, func(n string) bool { return strings.HasSuffix(n, ".log") },
			func(b []byte) []byte {
				for i := range 4 {
					b[len(b)/3+i] ^= 0xff
				}
				return b
			}, []string{"WAL"}, true},
		{"table truncated", true, func(n string) bool { return strings.HasSuffix(n, ".sst") },
			func(b []byte) []byte { return b[:len(b)/2] }, []string{"size mismatch"}, false},
		{"MANIFEST truncated", false, func(n string) bool { return strings.HasPrefix(n, "MANIFEST-") },
			func(b []byte) []byte { return b[:len(b)/2] }, []string{"manifest"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			opts, sizes := pebbleCrashCopy(t, c.compact)
			var target string
			for name := range sizes {
				if c.file(name) && (target == "" || sizes[name] > sizes[target]) {
					target = name // the largest: the live WAL, the table
				}
			}
			if target == "" {
				t.Fatalf("no file to damage in %v", sizes)
			}
			path := filepath.Join(opts.Dir, target)
			b, _ := os.ReadFile(path)
			os.WriteFile(path, c.damage(b), 0o644)
			_, err := Open(opts)
			if err == nil {
				t.Fatalf("Open accepted a damaged %s", target)
			}
			var ce *CorruptError
			if !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Open error is not a one-line corruption: %q", err)
			}
			for _, w := range c.words {
				if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(w)) {
					t.Fatalf("error %q does not mention %q", err, w)
				}
			}
			opts.Recover = true
			s, err := Open(opts)
			if err != nil {
				t.Fatalf("Open with Recover: %v", err)
			}
			r := s.Stats().Recovery
			keys := len(keysOf(s, "p"))
			if len(r.Damage) == 0 || r.UnknownLoss == 0 || len(r.MovedAside) != 1 || (c.kept && keys == 0) || int64(keys) != r.SalvagedRecords {
				t.Fatalf("recovery %+v with %d keys", r, keys)
			}
			aside := strings.SplitN(r.MovedAside[0], " -> ", 2)[1]
			if moved, _ := os.ReadFile(filepath.Join(aside, target)); len(moved) == 0 {
				t.Fatalf("damaged %s not moved to %s", target, aside)
			}
			s.Close()
			opts.Recover = false
			if s = reopenOK(t, opts); len(keysOf(s, "p")) != keys {
				t.Fatalf("reopen after recovery: %d keys, want %d", len(keysOf(s, "p")), keys)
			}
		})
	}
}

// TestPebbleDamageNeverPanics damages a pebble store's files at random
// (bytes flipped in a table, a WAL, the MANIFEST, OPTIONS; files cut
// short), as a crash left them and after a clean close: Open never panics,
// refuses with ErrCorrupt or opens, and with Recover always opens. It
// counts the opens whose contents differ from the undamaged store's:
// damage the formats cannot reveal (a WAL or MANIFEST cut at a record
// boundary or damaged in its last record, which reads as a torn write).
// PEBBLE_DAMAGE_ROUNDS=n runs n rounds (default 24).
func TestPebbleDamageNeverPanics(t *testing.T) {
	for _, image := range []string{"crash", "clean"} {
		t.Run("image="+image, func(t *testing.T) {
			var base Options
			var sizes map[string]int64
			if image == "crash" {
				base, sizes = pebbleCrashCopy(t, true)
			} else {
				base, sizes = pebbleCleanStore(t)
			}
			pebbleDamageRounds(t, base, sizes)
		})
	}
}

func pebbleDamageRounds(t *testing.T, base Options, sizes map[string]int64) {
	var names []string
	for n, size := range sizes {
		if size > 0 && n != MarkerName && n != "LOCK" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	rounds := 24
	if testing.Short() {
		rounds = 6
	}
	if n, err := strconv.Atoi(os.Getenv("PEBBLE_DAMAGE_ROUNDS")); err == nil {
		rounds = n
	}
	rng := rand.New(rand.NewPCG(5, 8))
	contents := func(s *Store) string {
		var b strings.Builder
		for _, k := range s.Site("p").List() {
			v, _, _ := s.Site("p").Get([]byte(k))
			fmt.Fprintf(&b, "%s=%x\n", k, v)
		}
		return b.String()
	}
	undamaged := base
	undamaged.Dir = t.TempDir()
	copyDir(t, base.Dir, undamaged.Dir)
	s0 := reopenOK(t, undamaged)
	want := contents(s0)
	s0.Close()
	opened, refused, changed := 0, 0, 0
	for i := range rounds {
		opts := base
		opts.Dir = t.TempDir()
		copyDir(t, base.Dir, opts.Dir)
		name := names[rng.IntN(len(names))]
		path := filepath.Join(opts.Dir, name)
		b, _ := os.ReadFile(path)
		what := "cut"
		if rng.IntN(3) == 0 {
			b = b[:rng.IntN(len(b))]
		} else {
			what = "flipped"
			for range 1 + rng.IntN(8) {
				b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
			}
		}
		os.WriteFile(path, b, 0o644)
		s, err := Open(opts)
		if err == nil {
			opened++
			if contents(s) != want {
				changed++
				t.Logf("round %d (%s %s): opened with other contents", i, what, name)
			}
			s.Close()
		} else {
			refused++
			if !errors.Is(err, ErrCorrupt) {
				t.Logf("round %d (%s %s): refused, not as a corruption: %v", i, what, name, err)
			}
		}
		opts.Recover = true
		s, err = Open(opts)
		if err != nil {
			t.Fatalf("round %d (%s %s): Open with Recover: %v", i, what, name, err)
		}
		s.Close()
	}
	t.Logf("%d damaged stores: %d refused, %d opened unchanged, %d opened changed", rounds, refused, opened-changed, changed)
}
