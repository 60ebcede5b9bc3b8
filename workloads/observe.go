package workloads

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/store"
)

// hostOps maps host operations to report operations.
var hostOps = [...]reports.Op{
	host.OpSparkGet:    reports.OpSparkGet,
	host.OpSparkSet:    reports.OpSparkSet,
	host.OpSparkDelete: reports.OpSparkDelete,
	host.OpSparkList:   reports.OpSparkList,
	host.OpSparkPull:   reports.OpSparkPull,
	host.OpInvocation:  reports.OpInvocation,
}

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
// it found it; an accepted one adds its own bytes). Sampling per write
// rather than per second matters: a site fills within a fraction of a
// second, and a stale sample put refusals into the low bands. The sample
// reads the site's used bytes without its lock (Site.UsedBytes: taking the
// lock cost ~15-20 ns per spark_set and contended with the workers' own
// store calls), then records the band sample, on the set path only.
type recObserver struct {
	rec      *reports.Recorder
	site     *store.Site // nil: the node has no Spark store
	siteName string
	// limitIDs[l] is 1 + rec's LimitID for host limit l, 0 until the
	// limit's first decision: a limit decision costs an index, not a
	// search by name (a counter invocation makes six).
	limitIDs [256]reports.LimitID
}

func (o *recObserver) ObserveCall(op host.Op, code int32, d time.Duration) {
	if int(op) >= len(hostOps) {
		return
	}
	if op == host.OpSparkSet && o.site != nil {
		o.rec.RecordQuota(o.siteName, o.site.UsedBytes(), o.site.QuotaBytes())
	}
	o.rec.Record(hostOps[op], code, d)
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
// store. Recorders are single-owner, so callers borrow one from a sync.Pool
// (per-P caches: no shared lock or contended cache line on the hot path)
// and return it after one Record. Every recorder ever created is also kept
// in a list, because the pool may drop idle ones at a GC and their samples
// must still be reported.
type storeObserver struct {
	labels reports.Labels
	gen    atomic.Pointer[observerGen]
}

type observerGen struct {
	start time.Time
	pool  sync.Pool
	mu    sync.Mutex
	all   []*reports.Recorder
}

func newStoreObserver(l reports.Labels, start time.Time) *storeObserver {
	o := &storeObserver{labels: l}
	o.gen.Store(&observerGen{start: start})
	return o
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
	r, _ := g.pool.Get().(*reports.Recorder)
	if r == nil {
		r = reports.NewRecorder(o.labels, g.start)
		g.mu.Lock()
		g.all = append(g.all, r)
		g.mu.Unlock()
	}
	r.Record(rop, code, d)
	g.pool.Put(r)
}

// recorders returns every recorder of the current generation; call only
// once the store is idle.
func (o *storeObserver) recorders() []*reports.Recorder {
	g := o.gen.Load()
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*reports.Recorder(nil), g.all...)
}

// reset starts a new generation (after warmup: nothing recorded before the
// measured phase counts).
func (o *storeObserver) reset(start time.Time) {
	o.gen.Store(&observerGen{start: start})
}
