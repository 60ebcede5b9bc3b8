package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sparkbench/sparkbench/store/internal/backend"
	disk "github.com/sparkbench/sparkbench/store/internal/record"
)

// Opening is interruptible: OpenContext returns soon after its context is
// done, whichever step it is in, and what it could not stop is cleaned up
// (the next open of the directory succeeds).

// wantCancelled checks that OpenContext returned the context's error
// within limit.
func wantCancelled(t *testing.T, err error, took, limit time.Duration) {
	t.Helper()
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("OpenContext after cancellation: %v", err)
	}
	if took > limit {
		t.Fatalf("OpenContext returned %v after cancellation, want within %v", took, limit)
	}
}

// TestOpenCancelWhileLocked: bbolt waits up to 2s for the lock of a
// directory another store holds; cancellation ends the wait.
func TestOpenCancelWhileLocked(t *testing.T) {
	s, _, opts := openTest(t, BackendBbolt, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := OpenContext(ctx, opts)
	wantCancelled(t, err, time.Since(start)-100*time.Millisecond, time.Second)
	s.Close()
	// The abandoned open took the lock once s let go, and gave it back.
	deadline := time.Now().Add(5 * time.Second)
	for {
		s2, err := Open(opts)
		if err == nil {
			s2.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("open after an abandoned open: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestOpenCancelDuringReload cancels the index reload of a large store.
func TestOpenCancelDuringReload(t *testing.T) {
	for _, be := range []Backend{BackendBbolt, BackendPebble} {
		t.Run("backend="+string(be), func(t *testing.T) {
			opts := Options{Backend: be, Dir: t.TempDir(), SweepInterval: -1, SiteQuotaBytes: 1 << 40}
			raw, err := backend.Open(context.Background(), string(be), backend.Config{Dir: opts.Dir})
			if err != nil {
				t.Fatal(err)
			}
			const n = 300000
			for i := 0; i < n; i += 10000 {
				muts := make([]backend.Mutation, 10000)
				for j := range muts {
					muts[j] = backend.Mutation{Key: disk.AppendKey(nil, "r", fmt.Appendf(nil, "k%07d", i+j)), Value: disk.AppendValue(nil, []byte("value"), 0)}
				}
				if err := raw.Apply(muts); err != nil {
					t.Fatal(err)
				}
			}
			raw.Close()
			start := time.Now()
			s, err := Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			full := time.Since(start)
			s.Close()
			ctx, cancel := context.WithCancelCause(context.Background())
			go func() {
				time.Sleep(full / 4)
				cancel(errors.New("interrupt"))
			}()
			start = time.Now()
			_, err = OpenContext(ctx, opts)
			took := time.Since(start)
			if err == nil {
				t.Skipf("the open (%v) finished before the cancellation", took)
			}
			if context.Cause(ctx) == nil || !errors.Is(err, context.Cause(ctx)) {
				t.Fatalf("error %v does not carry the cause", err)
			}
			t.Logf("full open %v; cancelled after %v, returned after %v", full, full/4, took)
			if took > full/4+time.Second {
				t.Fatalf("OpenContext returned %v after the start, cancelled at %v", took, full/4)
			}
			if s, err = Open(opts); err != nil {
				t.Fatalf("open after a cancelled open: %v", err)
			}
			if k := s.Stats().Keys; k != n {
				t.Fatalf("%d keys, want %d", k, n)
			}
			s.Close()
		})
	}
}

// blockingFS blocks pebble's reads of the MANIFEST until released, like a
// stuck device.
type blockingFS struct {
	vfs.FS
	once    sync.Once
	blocked chan struct{}
	release chan struct{}
}

func (fs *blockingFS) Open(name string, opts ...vfs.OpenOption) (vfs.File, error) {
	if filepath.Base(name)[:min(8, len(filepath.Base(name)))] == "MANIFEST" {
		fs.once.Do(func() { close(fs.blocked) })
		<-fs.release
	}
	return fs.FS.Open(name, opts...)
}

// TestOpenCancelPebbleStuck: pebble.Open cannot be interrupted; OpenContext
// returns at cancellation and closes the DB when pebble's open ends.
func TestOpenCancelPebbleStuck(t *testing.T) {
	opts := Options{Backend: BackendPebble, Dir: t.TempDir(), SweepInterval: -1}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, s.Site("p"), "k", "v", 0)
	s.Close()
	fs := &blockingFS{FS: vfs.Default, blocked: make(chan struct{}), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var took time.Duration
	go func() {
		_, err := open(ctx, opts, backend.Config{FS: fs}, nil)
		done <- err
	}()
	<-fs.blocked
	start := time.Now()
	cancel()
	err = <-done
	took = time.Since(start)
	wantCancelled(t, err, took, time.Second)
	close(fs.release)
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err = Open(opts)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("open after an abandoned pebble open: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer s.Close()
	wantGet(t, s.Site("p"), "k", "v", 0)
}
