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
