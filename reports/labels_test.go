package reports

import (
	"testing"
	"time"
)

func TestRatioAboveTimerOverhead(t *testing.T) {
	cases := []struct {
		a, base, floor time.Duration
		want           string
	}{
		{50 * time.Microsecond, 10 * time.Microsecond, 30, "×5.00"},
		{400, 20, 30, "n/a (base < timer overhead)"}, // 20ns is below what timing a sample costs
		{400, 30, 30, "×13.3"},
		{400, 20, 0, "×20.0"}, // overhead unknown (old results): as before
		{0, 20, 30, "n/a (base < timer overhead)"},
		{0, 100, 30, "-"},
	}
	for _, c := range cases {
		if got := ratioAbove(c.a, c.base, c.floor); got != c.want {
			t.Errorf("ratioAbove(%v, %v, %v) = %q, want %q", c.a, c.base, c.floor, got, c.want)
		}
	}
}

func TestOpKindLabelsMemoryAndDisk(t *testing.T) {
	durable := RunInfo{Backend: "bbolt", Durable: true}
	if got := opKind(OpSparkGet, durable); got != "memory read (index)" {
		t.Errorf("spark_get: %q", got)
	}
	if got := opKind(OpSparkSet, durable); got != "durable write (waits for the disk)" {
		t.Errorf("spark_set on bbolt: %q", got)
	}
	if got := opKind(OpBackendWrite, RunInfo{Backend: "pebble"}); got != "disk write, no sync" {
		t.Errorf("backend_write, durability none: %q", got)
	}
	if got := opKind(OpSparkSet, RunInfo{Backend: "memory"}); got != "write to memory (no disk)" {
		t.Errorf("spark_set on memory: %q", got)
	}
}
