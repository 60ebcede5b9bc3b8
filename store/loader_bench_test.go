package store

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// BenchmarkPreload loads 1M entries of 100-byte values (keys "user<n>")
// into one site, as a run's preload does: side=loader with one Loader
// (default batches), side=set with 32 goroutines calling Set (the
// preload's way before Loader). Run once:
//
//	go test -run '^$' -bench Preload -benchtime 1x ./store/
func BenchmarkPreload(b *testing.B) {
	const n, valueSize = 1_000_000, 100
	for _, be := range []Backend{BackendBbolt, BackendPebble} {
		for _, d := range []Durability{DurabilityGroup, DurabilityAlways} {
			for _, side := range []string{"loader", "set"} {
				if side == "set" && (be == BackendPebble || d == DurabilityAlways) {
					continue // the reference figure is bbolt group's
				}
				b.Run(fmt.Sprintf("backend=%s/durability=%s/side=%s", be, d, side), func(b *testing.B) {
					for range b.N {
						b.StopTimer()
						dir := b.TempDir()
						s, err := Open(Options{Backend: be, Dir: dir, Durability: d, SiteQuotaBytes: 1 << 40, SweepInterval: -1})
						if err != nil {
							b.Fatal(err)
						}
						site := s.Site("preload")
						b.StartTimer()
						start := time.Now()
						if side == "loader" {
							l := site.NewLoader(LoaderOptions{})
							value := make([]byte, valueSize)
							var key []byte
							for i := range n {
								key = fmt.Appendf(key[:0], "user%d", i)
								value[0] = byte(i)
								if c := l.Set(key, value, 0); c != OK {
									b.Fatalf("Set: %v", c)
								}
							}
							if st, err := l.Close(); err != nil || st.Written != n {
								b.Fatalf("load: %+v, %v", st, err)
							}
						} else {
							const workers = 32
							var wg sync.WaitGroup
							for w := range workers {
								wg.Add(1)
								go func() {
									defer wg.Done()
									value := make([]byte, valueSize)
									var key []byte
									for i := w; i < n; i += workers {
										key = fmt.Appendf(key[:0], "user%d", i)
										value[0] = byte(i)
										if c := site.Set(key, value, 0); c != OK {
											b.Errorf("Set: %v", c)
											return
										}
									}
								}()
							}
							wg.Wait()
						}
						took := time.Since(start)
						b.StopTimer()
						if k := site.Usage().Keys; k != n {
							b.Fatalf("%d keys loaded", k)
						}
						s.Close()
						b.ReportMetric(took.Seconds(), "load-s")
						b.ReportMetric(float64(n)/took.Seconds(), "keys/s")
						b.StartTimer()
					}
					b.ReportMetric(0, "ns/op")
				})
			}
		}
	}
}
