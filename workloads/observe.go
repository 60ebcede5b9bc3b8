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
type recObserver struct{ rec *reports.Recorder }

func (o recObserver) ObserveCall(op host.Op, code int32, d time.Duration) {
	if int(op) < len(hostOps) {
		o.rec.Record(hostOps[op], code, d)
	}
}

func (o recObserver) ObserveLimit(l host.Limit, refused bool) {
	o.rec.RecordLimit(limitNames[l], refused)
}

// storeObserver receives backend timings from every goroutine that uses a
// store. Recorders are single-owner, so it keeps a few of them, each behind
// its own mutex, and spreads callers over them with an atomic counter; a
// busy shard is skipped with TryLock, so callers rarely wait.
type storeObserver struct {
	next   atomic.Uint32
	shards []storeShard
}

type storeShard struct {
	mu  sync.Mutex
	rec *reports.Recorder
	_   [40]byte // keep shards on separate cache lines
}

func newStoreObserver(l reports.Labels, start time.Time, n int) *storeObserver {
	o := &storeObserver{shards: make([]storeShard, n)}
	for i := range o.shards {
		o.shards[i].rec = reports.NewRecorder(l, start)
	}
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
	n := uint32(len(o.shards))
	i := o.next.Add(1)
	for k := uint32(0); ; k++ {
		s := &o.shards[(i+k)%n]
		if k < n && !s.mu.TryLock() {
			continue
		}
		if k >= n {
			s.mu.Lock()
		}
		s.rec.Record(rop, code, d)
		s.mu.Unlock()
		return
	}
}

// recorders returns the shard recorders; call only after the store is idle.
func (o *storeObserver) recorders() []*reports.Recorder {
	out := make([]*reports.Recorder, len(o.shards))
	for i := range o.shards {
		out[i] = o.shards[i].rec
	}
	return out
}

// reset replaces the recorders (after warmup: nothing recorded before the
// measured phase counts).
func (o *storeObserver) reset(start time.Time) {
	for i := range o.shards {
		s := &o.shards[i]
		s.mu.Lock()
		s.rec = reports.NewRecorder(s.rec.Labels(), start)
		s.mu.Unlock()
	}
}
