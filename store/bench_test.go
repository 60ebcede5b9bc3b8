package store

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/store/internal/backend"
	disk "github.com/sparkbench/sparkbench/store/internal/record"
)

// Benchmarks for the performance targets of the store (issue 2):
//
//	go test -run '^$' -bench 'Get' -benchtime 1s ./store/
//	go test -run '^$' -bench 'Set' -benchtime 2000x ./store/
//	go test -run '^$' -bench 'Set/backend=bbolt/durability=(group|always)/writers=(1|64)$' -benchtime 5000x ./store/
//	go test -run '^$' -bench 'SetSharedKeys' -benchtime 5000x ./store/
//	go test -run '^$' -bench 'SetGroupWriters' -benchtime 2000x ./store/
//	go test -run '^$' -bench 'SetCheckpoint' -benchtime 20000x ./store/
//	go test -run '^$' -bench 'IndexOverhead|Reopen' -benchtime 1x ./store/
//
// The 1M-key cases run only under -bench.

func benchKey(i int) []byte { return fmt.Appendf(nil, "key:%08d", i) }

// BenchmarkGet measures a Get hit from the in-memory index (the same for
// every backend) at growing index sizes. Each iteration looks up one of a
// working set of 1024 keys spread evenly over the whole index, so the figure
// is the index's own cost at that size (hashing, directory and table
// lookup, TTL arithmetic), not the machine's DRAM latency; see
// BenchmarkGetUniform for lookups spread over every key.
func BenchmarkGet(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			site := benchIndex(b, n)
			benchLookups(b, site, n, 1024)
		})
	}
}

// BenchmarkGetHotSet varies BenchmarkGet's working set at 1k and 1M keys.
// A cyclic hot set of h keys spread over a large index touches at least h
// distinct 4 KiB pages per cycle (2h with the map group and the record);
// once that exceeds what the second-level TLB holds (see BenchmarkTLBReach)
// every first touch is a page walk, whatever the layout:
//
//	go test -run '^$' -bench 'GetHotSet' ./store/
func BenchmarkGetHotSet(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		for _, hot := range []int{128, 512, 1024} {
			if hot > n {
				continue
			}
			b.Run(fmt.Sprintf("keys=%d/hot=%d", n, hot), func(b *testing.B) {
				site := benchIndex(b, n)
				benchLookups(b, site, n, hot)
			})
		}
	}
}

// BenchmarkGetUniform looks up every key of the index in a scattered
// order: beyond the CPU caches each hit pays DRAM misses (the map group and
// the record), which no in-memory index avoids.
func BenchmarkGetUniform(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			site := benchIndex(b, n)
			benchLookups(b, site, n, n)
		})
	}
}

// benchIndex fills a memory-backed site with n keys and 100-byte values,
// half of them expiring.
func benchIndex(b *testing.B, n int) *Site {
	s, _, _ := openTest(b, BackendMemory, func(o *Options) { o.SiteQuotaBytes = 1 << 40 })
	site := s.Site("bench")
	value := make([]byte, 100)
	for i := range n {
		ttl := int64(0)
		if i%2 == 1 {
			ttl = 3600 // half the keys expire: Get does the TTL arithmetic
		}
		if c := site.Set(benchKey(i), value, ttl); c != OK {
			b.Fatal(c)
		}
	}
	return site
}

// benchLookups times Get over a visit list of `visits` keys spread over n,
// laid out contiguously so that reading the key costs the benchmark itself
// no cache miss.
func benchLookups(b *testing.B, site *Site, n, visits int) {
	const keyLen = len("key:00000000")
	arena := make([]byte, 0, visits*keyLen)
	for j := range visits {
		i := int((int64(j) * 7919) % int64(n)) // scattered, each key once when visits == n
		if visits < n {
			i = int(int64(j) * int64(n) / int64(visits))
		}
		arena = append(arena, benchKey(i)...)
	}
	// Finish the GC cycles that building the index started: at 1M keys a
	// mark phase (~100ms, on the other core) otherwise overlaps the timed
	// loop and adds its memory traffic to whichever size it lands in.
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	j := 0
	for i := 0; i < b.N; i++ {
		if _, _, ok := site.Get(arena[j : j+keyLen]); !ok {
			b.Fatal("miss")
		}
		if j += keyLen; j == len(arena) {
			j = 0
		}
	}
}

// BenchmarkGetParallel measures concurrent Get hits on one site.
func BenchmarkGetParallel(b *testing.B) {
	s, _, _ := openTest(b, BackendMemory, nil)
	site := s.Site("bench")
	const n = 10_000
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = benchKey(i)
		site.Set(keys[i], make([]byte, 100), 3600)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		j := 0
		for pb.Next() {
			site.Get(keys[j%n])
			j++
		}
	})
}

// BenchmarkSet measures durable Set throughput and latency with concurrent
// writers and 256-byte values for every backend and durability mode.
// pebble-groupcommitter is pebble with DurabilityGroup behind our group
// committer instead of pebble's own commit pipeline (the default).
// bbolt-walperwrite is bbolt with DurabilityGroup's write-ahead log but one
// WAL append and sync per write (no group commit): what the WAL alone buys
// over bbolt always's synced transaction per write.
//
// Each writer writes its own key range (10000 keys, in order), so a commit
// carrying n writers dirties about n separate bbolt leaf pages; see
// BenchmarkSetSharedKeys for writers drawing from one key space.
func BenchmarkSet(b *testing.B) {
	type mode struct {
		backend Backend
		d       Durability
		native  bool
	}
	modes := []mode{{BackendMemory, DurabilityNone, false}}
	for _, be := range []Backend{BackendBbolt, BackendPebble} {
		for _, d := range []Durability{DurabilityGroup, DurabilityAlways, DurabilityNone} {
			modes = append(modes, mode{be, d, false})
		}
	}
	modes = append(modes, mode{BackendPebble, DurabilityGroup, true}, mode{BackendBbolt, DurabilityGroup, true})
	for _, writers := range []int{1, 64} {
		for _, m := range modes {
			name := m.backend
			if m.native && m.backend == BackendPebble {
				name += "-groupcommitter"
			} else if m.native {
				name += "-walperwrite"
			}
			b.Run(fmt.Sprintf("backend=%s/durability=%s/writers=%d", name, m.d, writers), func(b *testing.B) {
				groupCommitPebble = m.native && m.backend == BackendPebble
				walPerWrite = m.native && m.backend == BackendBbolt
				defer func() { groupCommitPebble, walPerWrite = false, false }()
				s, _, _ := openTest(b, m.backend, func(o *Options) {
					o.Durability = m.d
					o.SiteQuotaBytes = 1 << 40
					o.Now = nil
				})
				benchSet(b, s, writers, rangeKeys)
			})
		}
	}
}

// BenchmarkSetSharedKeys is BenchmarkSet for the durable bbolt modes with
// keys=shared: every writer draws its keys uniformly at random from one
// key space of 640000 keys (the same number as BenchmarkSet's 64 ranges),
// as writers serving unrelated requests would, instead of each writing its
// own range. Both series are reported; neither replaces the other.
func BenchmarkSetSharedKeys(b *testing.B) {
	for _, writers := range []int{1, 64} {
		for _, d := range []Durability{DurabilityGroup, DurabilityAlways} {
			b.Run(fmt.Sprintf("backend=%s/durability=%s/keys=shared/writers=%d", BackendBbolt, d, writers), func(b *testing.B) {
				s, _, _ := openTest(b, BackendBbolt, func(o *Options) {
					o.Durability = d
					o.SiteQuotaBytes = 1 << 40
					o.Now = nil
				})
				benchSet(b, s, writers, sharedKeys)
			})
		}
	}
}

// BenchmarkSetGroupWriters sweeps the writer count between BenchmarkSet's
// 1 and 64 for bbolt with DurabilityGroup (keys=ranges), to show how the
// group committer batches at moderate concurrency.
func BenchmarkSetGroupWriters(b *testing.B) {
	for _, writers := range []int{2, 8, 16} {
		b.Run(fmt.Sprintf("backend=%s/durability=%s/writers=%d", BackendBbolt, DurabilityGroup, writers), func(b *testing.B) {
			s, _, _ := openTest(b, BackendBbolt, func(o *Options) {
				o.Durability = DurabilityGroup
				o.SiteQuotaBytes = 1 << 40
				o.Now = nil
			})
			benchSet(b, s, writers, rangeKeys)
		})
	}
}

// BenchmarkSetCheckpoint is BenchmarkSet for bbolt group (keys=ranges)
// with WAL checkpoint thresholds small enough that several checkpoints
// run during the measurement, to show Set's throughput and p99 while the
// checkpointer writes bbolt (with the default 1 MiB, a 5000x run of
// BenchmarkSet checkpoints about once).
func BenchmarkSetCheckpoint(b *testing.B) {
	for _, ck := range []int64{256 << 10, 1 << 20, 4 << 20} {
		for _, writers := range []int{1, 64} {
			b.Run(fmt.Sprintf("backend=%s/durability=%s/ckpt=%dKiB/writers=%d", BackendBbolt, DurabilityGroup, ck>>10, writers), func(b *testing.B) {
				s, _, _ := openTest(b, BackendBbolt, func(o *Options) {
					o.Durability = DurabilityGroup
					o.SiteQuotaBytes = 1 << 40
					o.Now = nil
					o.CheckpointBytes = ck
				})
				benchSet(b, s, writers, rangeKeys)
			})
		}
	}
}

// rangeKeys gives writer w its own range of 10000 keys, written in order.
func rangeKeys(dst []byte, w, i int) []byte { return fmt.Appendf(dst, "w%02d:%06d", w, i%10000) }

// sharedKeys draws keys uniformly from one space of 640000 keys, with a
// per-writer deterministic sequence.
func sharedKeys(dst []byte, w, i int) []byte {
	x := uint64(w)<<32 | uint64(i)
	x ^= x >> 33 // splitmix64 finaliser: a cheap, well-spread hash
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return fmt.Appendf(dst, "k:%06d", x%640000)
}

func benchSet(b *testing.B, s *Store, writers int, keyOf func(dst []byte, w, i int) []byte) {
	site := s.Site("bench")
	value := make([]byte, 256)
	lat := make([][]time.Duration, writers)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		count := b.N / writers
		if w < b.N%writers {
			count++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, count)
			for i := range count {
				key := keyOf(nil, w, i)
				t0 := time.Now()
				if c := site.Set(key, value, 0); c != OK {
					b.Errorf("Set: %v", c)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			lat[w] = mine
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(all[len(all)*99/100].Nanoseconds()), "p99-ns")
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "writes/s")
	st := s.Stats()
	if st.Commits > 0 {
		b.ReportMetric(float64(st.CommittedWrites)/float64(st.Commits), "writes/commit")
	}
	if st.WALBytes > 0 {
		// Checkpoints that completed inside the timed run (Close's final
		// one is not counted), their mean and longest duration.
		b.ReportMetric(float64(st.Checkpoints), "checkpoints")
		if st.Checkpoints > 0 {
			b.ReportMetric(float64(st.CheckpointTime.Milliseconds())/float64(st.Checkpoints), "ckpt-mean-ms")
			b.ReportMetric(float64(st.CheckpointMax.Milliseconds()), "ckpt-max-ms")
		}
	}
}

// BenchmarkIndexOverhead reports the heap the index holds per live entry
// beyond len(key)+len(value) (100-byte values, 12-byte keys).
func BenchmarkIndexOverhead(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			var perEntry float64
			for range b.N {
				s, err := Open(Options{Backend: BackendMemory, SweepInterval: -1, SiteQuotaBytes: 1 << 40})
				if err != nil {
					b.Fatal(err)
				}
				site := s.Site("bench")
				value := make([]byte, 100)
				key := make([]byte, 0, 16)
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				var payload int64
				for i := range n {
					key = fmt.Appendf(key[:0], "key:%08d", i)
					site.Set(key, value, 3600)
					payload += int64(len(key) + len(value))
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				perEntry = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)-payload) / float64(n)
				runtime.KeepAlive(site)
				s.Close()
			}
			b.ReportMetric(perEntry, "overhead-B/entry")
		})
	}
}

// BenchmarkReopen measures rebuilding the index of 1M entries with 100-byte
// values from disk. wal=4MiB adds a 4 MiB WAL segment (puts over existing
// keys spread over the whole key space, in records of 64 as group commits
// leave them) that the reopen replays into bbolt first, as after a crash
// of bbolt group; run it with -benchtime 1x (the replay happens once).
func BenchmarkReopen(b *testing.B) {
	const n = 1_000_000
	cases := []struct {
		be     Backend
		walMiB int
	}{{BackendBbolt, 0}, {BackendBbolt, 4}, {BackendPebble, 0}}
	for _, c := range cases {
		be := c.be
		name := fmt.Sprintf("backend=%s/keys=%d", be, n)
		if c.walMiB > 0 {
			name += fmt.Sprintf("/wal=%dMiB", c.walMiB)
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			raw, err := backend.Open(context.Background(), string(be), backend.Config{Dir: dir})
			if err != nil {
				b.Fatal(err)
			}
			value := make([]byte, 100)
			const batch = 10_000
			for i := 0; i < n; i += batch {
				muts := make([]backend.Mutation, 0, batch)
				for j := i; j < i+batch; j++ {
					muts = append(muts, backend.Mutation{
						Key:   disk.AppendKey(nil, fmt.Sprintf("site%d", j%4), benchKey(j)),
						Value: disk.AppendValue(nil, value, time.Now().Add(time.Hour).UnixNano()),
					})
				}
				if err := raw.Apply(muts); err != nil {
					b.Fatal(err)
				}
			}
			// Let pebble settle (flush and compact) so that the timed reopen
			// measures the index rebuild, not leftover compactions.
			if c, ok := raw.(interface{ Compact() error }); ok {
				if err := c.Compact(); err != nil {
					b.Fatal(err)
				}
			}
			if err := raw.Close(); err != nil {
				b.Fatal(err)
			}
			if c.walMiB > 0 {
				var batches [][]backend.Mutation
				size := 0
				for k := 0; size < c.walMiB<<20; k++ {
					muts := make([]backend.Mutation, 64)
					for w := range muts {
						j := int((int64(k*64+w) * 7919) % n) // scattered over the key space
						muts[w] = backend.Mutation{
							Key:   disk.AppendKey(nil, fmt.Sprintf("site%d", j%4), benchKey(j)),
							Value: disk.AppendValue(nil, value, time.Now().Add(time.Hour).UnixNano()),
						}
						size += len(muts[w].Key) + len(muts[w].Value) + 4
					}
					batches = append(batches, muts)
				}
				if err := backend.WriteWALSegment(dir, 1, batches); err != nil {
					b.Fatal(err)
				}
			}
			var st Stats
			b.ResetTimer()
			for range b.N {
				s, err := Open(Options{Backend: be, Dir: dir, SweepInterval: -1})
				if err != nil {
					b.Fatal(err)
				}
				st = s.Stats()
				s.Close()
			}
			if st.ReloadedKeys != n {
				b.Fatalf("reloaded %d keys", st.ReloadedKeys)
			}
			b.ReportMetric(st.ReloadTime.Seconds(), "reload-s")
			b.ReportMetric(float64(st.ReloadHeapBytes)/float64(n), "heap-B/key")
		})
	}
}

// BenchmarkGetKind separates the costs inside a Get hit: a key without
// expiry (no clock read), an expiring key (one clock read for the remaining
// TTL), and an expiring key with an Observer set (two more clock reads).
func BenchmarkGetKind(b *testing.B) {
	cases := []struct {
		name     string
		ttl      int64
		observer Observer
	}{
		{"kind=no-expiry", 0, nil},
		{"kind=expiring", 3600, nil},
		{"kind=expiring-observed", 3600, nopObserver{}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s, err := Open(Options{Backend: BackendMemory, SweepInterval: -1, Observer: c.observer})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			site := s.Site("bench")
			keys := make([][]byte, 1000)
			for i := range keys {
				keys[i] = benchKey(i)
				site.Set(keys[i], make([]byte, 100), c.ttl)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, ok := site.Get(keys[i%len(keys)]); !ok {
					b.Fatal("miss")
				}
			}
		})
	}
}

type nopObserver struct{}

func (nopObserver) ObserveBackend(BackendOp, time.Duration, error) {}
