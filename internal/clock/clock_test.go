package clock

import (
	"testing"
	"time"
)

// TestClockAgreesWithMonotonic: whichever clock Now reads, its
// durations agree with the monotonic clock's within 1% over 50 ms.
func TestClockAgreesWithMonotonic(t *testing.T) {
	src := Source()
	if src != "tsc" && src != "monotonic" {
		t.Fatalf("Source() = %q", src)
	}
	for try := 0; ; try++ {
		w0, h0 := time.Now(), Now()
		time.Sleep(50 * time.Millisecond)
		h1, w1 := Now(), time.Now()
		want, got := w1.Sub(w0), h1-h0
		if diff := (got - want).Abs(); diff <= want/100 {
			t.Logf("clock %s: %v over %v", src, got, want)
			break
		} else if try == 4 {
			t.Fatalf("clock %s: %v where the monotonic clock says %v", src, got, want)
		}
	}
	if d := Since(Now() + time.Hour); d != 0 {
		t.Errorf("elapsed of a later timestamp = %v, want 0", d)
	}
}

func BenchmarkClock(b *testing.B) {
	Init()
	b.Run("clock="+Source(), func(b *testing.B) {
		var s time.Duration
		for i := 0; i < b.N; i++ {
			s += Now()
		}
		_ = s
	})
	b.Run("time.Since", func(b *testing.B) {
		var s time.Duration
		for i := 0; i < b.N; i++ {
			s += time.Since(clockBase)
		}
		_ = s
	})
}
