package store

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestIndexAgainstMap drives the index with random puts, gets and deletes
// and compares it with a plain map, with hashes narrowed so that most keys
// collide and the overflow path is exercised.
func TestIndexAgainstMap(t *testing.T) {
	for _, mask := range []uint64{^uint64(0), 0xff, 0x3, 0} {
		t.Run(fmt.Sprintf("mask=%#x", mask), func(t *testing.T) {
			x := newIndex()
			x.mask = mask
			ref := map[string]string{}
			rng := rand.New(rand.NewPCG(1, mask))
			for i := range 20000 {
				k := fmt.Sprintf("k%d", rng.IntN(300))
				switch rng.IntN(3) {
				case 0:
					v := fmt.Sprintf("v%d", i)
					x.put(newRecord([]byte(k), []byte(v), int64(i)))
					ref[k] = v
				case 1:
					r, ok := x.del(k)
					_, want := ref[k]
					if ok != want || (ok && r.key() != k) {
						t.Fatalf("op %d: del(%s) = %v, want %v", i, k, ok, want)
					}
					delete(ref, k)
				default:
					r, ok := x.get(k)
					v, want := ref[k]
					if ok != want || (ok && (string(r.value()) != v || r.key() != k)) {
						t.Fatalf("op %d: get(%s) = %v %q, want %v %q", i, k, ok, r.value(), want, v)
					}
				}
				if x.len() != len(ref) {
					t.Fatalf("op %d: len %d, want %d", i, x.len(), len(ref))
				}
			}
			seen := map[string]bool{}
			for r := range x.all() {
				if seen[r.key()] || ref[r.key()] != string(r.value()) {
					t.Fatalf("all() yields %s twice or wrong", r.key())
				}
				seen[r.key()] = true
			}
			if len(seen) != len(ref) {
				t.Fatalf("all() yields %d of %d", len(seen), len(ref))
			}
		})
	}
}

func TestRecordLayout(t *testing.T) {
	for _, c := range []struct {
		key, value string
		exp        int64
	}{{"k", "", 0}, {"key", "value", -1}, {repeat('k', 256), repeat('v', 65536), 1 << 62}} {
		r := newRecord([]byte(c.key), []byte(c.value), c.exp)
		if r.key() != c.key || string(r.value()) != c.value || r.expiresAt() != c.exp || r.size() != int64(len(c.key)+len(c.value)) {
			t.Fatalf("record %q: key %q value %d bytes exp %d", c.key, r.key(), len(r.value()), r.expiresAt())
		}
	}
}

// TestGetDoesNotAllocate guards the 0-allocation contract of Get.
func TestGetDoesNotAllocate(t *testing.T) {
	s, _, _ := openTest(t, BackendMemory, nil)
	site := s.Site("a")
	mustSet(t, site, "forever", "v", 0)
	mustSet(t, site, "ttl", "v", 60)
	for _, k := range []string{"forever", "ttl", "missing", "bad key"} {
		key := []byte(k)
		if n := testing.AllocsPerRun(100, func() { site.Get(key) }); n != 0 {
			t.Errorf("Get(%q) allocates %v times", k, n)
		}
	}
}
