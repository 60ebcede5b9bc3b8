package host

import "testing"

// TestRecycleGrownInstances: an instance whose memory grew past the
// threshold (twice its initial size and at least 1 MiB more) is not
// returned to the pool; one that stayed small is.
func TestRecycleGrownInstances(t *testing.T) {
	o := defaultEnvOptions()
	o.poolSize = 1
	e := newEnv(t, o)
	f := e.load("testdata/grow.wasm")
	if f.Idle() != 1 {
		t.Fatalf("pool not pre-warmed: %d idle", f.Idle())
	}
	for _, tc := range []struct {
		pages    uint32
		wantIdle int
	}{
		{0, 1},
		{10, 1}, // 2 -> 12 pages: within the threshold (initial + 16)
		{20, 0}, // 12 -> 32 pages on the reused instance: recycled
		{0, 1},  // a fresh instance
	} {
		if _, err := invokeHostile(e, f, &Request{Body: u32s(tc.pages)}); err != nil {
			t.Fatal(err)
		}
		if got := f.Idle(); got != tc.wantIdle {
			t.Errorf("after growing %d pages: %d idle, want %d", tc.pages, got, tc.wantIdle)
		}
	}
}
