package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/store/internal/backend"
	disk "github.com/sparkbench/sparkbench/store/internal/record"
)

// TestReaderSeesWhatReopenWould writes sites on each disk backend, closes
// the store and reads the directory read-only: live entries with their
// TTL, expired ones counted apart, sites summarised, prefixes scanned.
func TestReaderSeesWhatReopenWould(t *testing.T) {
	for _, b := range []Backend{BackendBbolt, BackendPebble} {
		t.Run(string(b), func(t *testing.T) {
			s, clk, opts := openTest(t, b, nil)
			a, z := s.Site("a.example"), s.Site("zz.example")
			mustSet(t, a, "user:1", "one", 0)
			mustSet(t, a, "user:2", "two", 60)
			mustSet(t, a, "page:home", "<html>", 0)
			mustSet(t, a, "soon", "x", 1)
			mustSet(t, z, "k", "", 0)
			if c := a.Delete([]byte("user:1")); c != OK {
				t.Fatal(c)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			clk.Advance(1500 * time.Millisecond) // soon has expired, user:2 has 58.5s left
			r, err := OpenReader(ReaderOptions{Dir: opts.Dir, Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { r.Close() }()
			if r.Backend() != b {
				t.Errorf("detected %s", r.Backend())
			}
			sites, err := r.Sites()
			if err != nil {
				t.Fatal(err)
			}
			want := []SiteSummary{{Site: "a.example", Keys: 2, Bytes: 6 + 3 + 9 + 6, Expired: 1}, {Site: "zz.example", Keys: 1, Bytes: 1}}
			if fmt.Sprint(sites) != fmt.Sprint(want) {
				t.Errorf("sites %+v, want %+v", sites, want)
			}
			e, ok, err := r.Get("a.example", "user:2")
			if err != nil || !ok || string(e.Value) != "two" || e.TTL(clk.Now()) != 59*time.Second {
				t.Errorf("get user:2: %+v %v %v ttl %v", e, ok, err, e.TTL(clk.Now()))
			}
			for _, k := range []string{"user:1", "soon", "nope"} {
				if _, ok, err := r.Get("a.example", k); ok || err != nil {
					t.Errorf("get %s: found %v, err %v", k, ok, err)
				}
			}
			if _, ok, _ := r.Get("zz.example", "user:2"); ok {
				t.Error("a key of another site")
			}
			var keys []string
			err = r.Scan("a.example", "user:", func(e Entry) error { keys = append(keys, e.Key+"="+string(e.Value)); return nil })
			if err != nil || strings.Join(keys, " ") != "user:2=two" {
				t.Errorf("scan user: %v %v", keys, err)
			}
			keys = nil
			r.Scan("a.example", "", func(e Entry) error { keys = append(keys, e.Key); return nil })
			if strings.Join(keys, " ") != "page:home user:2" {
				t.Errorf("scan all: %v", keys)
			}
			// Read-only: reopening afterwards still finds the expired entry
			// to drop (the reader deleted nothing).
			r.Close()
			s2, err := Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			if st := s2.Stats(); st.ExpiredOnReload != 1 {
				t.Errorf("reopen dropped %d expired entries, want 1 (the reader must not write)", st.ExpiredOnReload)
			}
		})
	}
}

// TestReaderLaysTheWALOver: a bbolt directory left with WAL segments not
// yet checkpointed (a crash) reads as recovery would replay it.
func TestReaderLaysTheWALOver(t *testing.T) {
	s, clk, opts := openTest(t, BackendBbolt, nil)
	a := s.Site("a")
	mustSet(t, a, "kept", "1", 0)
	mustSet(t, a, "gone", "2", 0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	put := func(k, v string) backend.Mutation {
		return backend.Mutation{Key: disk.AppendKey(nil, "a", []byte(k)), Value: disk.AppendValue(nil, []byte(v), 0)}
	}
	del := backend.Mutation{Key: disk.AppendKey(nil, "a", []byte("gone")), Delete: true}
	if err := backend.WriteWALSegment(opts.Dir, 1<<40, [][]backend.Mutation{{put("new", "3"), put("kept", "4")}, {del}}); err != nil {
		t.Fatal(err)
	}
	// A torn tail after the records: never acknowledged, never read.
	f, _ := os.OpenFile(filepath.Join(opts.Dir, fmt.Sprintf("wal-%020d.log", uint64(1<<40))), os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{9, 0, 0, 0, 1, 2})
	f.Close()
	r, err := OpenReader(ReaderOptions{Dir: opts.Dir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []string
	r.Scan("a", "", func(e Entry) error { got = append(got, e.Key+"="+string(e.Value)); return nil })
	if strings.Join(got, " ") != "kept=4 new=3" {
		t.Errorf("scan %v, want kept=4 new=3", got)
	}
	if e, ok, _ := r.Get("a", "kept"); !ok || string(e.Value) != "4" {
		t.Errorf("get kept: %+v %v", e, ok)
	}
	if _, ok, _ := r.Get("a", "gone"); ok {
		t.Error("a deleted key in the WAL is still found")
	}
	if segs, _ := filepath.Glob(filepath.Join(opts.Dir, "wal-0*.log")); len(segs) != 1 {
		t.Errorf("segments after reading: %v (the reader must not replay or delete)", segs)
	}
}

// TestReaderOfStoreInUse: a directory held by an open store is an error
// wrapping ErrLocked, within the lock timeout, not a hang.
func TestReaderOfStoreInUse(t *testing.T) {
	for _, b := range []Backend{BackendBbolt, BackendPebble} {
		t.Run(string(b), func(t *testing.T) {
			s, _, opts := openTest(t, b, nil)
			mustSet(t, s.Site("a"), "k", "v", 0)
			start := time.Now()
			_, err := OpenReader(ReaderOptions{Dir: opts.Dir, LockTimeout: 200 * time.Millisecond})
			if !errors.Is(err, ErrLocked) {
				t.Fatalf("err %v, want ErrLocked", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestReaderNotAStore(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenReader(ReaderOptions{Dir: dir}); !errors.Is(err, ErrNotStore) {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := OpenReader(ReaderOptions{Dir: filepath.Join(dir, "nope"), Backend: BackendPebble}); !errors.Is(err, ErrNotStore) {
		t.Errorf("missing dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "spark.db"), []byte("not a bbolt file, long enough to be read as a page header..............."), 0o644)
	if _, err := OpenReader(ReaderOptions{Dir: dir}); err == nil {
		t.Error("garbage spark.db opened")
	}
}
