package guard

import (
	"context"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
)

// BenchmarkGuardedCalls measures what the checks cost a call-heavy guest,
// the worst case for them: fib(25) of calc.wat (242,785 calls, each of a
// function that calls) plain and with each rewrite, interleaved in one
// process so that a shared machine's load falls on all alike. The metrics
// are ns per guest call of each variant.
func BenchmarkGuardedCalls(b *testing.B) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	if _, err := rt.InstantiateWithConfig(ctx, readFile(b, "testdata/env.wasm"), wazero.NewModuleConfig().WithName("env")); err != nil {
		b.Fatal(err)
	}
	plain := readFile(b, "testdata/calc.wasm")
	variants := []struct {
		name string
		o    *Options
	}{
		{"plain", nil},
		{"stop", &Options{StopChecks: true}},
		{"stack", &Options{StackBytes: 1 << 20}},
		{"stop+stack", &Options{StopChecks: true, StackBytes: 1 << 20}},
	}
	type fib func() error
	calls := make([]fib, len(variants))
	for i, v := range variants {
		wasm := plain
		if v.o != nil {
			res, err := Instrument(plain, *v.o)
			if err != nil {
				b.Fatal(err)
			}
			wasm = res.Wasm
		}
		m, err := rt.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName(v.name))
		if err != nil {
			b.Fatal(err)
		}
		f := m.ExportedFunction("fib")
		calls[i] = func() error {
			r, err := f.Call(ctx, 25)
			if err == nil && r[0] != 75025 {
				b.Fatalf("%s: fib(25) = %d", v.name, r[0])
			}
			return err
		}
	}
	const callsPerFib = 242785
	spent := make([]time.Duration, len(variants))
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for i, c := range calls {
			t0 := time.Now()
			if err := c(); err != nil {
				b.Fatal(err)
			}
			spent[i] += time.Since(t0)
		}
	}
	for i, v := range variants {
		b.ReportMetric(float64(spent[i].Nanoseconds())/float64(b.N*callsPerFib), v.name+"-ns/call")
	}
}
