package procpin

import (
	"runtime"
	"sync"
	"testing"
	"unsafe"
)

// TestPinnedSectionsOwnTheirP: Pin returns an id in [0, GOMAXPROCS), and
// per-P counters changed only inside pinned sections (bracketed by
// Acquire and Release, so -race checks the claim) lose no increment.
func TestPinnedSectionsOwnTheirP(t *testing.T) {
	for _, goroutines := range []int{1, 4, 32} {
		procs := runtime.GOMAXPROCS(0)
		counts := make([]struct {
			n int
			_ [120]byte
		}, procs)
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for range 1000 {
					p := Pin()
					if p < 0 || p >= procs {
						Unpin()
						t.Errorf("Pin = %d, want [0, %d)", p, procs)
						return
					}
					Acquire(unsafe.Pointer(&counts[p]))
					counts[p].n++
					Release(unsafe.Pointer(&counts[p]))
					Unpin()
					runtime.Gosched()
				}
			})
		}
		wg.Wait()
		total := 0
		for i := range counts {
			Acquire(unsafe.Pointer(&counts[i]))
			total += counts[i].n
		}
		if total != goroutines*1000 {
			t.Errorf("%d goroutines: %d increments, want %d", goroutines, total, goroutines*1000)
		}
	}
}
