package backend

import (
	"sync"
	"sync/atomic"
	"time"
)

// Group wraps a syncing backend so that concurrent Apply calls share one
// transaction and one sync (group commit).
//
// There is no batching delay: the first writer to arrive while no commit is
// running becomes the leader and commits at once, alone if need be. Writers
// that arrive while a commit runs queue up; when it ends, the first of them
// leads the next commit, which carries the whole queue. Each Apply returns
// only after the commit holding its mutations has returned.
//
// Without more, 64 busy writers settle into two alternating cohorts: one
// commits while the other queues, so each commit carries half of them. The
// leader therefore first gathers: it counts the writers the previous commit
// released (they are likely to write again at once) and, while some of
// them have not come back, sleeps to let them queue, for at most a quarter
// of the previous commit's duration and only while the queue keeps growing.
// A lone writer is the only writer its commit released, so it never waits.
//
// If a grouped commit fails, each request in it is retried on its own so that
// one bad request (or a transient fault) cannot fail its neighbours.
type Group struct {
	b Backend

	mu      sync.Mutex
	queue   []*groupReq
	leading bool // a leader is committing or about to
	spare   []*groupReq
	muts    []Mutation
	// returning counts the writers released by the last commit that have
	// not called Apply since (any arrival counts as one of them).
	returning int
	// lastCommit is how long the last commit took.
	lastCommit time.Duration
	// gathering is set while a leader waits for released writers; each
	// arrival then signals arrived.
	gathering bool
	arrived   chan struct{}
	timer     *time.Timer
	// waits counts the leader's waits while gathering (for tests).
	waits int
	// seq is the last commit sequence given out; only the leader of the
	// running commit touches it (one commit at a time).
	seq uint64

	commits, requests atomic.Int64
}

// Counts returns how many commits carried how many requests so far; their
// ratio is the mean group size.
func (g *Group) Counts() (commits, requests int64) { return g.commits.Load(), g.requests.Load() }

type groupReq struct {
	muts []Mutation
	seq  uint64 // the request's commit sequence, set with err
	err  error
	lead bool // woken to lead the next commit rather than done
	wake chan struct{}
}

var reqPool = sync.Pool{New: func() any { return &groupReq{wake: make(chan struct{}, 1)} }}

// NewGroup returns a group committer over b.
func NewGroup(b Backend) *Group { return &Group{b: b, arrived: make(chan struct{}, 1)} }

// Apply commits muts together with whatever other writers are waiting.
func (g *Group) Apply(muts []Mutation) error {
	_, err := g.ApplySeq(muts)
	return err
}

// ApplySeq is Apply returning the request's commit sequence: requests get
// increasing numbers in the order their mutations reach the backend (queue
// order within a commit, commit after commit).
func (g *Group) ApplySeq(muts []Mutation) (uint64, error) {
	r := reqPool.Get().(*groupReq)
	r.muts, r.err, r.lead = muts, nil, false

	g.mu.Lock()
	if g.returning > 0 {
		g.returning--
	}
	g.queue = append(g.queue, r)
	if g.gathering {
		select {
		case g.arrived <- struct{}{}:
		default: // a signal is already pending
		}
	}
	if g.leading {
		g.mu.Unlock()
		<-r.wake
		if !r.lead {
			return g.finish(r)
		}
		g.mu.Lock()
	} else {
		g.leading = true
	}
	g.gatherLocked()
	// Lead: take the whole queue (it includes r).
	batch := g.queue
	g.queue = g.spare[:0]
	g.mu.Unlock()

	start := time.Now()
	g.commit(batch, r)
	took := time.Since(start)

	g.mu.Lock()
	g.lastCommit = took
	g.returning = len(batch)
	g.spare = batch[:0]
	if len(g.queue) > 0 {
		next := g.queue[0]
		next.lead = true
		next.wake <- struct{}{}
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	return g.finish(r)
}

// gatherLocked lets the writers released by the last commit rejoin the
// queue before the leader takes it: while some have not come back, it
// sleeps until the next arrival, giving up when none came within a
// sixteenth of the last commit's duration or a quarter of it has passed.
// It sleeps rather than spins so that the returning writers get the CPU.
// Called with g.mu held; it releases the lock while waiting.
func (g *Group) gatherLocked() {
	if g.returning == 0 || g.lastCommit <= 0 {
		return
	}
	quiet := g.lastCommit / 16
	deadline := time.Now().Add(g.lastCommit / 4)
	if g.timer == nil {
		g.timer = time.NewTimer(quiet)
	} else {
		g.timer.Reset(quiet)
	}
	g.gathering = true
	for g.returning > 0 {
		g.waits++
		g.mu.Unlock()
		timedOut := false
		select {
		case <-g.arrived:
		case <-g.timer.C:
			timedOut = true
		}
		g.mu.Lock()
		left := time.Until(deadline)
		if timedOut || left <= 0 {
			break
		}
		g.timer.Reset(min(quiet, left))
	}
	g.timer.Stop()
	g.gathering = false
	select { // drop a signal sent after the last wait
	case <-g.arrived:
	default:
	}
}

func (g *Group) finish(r *groupReq) (uint64, error) {
	seq, err := r.seq, r.err
	r.muts, r.err, r.seq = nil, nil, 0
	reqPool.Put(r)
	return seq, err
}

// commit writes batch in one Apply and wakes every request but the
// leader's own.
func (g *Group) commit(batch []*groupReq, leader *groupReq) {
	g.commits.Add(1)
	g.requests.Add(int64(len(batch)))
	var err error
	if len(batch) == 1 {
		err = g.b.Apply(batch[0].muts)
		batch[0].err = err
		if err == nil {
			g.seq++
			batch[0].seq = g.seq
		}
	} else {
		all := g.muts[:0]
		for _, r := range batch {
			all = append(all, r.muts...)
		}
		err = g.b.Apply(all)
		clear(all)
		g.muts = all[:0]
		for _, r := range batch {
			r.err = err
			if err == nil {
				g.seq++
				r.seq = g.seq
			}
		}
		if err != nil {
			for _, r := range batch {
				if r.err = g.b.Apply(r.muts); r.err == nil {
					g.seq++
					r.seq = g.seq
				}
			}
		}
	}
	for _, r := range batch {
		if r == leader {
			continue // the leader reads its own result
		}
		r.wake <- struct{}{}
	}
}

// Persistent reports whether the wrapped backend persists.
func (g *Group) Persistent() bool { return g.b.Persistent() }

// Scan scans the wrapped backend.
func (g *Group) Scan(fn func(key, value []byte) error) error { return g.b.Scan(fn) }

// Close closes the wrapped backend. Callers must not Apply concurrently.
func (g *Group) Close() error { return g.b.Close() }
