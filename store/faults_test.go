package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/sparkbench/sparkbench/store/internal/backend"
)

// faultyBackend fails every Apply while on.
type faultyBackend struct {
	backend.Backend
	on    atomic.Bool
	fails atomic.Int64
}

func (f *faultyBackend) Apply(m []backend.Mutation) error {
	if f.on.Load() {
		f.fails.Add(1)
		return errors.New("injected I/O error")
	}
	return f.Backend.Apply(m)
}

// TestInjectedWriteFailures fails the backend under every write path (Set,
// overwrite, Delete, Import, reclaim before a quota refusal, sweeper): the
// caller sees Internal (reclaim and sweeper: nothing), memory keeps the last
// acknowledged state, quota is unchanged, reads keep working, later writes
// succeed, and disk agrees after reopen.
func TestInjectedWriteFailures(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be Backend) {
		clk := newFakeClock()
		opts := Options{Backend: be, Dir: t.TempDir(), Now: clk.Now, SweepInterval: -1, SiteQuotaBytes: 100}
		var fb *faultyBackend
		s, err := open(context.Background(), opts, backend.Config{}, func(b backend.Backend) backend.Backend {
			fb = &faultyBackend{Backend: b}
			return fb
		})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { s.Close() }()
		site := s.Site("f")
		mustSet(t, site, "a", repeat('a', 39), 0) // 40 bytes
		mustSet(t, site, "exp", repeat('e', 37), 1)
		before := site.Usage()

		fb.on.Store(true)
		steps := []struct {
			name string
			do   func() Code
		}{
			{"set new", func() Code { return site.Set([]byte("b"), []byte("bbbb"), 0) }},
			{"overwrite", func() Code { return site.Set([]byte("a"), []byte("shorter"), 0) }},
			{"delete", func() Code { return site.Delete([]byte("a")) }},
			{"import", func() Code {
				_, c := site.Import(Entry{Key: "imp", Value: []byte("v"), ExpiresAt: clk.Now().Add(time.Hour).UnixNano()})
				return c
			}},
		}
		for _, st := range steps {
			if got := st.do(); got != Internal {
				t.Fatalf("%s with a failing backend = %v, want Internal", st.name, got)
			}
			if got := site.Usage(); got != before {
				t.Fatalf("%s: usage %+v -> %+v", st.name, before, got)
			}
			wantGet(t, site, "a", repeat('a', 39), 0)
			wantMiss(t, site, "b")
			wantMiss(t, site, "imp")
		}
		// Reclaim before refusing and the sweeper: the expired entry goes
		// from memory even though its disk delete fails (reopen drops it).
		clk.Advance(2 * time.Second)
		if got := site.Set([]byte("c"), []byte(repeat('c', 50)), 0); got != Internal {
			t.Fatalf("set after reclaim with failing backend = %v", got)
		}
		checkUsage(t, site)
		if u := site.Usage(); u.UsedBytes != 40 || u.Keys != 1 {
			t.Fatalf("after failed reclaim+set: %+v", u)
		}
		if fb.fails.Load() == 0 {
			t.Fatal("no failure injected")
		}

		fb.on.Store(false)
		mustSet(t, site, "c", repeat('c', 50), 0)
		if got := site.Delete([]byte("a")); got != OK {
			t.Fatalf("delete after recovery = %v", got)
		}
		wantGet(t, site, "c", repeat('c', 50), 0)
		checkUsage(t, site)
		if be == "memory" {
			return
		}
		s.Close()
		if s, err = Open(opts); err != nil {
			t.Fatal(err)
		}
		site = s.Site("f")
		wantGet(t, site, "c", repeat('c', 50), 0)
		wantMiss(t, site, "a")
		wantMiss(t, site, "exp")
		if u := site.Usage(); u.UsedBytes != 51 || u.Keys != 1 {
			t.Fatalf("after reopen: %+v", u)
		}
	})
}

// TestPebbleWALWriteError injects real I/O errors under pebble's WAL
// through its vfs: Set returns Internal, the store keeps serving reads, and
// writes succeed again once the errors stop (pebble is reopened in the
// background). Only the durable modes: with DurabilityNone a commit does not
// wait for the WAL write, so the error cannot reach the caller.
func TestPebbleWALWriteError(t *testing.T) {
	for _, mode := range []Durability{DurabilityGroup, DurabilityAlways} {
		t.Run("durability="+mode.String(), func(t *testing.T) {
			toggle := &errorfs.Toggle{Injector: errorfs.InjectorFunc(func(op errorfs.Op) error {
				if strings.HasSuffix(op.Path, ".log") && (op.Kind == errorfs.OpFileWrite || op.Kind == errorfs.OpFileSync || op.Kind == errorfs.OpFileWriteAt) {
					return errorfs.ErrInjected
				}
				return nil
			})}
			opts := Options{Backend: "pebble", Dir: t.TempDir(), Durability: mode, SweepInterval: -1}
			s, err := open(context.Background(), opts, backend.Config{FS: errorfs.Wrap(vfs.Default, toggle)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { s.Close() }()
			site := s.Site("p")
			for i := range 20 {
				mustSet(t, site, fmt.Sprintf("k%02d", i), "before", 0)
			}
			toggle.On()
			if got := site.Set([]byte("k00"), []byte("during"), 0); got != Internal {
				t.Fatalf("Set with failing WAL = %v", got)
			}
			if got := site.Set([]byte("new"), []byte("during"), 0); got != Internal {
				t.Fatalf("second Set with failing WAL = %v", got)
			}
			// Concurrent writers while the WAL fails: each gets Internal
			// (pebble reports the WAL error to every waiting commit), none
			// hangs.
			var wg sync.WaitGroup
			for w := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if got := site.Set([]byte(fmt.Sprintf("c%02d", w)), []byte("during"), 0); got != Internal {
						t.Errorf("concurrent Set with failing WAL = %v", got)
					}
				}()
			}
			wg.Wait()
			for i := range 20 {
				wantGet(t, site, fmt.Sprintf("k%02d", i), "before", 0)
			}
			wantMiss(t, site, "new")
			wantMiss(t, site, "c00")
			checkUsage(t, site)
			toggle.Off()
			deadline := time.Now().Add(20 * time.Second)
			for site.Set([]byte("k00"), []byte("after"), 0) != OK {
				if time.Now().After(deadline) {
					t.Fatal("writes did not recover after the faults stopped")
				}
				time.Sleep(10 * time.Millisecond)
			}
			mustSet(t, site, "new", "after", 0)
			s.Close()
			if s, err = Open(opts); err != nil {
				t.Fatal(err)
			}
			site = s.Site("p")
			wantGet(t, site, "k00", "after", 0)
			wantGet(t, site, "new", "after", 0)
			for i := 1; i < 20; i++ {
				wantGet(t, site, fmt.Sprintf("k%02d", i), "before", 0)
			}
			checkUsage(t, site)
		})
	}
}

// TestBboltWALFaults injects failures into bbolt group's write-ahead log
// (creating, writing or syncing a segment) and into its checkpoints:
// a failed WAL write makes Set, Delete and Import return Internal and
// change nothing, concurrent writers in the failing group all get Internal,
// reads keep working, later writes succeed; failing checkpoints do not fail
// writes, and everything acknowledged is there after reopen (also when the
// final checkpoint at Close failed and reopen replays the WAL).
func TestBboltWALFaults(t *testing.T) {
	for _, op := range []string{"create", "write", "sync", "checkpoint"} {
		t.Run("op="+op, func(t *testing.T) {
			var failing atomic.Bool
			var injected atomic.Int64
			cfg := backend.Config{WALFault: func(o string) error {
				if o == op && failing.Load() {
					injected.Add(1)
					return errors.New("injected " + o + " error")
				}
				return nil
			}}
			opts := Options{Backend: BackendBbolt, Dir: t.TempDir(), Durability: DurabilityGroup, SweepInterval: -1,
				CheckpointBytes: 1 << 10, CheckpointInterval: time.Millisecond}
			s, err := open(context.Background(), opts, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { s.Close() }()
			site := s.Site("w")
			for i := range 20 {
				mustSet(t, site, fmt.Sprintf("k%02d", i), "before", 0)
			}
			failing.Store(true)
			want := Internal
			if op == "checkpoint" {
				want = OK // the WAL holds the writes; checkpoints retry
			}
			if op == "create" {
				// A segment is created after each checkpoint; wait until
				// the last writes were checkpointed so the next needs one.
				deadline := time.Now().Add(10 * time.Second)
				for s.Stats().WALBytes == 0 || len(walFiles(t, opts.Dir)) > 0 {
					if time.Now().After(deadline) {
						t.Fatal("no checkpoint emptied the WAL")
					}
					time.Sleep(time.Millisecond)
				}
			}
			if got := site.Set([]byte("k00"), []byte("during"), 0); got != want {
				t.Fatalf("Set with failing %s = %v, want %v", op, got, want)
			}
			if got := site.Delete([]byte("k01")); got != want {
				t.Fatalf("Delete with failing %s = %v, want %v", op, got, want)
			}
			if _, got := site.Import(Entry{Key: "imp", Value: []byte("during")}); got != want {
				t.Fatalf("Import with failing %s = %v, want %v", op, got, want)
			}
			var wg sync.WaitGroup
			for w := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if got := site.Set([]byte(fmt.Sprintf("c%02d", w)), []byte("during"), 0); got != want {
						t.Errorf("concurrent Set with failing %s = %v, want %v", op, got, want)
					}
				}()
			}
			wg.Wait()
			if injected.Load() == 0 && op != "checkpoint" { // checkpoint: checked at Close
				t.Fatalf("no %s failure was injected", op)
			}
			expect := map[string]string{}
			for i := range 20 {
				expect[fmt.Sprintf("k%02d", i)] = "before"
			}
			if want == OK {
				expect["k00"] = "during"
				delete(expect, "k01")
				expect["imp"] = "during"
				for w := range 16 {
					expect[fmt.Sprintf("c%02d", w)] = "during"
				}
			}
			check := func(when string) {
				t.Helper()
				checkUsage(t, site)
				if u := site.Usage(); u.Keys != len(expect) {
					t.Fatalf("%s: %d keys, want %d", when, u.Keys, len(expect))
				}
				for k, v := range expect {
					wantGet(t, site, k, v, 0)
				}
			}
			check("while failing")
			if op == "checkpoint" {
				// Close's final checkpoint fails too (background ones may
				// or may not have run by now): the WAL stays and reopen
				// replays it.
				if err := s.Close(); !errors.Is(err, backend.ErrCheckpoint) {
					t.Fatalf("close with failing checkpoints: %v", err)
				}
				if st := s.Stats(); st.CheckpointFailures == 0 || injected.Load() == 0 {
					t.Fatalf("stats %+v: no failed checkpoint", st)
				}
				if len(walFiles(t, opts.Dir)) == 0 {
					t.Fatal("no WAL segment left after a failed final checkpoint")
				}
				if s, err = Open(opts); err != nil {
					t.Fatal(err)
				}
				site = s.Site("w")
				check("after reopen with a failed final checkpoint")
			}
			failing.Store(false)
			mustSet(t, site, "k00", "after", 0)
			mustSet(t, site, "new", "after", 0)
			expect["k00"], expect["new"] = "after", "after"
			check("after the faults stopped")
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if s, err = Open(opts); err != nil {
				t.Fatal(err)
			}
			site = s.Site("w")
			check("after reopen")
		})
	}
}

func walFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "wal-*.log"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
