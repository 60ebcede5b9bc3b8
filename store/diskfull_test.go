package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// mountTmpfs mounts a tmpfs of size bytes in a fresh directory, or skips
// the test when mounting is not allowed here.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root and mount permission): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// faultObserver keeps the last write error it is told of.
type faultObserver struct {
	mu  sync.Mutex
	err error
}

func (o *faultObserver) ObserveBackend(op BackendOp, _ time.Duration, err error) {
	if op == BackendWrite && err != nil {
		o.mu.Lock()
		o.err = err
		o.mu.Unlock()
	}
}

func (o *faultObserver) last() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// wantFault checks that err is a disk fault of the given kind naming a
// path under dir, in one line that says the kind.
func wantFault(t *testing.T, err error, kind error, dir string) {
	t.Helper()
	var fe *FaultError
	if !errors.Is(err, kind) || !errors.As(err, &fe) {
		t.Fatalf("error %v is not a %v fault", err, kind)
	}
	if !strings.HasPrefix(fe.Path, dir) || fe.Op == "" {
		t.Fatalf("fault %+v: path not under %s", fe, dir)
	}
	if msg := err.Error(); !strings.Contains(msg, kind.Error()) || !strings.Contains(msg, fe.Path) || strings.Contains(msg, "\n") {
		t.Fatalf("fault message %q does not name %v and %s on one line", msg, kind, fe.Path)
	}
}

// emptySegments lists the zero-length WAL segments in dir.
func emptySegments(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	segs, _ := filepath.Glob(filepath.Join(dir, "wal-*.log"))
	for _, p := range segs {
		if fi, err := os.Stat(p); err == nil && fi.Size() == 0 {
			out = append(out, p)
		}
	}
	return out
}

// TestDiskFull fills a real (tmpfs) disk under the store: Set returns
// Internal, memory and disk stay consistent, reads keep working, and writes
// succeed again once space is freed.
func TestDiskFull(t *testing.T) {
	for _, be := range []Backend{BackendBbolt, BackendPebble} {
		for _, mode := range []Durability{DurabilityGroup, DurabilityAlways} {
			t.Run(fmt.Sprintf("backend=%s/durability=%s", be, mode), func(t *testing.T) {
				dir := mountTmpfs(t, 8<<20)
				filler := filepath.Join(dir, "filler")
				obs := &faultObserver{}
				opts := Options{Backend: be, Dir: filepath.Join(dir, "db"), Durability: mode, SiteQuotaBytes: 1 << 30, SweepInterval: -1, Observer: obs}
				s, err := Open(opts)
				if err != nil {
					t.Fatal(err)
				}
				defer func() { s.Close() }()
				// Take most of the space with a file we can delete later.
				if err := os.WriteFile(filler, make([]byte, 5<<20), 0o644); err != nil {
					t.Fatal(err)
				}
				site := s.Site("full")
				value := make([]byte, 32<<10)
				acked := map[string]byte{}
				var failedKey string
				for i := 0; i < 1000; i++ {
					key := fmt.Sprintf("k%04d", i)
					value[0] = byte(i)
					code := site.Set([]byte(key), value, 0)
					if code == Internal {
						failedKey = key
						break
					}
					if code != OK {
						t.Fatalf("Set %s = %v", key, code)
					}
					acked[key] = byte(i)
				}
				if failedKey == "" {
					t.Fatal("the disk never filled up")
				}
				t.Logf("disk full after %d writes", len(acked))
				// The cause is named: the write's error (as the observer
				// sees it) and the store's fault counters say disk full,
				// with a file of the store.
				wantFault(t, obs.last(), ErrDiskFull, opts.Dir)
				st := s.Stats()
				if st.WriteErrors == 0 || st.DiskFullErrors == 0 || st.LastFault == nil {
					t.Fatalf("stats after a full disk: %d write errors, %d disk full, last %v", st.WriteErrors, st.DiskFullErrors, st.LastFault)
				}
				wantFault(t, st.LastFault, ErrDiskFull, opts.Dir)
				// While full: more writes and deletes fail with Internal or
				// succeed, and whatever they report is what holds.
				for i := 0; i < 5; i++ {
					key := fmt.Sprintf("more%d", i)
					value[0] = byte(100 + i)
					switch code := site.Set([]byte(key), value, 0); code {
					case OK:
						acked[key] = byte(100 + i)
					case Internal:
					default:
						t.Fatalf("Set while full = %v", code)
					}
				}
				// A concurrent burst while full (pebble's pipeline has several
				// commits in flight): OK or Internal, no hang.
				var mu sync.Mutex
				var wg sync.WaitGroup
				for w := range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						key := fmt.Sprintf("burst%d", w)
						v := bytes.Clone(value)
						v[0] = byte(200 + w)
						code := site.Set([]byte(key), v, 0)
						mu.Lock()
						defer mu.Unlock()
						switch code {
						case OK:
							acked[key] = byte(200 + w)
						case Internal:
						default:
							t.Errorf("concurrent Set while full = %v", code)
						}
					}()
				}
				wg.Wait()
				for _, key := range []string{"k0001", "k0002"} {
					switch code := site.Delete([]byte(key)); code {
					case OK:
						delete(acked, key)
					case Internal:
					default:
						t.Fatalf("Delete while full = %v", code)
					}
				}
				// Failed appends leave no empty WAL segments behind.
				if empty := emptySegments(t, opts.Dir); len(empty) > 0 {
					t.Fatalf("empty WAL segments after the disk filled: %v", empty)
				}
				// Memory: the failed key is absent, the rest readable.
				if _, ok := acked[failedKey]; !ok {
					wantMiss(t, site, failedKey)
				}
				checkUsage(t, site)
				if u := site.Usage(); u.Keys != len(acked) {
					t.Fatalf("usage %+v after %d acknowledged writes", u, len(acked))
				}
				for k, b := range acked {
					v, _, ok := site.Get([]byte(k))
					if !ok || v[0] != b || len(v) != len(value) {
						t.Fatalf("Get(%s) after disk full: ok=%v", k, ok)
					}
				}
				// Free space: later writes succeed.
				if err := os.Remove(filler); err != nil {
					t.Fatal(err)
				}
				// Pebble reopens itself in the background after a fatal
				// commit error, so the first writes may still fail.
				deadline := time.Now().Add(20 * time.Second)
				for i, key := range []string{failedKey, "after1", "after2", "k0003"} {
					value[0] = byte(0xe0 + i)
					for {
						code := site.Set([]byte(key), value, 0)
						if code == OK {
							break
						}
						if code != Internal || time.Now().After(deadline) {
							t.Fatalf("Set(%s) after freeing space = %v", key, code)
						}
						time.Sleep(10 * time.Millisecond)
					}
					acked[key] = byte(0xe0 + i)
				}
				if code := site.Delete([]byte("k0004")); code != OK {
					t.Fatalf("Delete after freeing space = %v", code)
				}
				delete(acked, "k0004")
				// Disk agrees with memory after reopen.
				if err := s.Close(); err != nil {
					t.Fatalf("close: %v", err)
				}
				if s, err = Open(opts); err != nil {
					t.Fatalf("reopen: %v", err)
				}
				site = s.Site("full")
				checkUsage(t, site)
				if u := site.Usage(); u.Keys != len(acked) {
					t.Fatalf("after reopen: %+v, want %d keys", u, len(acked))
				}
				for k, b := range acked {
					if v, _, ok := site.Get([]byte(k)); !ok || v[0] != b {
						t.Fatalf("after reopen Get(%s) ok=%v", k, ok)
					}
				}
			})
		}
	}
}

// TestReopenOnFullDisk reopens a store whose disk is full: pebble, which
// must flush the WAL it replays, used to retry that flush forever inside
// pebble.Open. Open must fail at once with ErrDiskFull naming the
// directory, and succeed once space is freed, with every write there.
func TestReopenOnFullDisk(t *testing.T) {
	for _, be := range []Backend{BackendBbolt, BackendPebble} {
		t.Run("backend="+string(be), func(t *testing.T) {
			dir := mountTmpfs(t, 8<<20)
			opts := Options{Backend: be, Dir: filepath.Join(dir, "db"), SiteQuotaBytes: 1 << 30, SweepInterval: -1,
				CheckpointBytes: 64 << 20, CheckpointInterval: -1}
			s, err := Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			site := s.Site("x")
			v := make([]byte, 32<<10)
			n := 0
			for ; n < 60; n++ {
				if code := site.Set(fmt.Appendf(nil, "k%03d", n), v, 0); code != OK {
					s.Close()
					t.Fatalf("Set = %v", code)
				}
			}
			// Keep the writes in the WAL (pebble) and in WAL segments
			// (bbolt group): copy the files as a crash would leave them.
			crash := filepath.Join(dir, "crash")
			os.Mkdir(crash, 0o755)
			copyDir(t, opts.Dir, crash)
			s.Close()
			os.RemoveAll(opts.Dir)
			opts.Dir = crash
			fill := filepath.Join(dir, "filler")
			f, err := os.Create(fill)
			if err != nil {
				t.Fatal(err)
			}
			for {
				if _, err := f.Write(make([]byte, 64<<10)); err != nil {
					break
				}
			}
			f.Close()
			start := time.Now()
			s, err = Open(opts)
			took := time.Since(start)
			if err == nil {
				// bbolt may find room for its replay in its own free pages.
				s.Close()
				if be == BackendPebble {
					t.Fatal("pebble opened on a full disk")
				}
			} else {
				t.Logf("reopen on a full disk after %v: %v", took, err)
				wantFault(t, err, ErrDiskFull, crash)
			}
			if took > 20*time.Second {
				t.Fatalf("reopen on a full disk took %v", took)
			}
			os.Remove(fill)
			s, err = Open(opts)
			if err != nil {
				t.Fatalf("reopen after freeing space: %v", err)
			}
			defer s.Close()
			if got := s.Site("x").Usage().Keys; got != n {
				t.Fatalf("%d keys after reopen, want %d", got, n)
			}
		})
	}
}

// mountFailingDisk mounts a small ext4 file system (no journal) on a loop
// device in a fresh directory and returns it with a function that makes
// the device fail every later write with EIO: it shrinks the loop device
// to 32 KiB, so the file system's writes land beyond its end (the block
// layer's "attempt to access beyond end of device"). The test is skipped
// where loop devices, mkfs.ext4 or mounting are not available.
func mountFailingDisk(t *testing.T) (dir string, fail func()) {
	t.Helper()
	for _, tool := range []string{"losetup", "mkfs.ext4", "mount", "umount"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s: cannot make a failing disk", tool)
		}
	}
	base := t.TempDir()
	img := filepath.Join(base, "disk.img")
	dir = filepath.Join(base, "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if f, err := os.Create(img); err != nil {
		t.Fatal(err)
	} else if err := errors.Join(f.Truncate(64<<20), f.Close()); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) (string, error) {
		out, err := exec.Command(name, args...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := run("mkfs.ext4", "-q", "-F", "-O", "^has_journal", "-b", "4096", img); err != nil {
		t.Skipf("mkfs.ext4: %v: %s", err, out)
	}
	dev, err := run("losetup", "-f", "--show", img)
	if err != nil {
		t.Skipf("cannot attach a loop device (needs root and /dev/loop*): %v: %s", err, dev)
	}
	t.Cleanup(func() { run("losetup", "-d", dev) })
	if out, err := run("mount", "-o", "errors=continue", dev, dir); err != nil {
		t.Skipf("cannot mount %s: %v: %s", dev, err, out)
	}
	t.Cleanup(func() {
		if out, err := run("umount", dir); err != nil {
			run("umount", "-l", dir)
			t.Logf("umount %s: %v: %s (detached lazily)", dir, err, out)
		}
	})
	return dir, func() {
		if err := os.Truncate(img, 32<<10); err != nil {
			t.Fatal(err)
		}
		if out, err := run("losetup", "-c", dev); err != nil {
			t.Fatalf("losetup -c: %v: %s", err, out)
		}
	}
}

// TestDiskIOError makes the disk under the store fail with real EIO: Set
// returns Internal, the error the observer gets and the store's fault
// counters say I/O error with a file of the store, reads keep working, and
// nothing panics, including Close.
func TestDiskIOError(t *testing.T) {
	for _, be := range []Backend{BackendBbolt, BackendPebble} {
		for _, mode := range []Durability{DurabilityGroup, DurabilityAlways} {
			t.Run(fmt.Sprintf("backend=%s/durability=%s", be, mode), func(t *testing.T) {
				mnt, fail := mountFailingDisk(t)
				obs := &faultObserver{}
				opts := Options{Backend: be, Dir: filepath.Join(mnt, "db"), Durability: mode, SweepInterval: -1, Observer: obs}
				s, err := Open(opts)
				if err != nil {
					t.Fatal(err)
				}
				site := s.Site("io")
				for i := range 20 {
					mustSet(t, site, fmt.Sprintf("k%02d", i), "before", 0)
				}
				fail()
				failed := 0
				for i := range 20 {
					switch code := site.Set(fmt.Appendf(nil, "k%02d", i), []byte("during"), 0); code {
					case OK:
					case Internal:
						failed++
					default:
						t.Fatalf("Set on a failing disk = %v", code)
					}
				}
				if failed == 0 {
					t.Fatal("no write failed on a failing disk")
				}
				wantFault(t, obs.last(), ErrIO, opts.Dir)
				st := s.Stats()
				if st.IOErrors == 0 || st.LastFault == nil {
					t.Fatalf("stats on a failing disk: %d I/O errors, last %v", st.IOErrors, st.LastFault)
				}
				wantFault(t, st.LastFault, ErrIO, opts.Dir)
				t.Logf("%d of 20 writes failed: %v", failed, obs.last())
				if _, _, ok := site.Get([]byte("k00")); !ok {
					t.Fatal("read failed on a failing disk")
				}
				t.Logf("close: %v", s.Close())
			})
		}
	}
}
