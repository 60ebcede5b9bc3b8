package engine

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/internal/procpin"
	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/store"
)

// limitNames caches host.Limit names so ObserveLimit does not build strings.
var limitNames = func() [256]string {
	var n [256]string
	for l := 0; l < 256; l++ {
		n[l] = host.Limit(l).String()
	}
	return n
}()

// recObserver adapts a worker's Recorder to host.Observer.
//
// Before recording a spark_set outcome it samples the quota use of the
// worker's site, so that the quota-pressure table attributes each write to
// the fill at the moment it completed (a refused write leaves the fill as
// it found it; an accepted one adds its own bytes). It samples per write,
// not per second: a site fills within a fraction of a second, and a stale
// sample would put refusals into the low bands. The sample reads the
// site's used bytes without its lock (Site.UsedBytes: the lock would cost
// ~10 ns per spark_set even uncontended, BenchmarkObserveSet/site 34 against
// 24 ns, and contend with the workers' own store calls under load), then
// records the band sample, on the set path only.
type recObserver struct {
	rec      *reports.Recorder
	site     *store.Site // nil: the node has no Spark store
	siteName string
	// limitIDs[l] is 1 + rec's LimitID for host limit l, 0 until the
	// limit's first decision: a limit decision costs an index, not a
	// search by name (a counter invocation makes six).
	limitIDs [256]reports.LimitID
}

// ObserveCall records op under the same operation: host.Op and
// reports.Op are both internal/measure's operations.
func (o *recObserver) ObserveCall(op host.Op, code int32, d time.Duration) {
	if op == host.OpSparkSet && o.site != nil {
		o.rec.RecordQuota(o.siteName, o.site.UsedBytes(), o.site.QuotaBytes())
	}
	o.rec.Record(reports.Op(op), code, d)
}

func (o *recObserver) ObserveLimit(l host.Limit, refused bool) {
	id := o.limitIDs[l]
	if id == 0 {
		id = o.rec.LimitID(limitNames[l]) + 1
		o.limitIDs[l] = id
	}
	o.rec.RecordLimitID(id-1, refused)
}

// storeObserver receives backend timings from every goroutine that uses a
// store. Recorders are single-owner, so each P (GOMAXPROCS when the
// generation starts) has its own, created on the P's first sample, and a
// goroutine records into its P's while pinned to it (internal/procpin):
// while pinned no other goroutine can run there, so the recorder needs no
// lock, and the hot path writes no shared cache line (cheaper than a
// sync.Pool Get and Put per sample: BenchmarkStoreObserver). Recorders are
// never dropped, so every sample is reported. A pinned section cannot be
// preempted, which is fine here: Record takes ~10 ns, and about 1 µs once
// a second when it flushes the finished second. docs/ARCHITECTURE.md says
// why recording is per worker and per P.
type storeObserver struct {
	labels reports.Labels
	gen    atomic.Pointer[observerGen]
}

type observerGen struct {
	start  time.Time
	shards []observerShard
	// extra serves Ps beyond len(shards) (GOMAXPROCS raised during the
	// generation), under mu: a pinned section must not block on a lock.
	mu    sync.Mutex
	extra *reports.Recorder
}

// observerShard is one P's recorder, padded to its own cache lines so that
// a P creating its recorder does not disturb its neighbours' reads.
type observerShard struct {
	rec *reports.Recorder
	_   [128 - 8]byte
}

func newStoreObserver(l reports.Labels, start time.Time) *storeObserver {
	o := &storeObserver{labels: l}
	o.gen.Store(newObserverGen(start))
	return o
}

func newObserverGen(start time.Time) *observerGen {
	return &observerGen{start: start, shards: make([]observerShard, max(1, runtime.GOMAXPROCS(0)))}
}

func (o *storeObserver) ObserveBackend(op store.BackendOp, d time.Duration, err error) {
	rop := reports.OpBackendRead
	if op == store.BackendWrite {
		rop = reports.OpBackendWrite
	}
	code := int32(store.OK)
	if err != nil {
		code = int32(store.Internal)
	}
	g := o.gen.Load()
	var fresh *reports.Recorder
	for {
		p := procpin.Pin()
		if p >= len(g.shards) {
			procpin.Unpin()
			g.recordExtra(o.labels, rop, code, d)
			return
		}
		sh := &g.shards[p]
		procpin.Acquire(unsafe.Pointer(sh))
		if sh.rec == nil && fresh != nil {
			sh.rec = fresh
		}
		if r := sh.rec; r != nil {
			r.Record(rop, code, d)
			procpin.Release(unsafe.Pointer(sh))
			procpin.Unpin()
			return
		}
		procpin.Release(unsafe.Pointer(sh))
		procpin.Unpin()
		// Created unpinned: NewRecorder may wait for another goroutine
		// starting the coarse clock, and a pinned goroutine must not
		// block. If the goroutine then lands on a P that has a recorder,
		// fresh is dropped unused.
		fresh = reports.NewRecorder(o.labels, g.start)
	}
}

// recordExtra records on the recorder of the Ps beyond the shards.
func (g *observerGen) recordExtra(l reports.Labels, op reports.Op, code int32, d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.extra == nil {
		g.extra = reports.NewRecorder(l, g.start)
	}
	g.extra.Record(op, code, d)
}

// recorders returns every recorder of the current generation; call only
// once the store is idle.
func (o *storeObserver) recorders() []*reports.Recorder {
	g := o.gen.Load()
	var out []*reports.Recorder
	for i := range g.shards {
		sh := &g.shards[i]
		procpin.Acquire(unsafe.Pointer(sh)) // the store is idle: orders this after the last sample, for -race
		if sh.rec != nil {
			out = append(out, sh.rec)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.extra != nil {
		out = append(out, g.extra)
	}
	return out
}

// reset starts a new generation (after warmup: nothing recorded before the
// measured phase counts).
func (o *storeObserver) reset(start time.Time) {
	o.gen.Store(newObserverGen(start))
}
