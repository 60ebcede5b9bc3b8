package store

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// TestDiskFull fills a real (tmpfs) disk under the store: Set returns
// Internal, memory and disk stay consistent, reads keep working, and writes
// succeed again once space is freed.
func TestDiskFull(t *testing.T) {
	for _, be := range []Backend{BackendBbolt, BackendPebble} {
		for _, mode := range []Durability{DurabilityGroup, DurabilityAlways} {
			t.Run(fmt.Sprintf("backend=%s/durability=%s", be, mode), func(t *testing.T) {
				dir := mountTmpfs(t, 8<<20)
				filler := filepath.Join(dir, "filler")
				opts := Options{Backend: be, Dir: filepath.Join(dir, "db"), Durability: mode, SiteQuotaBytes: 1 << 30, SweepInterval: -1}
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
