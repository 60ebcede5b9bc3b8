package reports

import (
	"math/rand/v2"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// TestFastHistMatchesHDR feeds the same values to fastHist and to a real
// HdrHistogram and checks that the flushed result is bucket for bucket equal.
func TestFastHistMatchesHDR(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var f fastHist
	ref := hdr.New(histLowest, histHighest, histDigits)
	values := []int64{0, 1, 2, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 1e6, 1e9, histHighest}
	for i := 0; i < 20000; i++ {
		// Log-uniform over 1 ns .. 1 h.
		values = append(values, int64(1<<uint(rng.IntN(42)))+rng.Int64N(1<<uint(rng.IntN(42)+1)))
	}
	for _, v := range values {
		if v > histHighest {
			v = histHighest
		}
		f.record(time.Duration(v))
		if err := ref.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	got := NewHist()
	f.flush(got, true)
	want := NewHist()
	want.h.MergeFrom(ref)
	if !got.Equal(want) {
		t.Fatalf("fastHist differs from HDR: count %d vs %d, p99 %v vs %v", got.Count(), want.Count(), got.Quantile(.99), want.Quantile(.99))
	}
	if !f.empty() {
		t.Fatal("not empty after reset")
	}
	for _, c := range f.chunks {
		if c == nil {
			continue
		}
		for _, n := range c {
			if n != 0 {
				t.Fatal("reset left counts")
			}
		}
	}
}

func TestFastHistSpill(t *testing.T) {
	var f fastHist
	f.record(5)
	c, off := fastIndex(5)
	f.chunks[c][off] = 1<<32 - 1 // next record wraps
	f.record(5)
	h := NewHist()
	f.flush(h, false)
	if h.Count() != 1<<32 {
		t.Fatalf("count = %d, want %d", h.Count(), int64(1)<<32)
	}
}

// TestFastHistMoveTo: moving a second's histogram into a running total
// adds exactly (a count that wraps moves 2^32 into the spill), clears the
// source, and a total built second by second equals one histogram of every
// sample.
func TestFastHistMoveTo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var total, cur fastHist
	want := NewHist()
	for sec := 0; sec < 5; sec++ {
		for i := 0; i < 3000; i++ {
			d := time.Duration(rng.ExpFloat64() * float64([]int{300, 4e4, 2e7}[i%3]))
			cur.record(d)
			want.Record(d)
		}
		cur.moveTo(&total)
		if !cur.empty() {
			t.Fatalf("second %d: moveTo left the source non-empty", sec)
		}
	}
	got := NewHist()
	total.flush(got, false)
	if !got.Equal(want) {
		t.Fatalf("total: count %d p99 %v, want count %d p99 %v", got.Count(), got.Quantile(.99), want.Count(), want.Quantile(.99))
	}

	var a, b fastHist // wrap while adding
	a.record(5)
	b.record(5)
	c, off := fastIndex(5)
	b.chunks[c][off] = 1<<32 - 1
	a.moveTo(&b)
	h := NewHist()
	b.flush(h, false)
	if h.Count() != 1<<32 {
		t.Fatalf("wrapped count = %d, want %d", h.Count(), int64(1)<<32)
	}
}

// TestEncodeV2MatchesLibrary: our pooled encoder and the library's encoder
// decode to the same histogram, and ours decodes with the dense decoder too.
func TestEncodeV2MatchesLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, n := range []int{0, 1, 2, 10, 5000} {
		h := NewHist()
		for i := 0; i < n; i++ {
			h.Record(time.Duration(rng.ExpFloat64() * float64([]int{100, 1e5, 1e8}[i%3])))
		}
		ours := encodeV2(h.h)
		lib, err := h.h.Encode()
		if err != nil {
			t.Fatal(err)
		}
		a, err := hdr.DecodePacked(ours)
		if err != nil {
			t.Fatalf("n=%d: decode ours: %v", n, err)
		}
		b, _ := hdr.DecodePacked(lib)
		ea, _ := a.Encode()
		eb, _ := b.Encode()
		if string(ea) != string(eb) || a.TotalCount() != int64(n) {
			t.Fatalf("n=%d: decoded histograms differ", n)
		}
		d, err := hdr.Decode(ours)
		if err != nil || d.TotalCount() != int64(n) || d.Max() != h.h.Max() {
			t.Fatalf("n=%d: dense decode: %v", n, err)
		}
	}
}
