package engine

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/store"
)

// TestStoreObserverRecordsEverything: every backend sample from any
// number of goroutines is reported by recorders(), including those taken
// on a P beyond the shards (GOMAXPROCS raised during the generation), and
// nothing from before a reset is.
func TestStoreObserverRecordsEverything(t *testing.T) {
	tests := []struct {
		name       string
		goroutines int
		raiseProcs int // GOMAXPROCS during the samples if > 0
		warmup     bool
	}{
		{"one goroutine", 1, 0, false},
		{"8 goroutines", 8, 0, false},
		{"64 goroutines", 64, 0, false},
		{"GOMAXPROCS raised", 8, runtime.GOMAXPROCS(0) + 3, false},
		{"after reset", 8, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			o := newStoreObserver(reports.Labels{Scenario: "store", Node: "n", Backend: "memory"}, start)
			if tc.raiseProcs > 0 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(tc.raiseProcs))
			}
			observe := func(n int) {
				var wg sync.WaitGroup
				for range tc.goroutines {
					wg.Go(func() {
						for range n {
							o.ObserveBackend(store.BackendRead, time.Microsecond, nil)
							o.ObserveBackend(store.BackendWrite, time.Millisecond, nil)
							runtime.Gosched() // move between Ps
						}
					})
				}
				wg.Wait()
			}
			if tc.warmup {
				observe(100)
				o.reset(time.Now())
			}
			observe(1000)
			recs := o.recorders()
			if limit := len(o.gen.Load().shards) + 1; len(recs) > limit {
				t.Errorf("%d recorders, want at most %d (one per P and the extra)", len(recs), limit)
			}
			run := reports.Build(reports.RunInfo{Duration: time.Second}, recs)
			want := int64(tc.goroutines * 1000)
			if r, w := run.Op(reports.OpBackendRead).Count(), run.Op(reports.OpBackendWrite).Count(); r != want || w != want {
				t.Errorf("recorded %d reads, %d writes; want %d each", r, w, want)
			}
		})
	}
}

// TestObserveCallRecordsTheHostsOp: what the host reports as an operation
// is recorded under the same operation, by name, for every operation the
// host times.
func TestObserveCallRecordsTheHostsOp(t *testing.T) {
	for _, op := range []host.Op{host.OpSparkGet, host.OpSparkSet, host.OpSparkDelete, host.OpSparkList, host.OpSparkPull, host.OpInvocation} {
		rec := reports.NewRecorder(reports.Labels{Scenario: "s"}, time.Now())
		o := &recObserver{rec: rec}
		o.ObserveCall(op, 0, time.Microsecond)
		run := reports.Build(reports.RunInfo{}, []*reports.Recorder{rec})
		want, ok := reports.ParseOp(op.String())
		if !ok || run.Op(want).Count() != 1 {
			t.Errorf("host %s: recorded %d samples under reports %s", op, run.Op(want).Count(), want)
		}
	}
}

// BenchmarkStoreObserver measures what the per-store backend observer costs
// a store call when every goroutine reports through it.
func BenchmarkStoreObserver(b *testing.B) {
	o := newStoreObserver(reports.Labels{Scenario: "store"}, time.Now())
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			o.ObserveBackend(store.BackendRead, 500*time.Nanosecond, nil)
		}
	})
}

// BenchmarkObserveSet measures the adapter's cost per spark_set outcome,
// with the quota sample of the worker's site (site) and without (no-site):
// the difference is what attributing each write to its fill costs.
func BenchmarkObserveSet(b *testing.B) {
	st, err := openMemoryStore()
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for _, bc := range []struct {
		name string
		site *store.Site
	}{{"no-site", nil}, {"site", st.Site("s.example")}} {
		b.Run(bc.name, func(b *testing.B) {
			o := &recObserver{rec: reports.NewRecorder(reports.Labels{}, time.Now()), site: bc.site, siteName: "s.example"}
			for i := 0; i < b.N; i++ {
				o.ObserveCall(host.OpSparkSet, 0, 3*time.Microsecond)
			}
		})
	}
}

// TestObserveLimitByID: the adapter's cached limit IDs record every host
// limit under its host.Limit name, with the counts a recorder fed by name
// gets.
func TestObserveLimitByID(t *testing.T) {
	o := &recObserver{rec: reports.NewRecorder(reports.Labels{Scenario: "s"}, time.Now())}
	byName := reports.NewRecorder(reports.Labels{Scenario: "s"}, time.Now())
	for inv := 0; inv < 50; inv++ {
		for l := host.LimitMemory; ; l-- { // reverse order: IDs differ from host.Limit values
			refused := (inv+int(l))%3 == 0
			for k := 0; k <= int(l); k++ {
				o.ObserveLimit(l, refused)
				byName.RecordLimit(l.String(), refused)
			}
			if l == host.LimitReads {
				break
			}
		}
		o.ObserveCall(host.OpInvocation, 0, time.Microsecond)
		byName.Record(reports.OpInvocation, 0, time.Microsecond)
	}
	got := reports.Build(reports.RunInfo{}, []*reports.Recorder{o.rec}).LimitTable()
	want := reports.Build(reports.RunInfo{}, []*reports.Recorder{byName}).LimitTable()
	if len(got) != int(host.LimitMemory)+1 || len(got) != len(want) {
		t.Fatalf("%d limits, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Decisions != w.Decisions || g.Refused != w.Refused || fmt.Sprint(g.AllowedPerInvocation) != fmt.Sprint(w.AllowedPerInvocation) {
			t.Errorf("%s: %+v, want %+v", w.Name, g.LimitCount, w.LimitCount)
		}
	}
}
