package reports

import (
	"math/bits"
	"time"
	"unsafe"
)

// fastHist is the recording side of a histogram: the same bucket geometry as
// Hist (HdrHistogram, lowest 1, 3 significant digits: 2048 sub-buckets,
// half-count magnitude 10) but dense, in 1024-bucket chunks allocated on
// first use, with uint32 counts. Recording is a few bit operations and an
// increment (~5 ns), against a binary search and occasional insertion in the
// sparse Hist. It converts exactly into a Hist with flush.
//
// A flat HDR index f lives in chunk f>>10 at offset f&1023; chunks 0 and 1
// hold bucket 0, chunk k+1 holds bucket k. A uint32 count that wraps to zero
// moves 2^32 into spill, so counts never get lost.
type fastHist struct {
	chunks  [fastChunks]*[1024]uint32
	touched uint64 // bit c set: chunk c may hold counts
	spill   *Hist
}

// fastChunks covers values up to histHighest (1 h): bucket 31 is the last
// one HDR needs, so chunk 32.
const fastChunks = 33

func fastIndex(v int64) (chunk, off int) {
	bucket := 64 - bits.LeadingZeros64(uint64(v)|2047) - 11
	sub := int(v >> uint(bucket))
	f := (bucket+1)<<10 + sub - 1024
	return f >> 10, f & 1023
}

// fastValue is the lowest value that falls in chunk c at offset off.
func fastValue(c, off int) int64 {
	if c <= 1 {
		return int64(c<<10 | off)
	}
	bucket := c - 1
	return int64(off+1024) << uint(bucket)
}

// clampIndex returns the chunk and offset of d, clamped to [0, 1h].
func clampIndex(d time.Duration) (chunk, off int) {
	v := int64(d)
	if v < 0 {
		v = 0
	} else if v > histHighest {
		v = histHighest
	}
	return fastIndex(v)
}

func (f *fastHist) record(d time.Duration) {
	c, off := clampIndex(d)
	f.add(c, off)
}

// add counts one sample at chunk c, offset off (from clampIndex), so that a
// sample recorded into several histograms is indexed once.
func (f *fastHist) add(c, off int) {
	ch := f.chunks[c]
	if ch == nil {
		ch = new([1024]uint32)
		f.chunks[c] = ch
	}
	f.touched |= 1 << uint(c)
	// Address the counter directly: ch[off] makes the compiler load the
	// chunk's first word as a nil check, a second cache miss per sample
	// when the chunk is cold (ch is never nil here; off < 1024).
	n := (*uint32)(unsafe.Add(unsafe.Pointer(ch), uintptr(off&1023)*4))
	*n++
	if *n == 0 {
		if f.spill == nil {
			f.spill = NewHist()
		}
		f.spill.RecordN(time.Duration(fastValue(c, off)), 1<<32)
	}
}

// flush adds every count into h and, if reset, clears f for reuse (keeping
// its chunks allocated).
func (f *fastHist) flush(h *Hist, reset bool) {
	for c := 0; c < fastChunks; c++ {
		if f.touched&(1<<uint(c)) == 0 {
			continue
		}
		ch := f.chunks[c]
		for off, n := range ch {
			if n != 0 {
				_ = h.h.RecordValues(fastValue(c, off), int64(n))
			}
		}
		if reset {
			clear(ch[:])
		}
	}
	if f.spill != nil {
		h.Merge(f.spill)
		if reset {
			f.spill = nil
		}
	}
	if reset {
		f.touched = 0
	}
}

// moveTo adds every count of f into dst and clears f (keeping its chunks).
// Chunks are added element by element, sequentially: cheap next to the
// scattered increments of recording.
func (f *fastHist) moveTo(dst *fastHist) {
	for c := 0; c < fastChunks; c++ {
		if f.touched&(1<<uint(c)) == 0 {
			continue
		}
		src, d := f.chunks[c], dst.chunks[c]
		if d == nil {
			d = new([1024]uint32)
			dst.chunks[c] = d
		}
		dst.touched |= 1 << uint(c)
		for off, n := range src {
			if n == 0 {
				continue
			}
			sum := uint64(d[off]) + uint64(n)
			d[off] = uint32(sum)
			if sum>>32 != 0 { // wrapped: 2^32 moves to spill, as in add
				if dst.spill == nil {
					dst.spill = NewHist()
				}
				dst.spill.RecordN(time.Duration(fastValue(c, off)), 1<<32)
			}
		}
		clear(src[:])
	}
	if f.spill != nil {
		if dst.spill == nil {
			dst.spill = NewHist()
		}
		dst.spill.Merge(f.spill)
		f.spill = nil
	}
	f.touched = 0
}

// empty reports whether nothing was recorded since the last reset.
func (f *fastHist) empty() bool { return f.touched == 0 && f.spill == nil }
