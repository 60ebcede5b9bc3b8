package host

import (
	"context"
	"encoding/binary"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sparkbench/sparkbench/internal/measure"
)

// hdrObserver is what a runner's per-worker recorder costs: one HDR
// histogram per operation, a counter per limit decision.
type hdrObserver struct {
	hist    [measure.NumOps]*hdrhistogram.Histogram
	limits  [numLimits][2]int64
	outcome [measure.NumOps][16]int64
}

func newHDRObserver() *hdrObserver {
	o := &hdrObserver{}
	for i := range o.hist {
		o.hist[i] = hdrhistogram.New(1, int64(time.Hour), 3)
	}
	return o
}

func (o *hdrObserver) ObserveCall(op Op, code int32, d time.Duration) {
	_ = o.hist[op].RecordValue(int64(d))
	o.outcome[op][uint32(code+1)&15]++
}

func (o *hdrObserver) ObserveLimit(l Limit, refused bool) {
	i := 0
	if refused {
		i = 1
	}
	o.limits[l][i]++
}

// cpuTime is the process's user+system CPU time: on a shared, loaded
// machine, CPU time per operation is a steadier figure than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds cpu-ns/op (CPU time of the whole process, GC included,
// per operation) to a benchmark.
func reportCPU(b *testing.B, startCPU time.Duration) time.Duration {
	used := cpuTime() - startCPU
	b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	return used
}

var benchModes = []TimeoutMode{TimeoutNone, TimeoutWatchdog, TimeoutContext, TimeoutClose}

func benchEnv(b *testing.B, mode TimeoutMode) *env {
	o := defaultEnvOptions()
	o.mode = mode
	o.realClock = true
	o.limits.MaxReadsPerInvocation = 1 << 30
	o.limits.MaxWritesPerInvocation = 1 << 30
	return newEnv(b, o)
}

// BenchmarkSparkGet measures one spark_get from a guest (hit, 64-byte
// value, TTL prefix written back through the guest's alloc), instrumented
// with an HDR observer. ns/op is per spark_get call.
func BenchmarkSparkGet(b *testing.B) {
	for _, mode := range benchModes {
		b.Run("timeout="+mode.String(), func(b *testing.B) {
			e := benchEnv(b, mode)
			if c := e.stores["edge-a"].Site("shop.example").Set([]byte("bench:key"), make([]byte, 64), 3600); c != 0 {
				b.Fatalf("preload: %v", c)
			}
			f := e.load("testdata/getloop.wasm")
			obs := newHDRObserver()
			ctx := context.Background()
			const perInvocation = 1000
			body := make([]byte, 4)
			req := &Request{Node: "edge-a", Site: "shop.example", Method: "GET", URL: "https://shop.example/", Body: body, Observer: obs}
			b.ReportAllocs()
			b.ResetTimer()
			c0 := cpuTime()
			for done := 0; done < b.N; {
				n := min(b.N-done, perInvocation)
				binary.LittleEndian.PutUint32(body, uint32(n))
				if _, err := e.h.Invoke(ctx, f, req); err != nil {
					b.Fatal(err)
				}
				done += n
			}
			b.StopTimer()
			reportCPU(b, c0)
			if got := obs.hist[OpSparkGet].TotalCount(); got != int64(b.N) {
				b.Fatalf("observed %d spark_get, want %d", got, b.N)
			}
		})
	}
}

// BenchmarkInvokeCounter measures one pooled invocation of builtin:counter
// (one spark_get, one spark_set; memory backend), instrumented.
func BenchmarkInvokeCounter(b *testing.B) {
	for _, mode := range benchModes {
		b.Run("timeout="+mode.String(), func(b *testing.B) {
			e := benchEnv(b, mode)
			f := e.flare("counter")
			obs := newHDRObserver()
			ctx := context.Background()
			req := &Request{Node: "edge-a", Site: "shop.example", Method: "GET", URL: "https://shop.example/count", Observer: obs}
			b.ReportAllocs()
			b.ResetTimer()
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				resp, err := e.h.Invoke(ctx, f, req)
				if err != nil || resp.Status != 200 {
					b.Fatalf("invoke: %v %+v", err, resp)
				}
			}
			reportCPU(b, c0)
		})
	}
}

// BenchmarkInvokeCounterParallel measures counter invocations per second
// from GOMAXPROCS goroutines (b.RunParallel), one key per goroutine,
// instrumented, memory backend.
func BenchmarkInvokeCounterParallel(b *testing.B) {
	for _, mode := range benchModes {
		b.Run("timeout="+mode.String(), func(b *testing.B) {
			benchCounterParallel(b, mode, []string{"shop.example"})
		})
	}
}

// benchCounterParallel runs the counter from GOMAXPROCS goroutines, worker
// w on sites[w%len(sites)], and reports the wall-clock rate and the rate
// GOMAXPROCS dedicated cores would sustain at the CPU cost measured (the
// machine may be shared).
func benchCounterParallel(b *testing.B, mode TimeoutMode, sites []string) {
	e := benchEnv(b, mode)
	f := e.flare("counter")
	var worker atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start, c0 := time.Now(), cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		w := worker.Add(1)
		req := &Request{Node: "edge-a", Site: sites[int(w)%len(sites)], Method: "GET", URL: "https://shop.example/count",
			Headers: [][2]string{{"x-counter-key", "hits:" + strconv.FormatInt(w, 10)}}, Observer: newHDRObserver()}
		ctx := context.Background()
		for pb.Next() {
			resp, err := e.h.Invoke(ctx, f, req)
			if err != nil || resp.Status != 200 {
				b.Errorf("invoke: %v %+v", err, resp)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "invocations/s")
	used := reportCPU(b, c0)
	b.ReportMetric(float64(b.N)/used.Seconds()*float64(runtime.GOMAXPROCS(0)), "invocations/s-dedicated")
}

// BenchmarkInvokeCounterInto is BenchmarkInvokeCounter through InvokeInto
// with one Response reused across invocations, as a runner worker would.
func BenchmarkInvokeCounterInto(b *testing.B) {
	for _, mode := range []TimeoutMode{TimeoutNone, TimeoutWatchdog} {
		b.Run("timeout="+mode.String(), func(b *testing.B) {
			e := benchEnv(b, mode)
			f := e.flare("counter")
			obs := newHDRObserver()
			ctx := context.Background()
			req := &Request{Node: "edge-a", Site: "shop.example", Method: "GET", URL: "https://shop.example/count", Observer: obs}
			var resp Response
			b.ReportAllocs()
			b.ResetTimer()
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				if err := e.h.InvokeInto(ctx, f, req, &resp); err != nil || resp.Status != 200 {
					b.Fatalf("invoke: %v %+v", err, resp)
				}
			}
			reportCPU(b, c0)
		})
	}
}

// BenchmarkInvokeCounterParallelSites is BenchmarkInvokeCounterParallel
// (watchdog) with the workers' keys in one site or spread over two: with
// one site both workers' spark_get/spark_set meet on that site's store lock
// (see testdata/bench-2026-12-01.txt), with two they share no store lock.
func BenchmarkInvokeCounterParallelSites(b *testing.B) {
	for _, sites := range []string{"shop.example", "shop.example,blog.example"} {
		names := strings.Split(sites, ",")
		b.Run("sites="+strconv.Itoa(len(names)), func(b *testing.B) {
			benchCounterParallel(b, TimeoutWatchdog, names)
		})
	}
}

// BenchmarkGuardCost measures what the guard's instrumentation costs an
// invocation, on hosts that differ only in it, interleaved in one process
// (rounds of 1000 invocations on each in turn), so that the load of a
// shared machine falls on all of them alike. The metrics are ns per
// invocation of each variant: watchdog (stop checks and stack guard, the
// default), watchdog-nostack (without the stack guard), none (no timeout:
// the same checks, no arming) and bare (no instrumentation: what mode none
// was before it got the checks). Flares: builtin counter (C, 15
// functions) and the AssemblyScript counter (its runtime calls more).
func BenchmarkGuardCost(b *testing.B) {
	variants := []struct {
		name  string
		mode  TimeoutMode
		stack bool // stack guard
		stop  bool // stop checks
	}{
		{"watchdog", TimeoutWatchdog, true, true},
		{"watchdog-nostack", TimeoutWatchdog, false, true},
		{"none", TimeoutNone, true, true},
		{"bare", TimeoutNone, false, false},
	}
	for _, flare := range []string{"counter", "as_counter"} {
		b.Run(flare, func(b *testing.B) {
			type host struct {
				e *env
				f *Flare
			}
			hosts := make([]host, len(variants))
			for i, v := range variants {
				e := benchEnv(b, v.mode)
				e.h.bare.stack, e.h.bare.stop = !v.stack, !v.stop
				var f *Flare
				if flare == "counter" {
					f = e.flare("counter")
				} else {
					wasm, err := os.ReadFile(asCounterWasm)
					if err != nil {
						b.Fatal(err)
					}
					if f, err = e.h.Load(context.Background(), flare, wasm); err != nil {
						b.Fatal(err)
					}
				}
				hosts[i] = host{e, f}
			}
			ctx := context.Background()
			req := &Request{Node: "edge-a", Site: "shop.example", Method: "GET", URL: "https://shop.example/count"}
			var resp Response
			spent := make([]time.Duration, len(variants))
			const round = 1000
			b.ResetTimer()
			for done := 0; done < b.N; done += round {
				for i, h := range hosts {
					t0 := time.Now()
					for j := 0; j < round; j++ {
						if err := h.e.h.InvokeInto(ctx, h.f, req, &resp); err != nil || resp.Status != 200 {
							b.Fatalf("%s: %v %+v", variants[i].name, err, resp)
						}
					}
					spent[i] += time.Since(t0)
				}
			}
			rounds := (b.N + round - 1) / round
			for i, v := range variants {
				b.ReportMetric(float64(spent[i].Nanoseconds())/float64(rounds*round), v.name+"-ns/op")
			}
		})
	}
}
