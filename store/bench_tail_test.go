package store

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	bolt "go.etcd.io/bbolt"

	disk "github.com/sparkbench/sparkbench/store/internal/record"
)

// BenchmarkDurableTail puts the store's durable writes beside the backend's
// own durable write of the same data at the same concurrency (issue 12,
// item 3): 16 closed-loop writers of 1 KiB values, keys drawn from a
// zipfian distribution (theta 0.99, YCSB's) over 10,000 keys. The store
// side is Site.Set; the raw side is, for bbolt always, one db.Update per
// write, for bbolt group, db.Batch (bbolt's own batching, default 10ms
// delay), and for pebble, a batch committed with pebble.Sync (pebble's
// commit pipeline groups concurrent syncs). Raw writes use the store's disk
// encoding, so both sides write the same bytes.
//
// On a shared machine the disk and the CPU come and go, so the two sides
// alternate in rounds (store, raw, store, raw, ...), each round b.N writes
// in fresh directories, and the medians of the rounds' percentiles are
// reported per side, with the ratio of the p99s (store over raw):
//
//	go test -run '^$' -bench DurableTail -benchtime 8000x ./store/
func BenchmarkDurableTail(b *testing.B) {
	const writers, keys, valueSize, rounds = 16, 10000, 1024, 5
	cases := []struct {
		backend Backend
		d       Durability
	}{
		{BackendBbolt, DurabilityAlways},
		{BackendBbolt, DurabilityGroup},
		{BackendPebble, DurabilityGroup},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("backend=%s/durability=%s", c.backend, c.d), func(b *testing.B) {
			var res [2][]tailResult // store, raw
			for range rounds {
				for side := range 2 {
					dir := b.TempDir()
					var write func(key []byte, value []byte) error
					var closer func()
					if side == 0 {
						s, err := Open(Options{Backend: c.backend, Dir: dir, Durability: c.d, SiteQuotaBytes: 1 << 40, SweepInterval: -1})
						if err != nil {
							b.Fatal(err)
						}
						site := s.Site("tail")
						write = func(key, value []byte) error {
							if code := site.Set(key, value, 0); code != OK {
								return fmt.Errorf("Set: %v", code)
							}
							return nil
						}
						closer = func() { s.Close() }
					} else {
						write, closer = rawWriter(b, c.backend, c.d, dir)
					}
					res[side] = append(res[side], runTail(b, b.N, writers, keys, valueSize, write))
					closer()
				}
			}
			med := func(rs []tailResult, f func(tailResult) float64) float64 {
				v := make([]float64, len(rs))
				for i, r := range rs {
					v[i] = f(r)
				}
				slices.Sort(v)
				return v[len(v)/2]
			}
			for side, name := range []string{"store", "raw"} {
				b.ReportMetric(med(res[side], func(r tailResult) float64 { return r.p50 }), name+"-p50-ms")
				b.ReportMetric(med(res[side], func(r tailResult) float64 { return r.p99 }), name+"-p99-ms")
				b.ReportMetric(med(res[side], func(r tailResult) float64 { return r.p999 }), name+"-p999-ms")
				b.ReportMetric(med(res[side], func(r tailResult) float64 { return r.rate }), name+"-writes/s")
			}
			b.ReportMetric(med(res[0], func(r tailResult) float64 { return r.p99 })/med(res[1], func(r tailResult) float64 { return r.p99 }), "p99-ratio")
			b.ReportMetric(0, "ns/op")
			for i := range res[0] {
				b.Logf("round %d: store p99 %.2f ms (%.0f/s), raw p99 %.2f ms (%.0f/s)", i, res[0][i].p99, res[0][i].rate, res[1][i].p99, res[1][i].rate)
			}
		})
	}
}

// rawWriter opens the backend itself, as a program using it directly
// would, and returns a write of one key in the store's disk encoding.
func rawWriter(b *testing.B, backendName Backend, d Durability, dir string) (func(key, value []byte) error, func()) {
	encode := func(key, value []byte) ([]byte, []byte) {
		return disk.AppendKey(nil, "tail", key), disk.AppendValue(nil, value, 0)
	}
	switch backendName {
	case BackendBbolt:
		db, err := bolt.Open(filepath.Join(dir, "raw.db"), 0o644, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
		if err != nil {
			b.Fatal(err)
		}
		bucket := []byte("spark")
		if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucket); return err }); err != nil {
			b.Fatal(err)
		}
		put := func(key, value []byte) func(tx *bolt.Tx) error {
			k, v := encode(key, value)
			return func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(k, v) }
		}
		if d == DurabilityAlways {
			return func(key, value []byte) error { return db.Update(put(key, value)) }, func() { db.Close() }
		}
		return func(key, value []byte) error { return db.Batch(put(key, value)) }, func() { db.Close() }
	case BackendPebble:
		db, err := pebble.Open(dir, &pebble.Options{Logger: pebbleQuiet{}})
		if err != nil {
			b.Fatal(err)
		}
		return func(key, value []byte) error {
			k, v := encode(key, value)
			batch := db.NewBatch()
			defer batch.Close()
			if err := batch.Set(k, v, nil); err != nil {
				return err
			}
			return batch.Commit(pebble.Sync)
		}, func() { db.Close() }
	}
	b.Fatalf("no raw writer for %s", backendName)
	return nil, nil
}

type pebbleQuiet struct{}

func (pebbleQuiet) Infof(string, ...any)         {}
func (pebbleQuiet) Errorf(string, ...any)        {}
func (pebbleQuiet) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }

// tailResult is one run's throughput and latency percentiles (ms).
type tailResult struct{ rate, p50, p99, p999 float64 }

// runTail runs n writes from writers closed-loop goroutines, each drawing
// keys from its own zipfian generator.
func runTail(b *testing.B, n, writers, keys, valueSize int, write func(key, value []byte) error) tailResult {
	lat := make([][]time.Duration, writers)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		count := n / writers
		if w < n%writers {
			count++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			z := newZipfian(keys, 0.99, uint64(w))
			value := make([]byte, valueSize)
			mine := make([]time.Duration, 0, count)
			for i := range count {
				key := fmt.Appendf(nil, "user%05d", z.next())
				value[0], value[1] = byte(w), byte(i)
				t0 := time.Now()
				if err := write(key, value); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			lat[w] = mine
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return tailResult{}
	}
	ms := func(q float64) float64 {
		return float64(all[min(len(all)-1, int(float64(len(all))*q))].Microseconds()) / 1000
	}
	return tailResult{rate: float64(len(all)) / elapsed.Seconds(), p50: ms(0.5), p99: ms(0.99), p999: ms(0.999)}
}

// zipfian draws integers in [0, n) with YCSB's zipfian generator (Gray et
// al., "Quickly generating billion-record synthetic databases"): item 0 is
// the most popular.
type zipfian struct {
	n                   int
	theta, alpha, zetan float64
	eta                 float64
	r                   *rand.Rand
}

func newZipfian(n int, theta float64, seed uint64) *zipfian {
	zeta := func(k int) float64 {
		s := 0.0
		for i := 1; i <= k; i++ {
			s += 1 / math.Pow(float64(i), theta)
		}
		return s
	}
	z := &zipfian{n: n, theta: theta, alpha: 1 / (1 - theta), zetan: zeta(n), r: rand.New(rand.NewPCG(seed, 99))}
	z.eta = (1 - math.Pow(2/float64(n), 1-theta)) / (1 - zeta(2)/z.zetan)
	return z
}

func (z *zipfian) next() int {
	u := z.r.Float64()
	uz := u * z.zetan
	if uz < 1 {
		return 0
	}
	if uz < 1+math.Pow(0.5, z.theta) {
		return 1
	}
	return int(float64(z.n) * math.Pow(z.eta*u-z.eta+1, z.alpha))
}
