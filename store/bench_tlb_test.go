package store

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// BenchmarkTLBReach measures what BenchmarkGet's flatness is bounded by on
// this machine: the cost of a dependent load as the same 2048 cache lines
// (128 KiB, resident in L2) are spread over more distinct 4 KiB pages. Only
// the number of pages changes, so any rise is address translation: L1 DTLB
// misses that hit the second-level TLB cost a few ns, second-level misses
// (a two-dimensional page walk in a VM) cost far more.
//
// A Get at 1M keys touches two unrelated pages (the map group and the
// record), so BenchmarkGet/keys=1000000's 1024-key working set spans ~2048
// pages, against ~40 at 1k keys:
//
//	go test -run '^$' -bench 'TLBReach' ./store/
func BenchmarkTLBReach(b *testing.B) {
	const lines = 2048
	const region = 1 << 30 // pages are drawn from 1 GiB, so they share no structure
	var mem []byte
	for _, pages := range []int{32, 256, 1024, 1536, 2048} {
		b.Run(fmt.Sprintf("pages=%d", pages), func(b *testing.B) {
			if mem == nil {
				mem = make([]byte, region)
				for i := 0; i < region; i += 4096 {
					mem[i] = 1 // fault every page in before timing
				}
			}
			rng := rand.New(rand.NewPCG(1, uint64(pages)))
			chosen := rng.Perm(region / 4096)[:pages]
			offs := make([]int, 0, lines)
			for _, pg := range chosen {
				for _, l := range rng.Perm(64)[:lines/pages] {
					offs = append(offs, pg*4096+l*64)
				}
			}
			rng.Shuffle(len(offs), func(i, j int) { offs[i], offs[j] = offs[j], offs[i] })
			// Each line holds the offset of the next: a chain of
			// dependent loads that the CPU cannot overlap.
			for i, o := range offs {
				*(*int)(unsafe.Pointer(&mem[o])) = offs[(i+1)%len(offs)]
			}
			cur := offs[0]
			for range 8 * lines { // warm caches and TLBs
				cur = *(*int)(unsafe.Pointer(&mem[cur]))
			}
			b.ResetTimer()
			for range b.N {
				cur = *(*int)(unsafe.Pointer(&mem[cur]))
			}
			tlbSink = cur
		})
	}
}

var tlbSink int
