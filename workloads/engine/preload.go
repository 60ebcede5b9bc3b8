package engine

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sparkbench/sparkbench/store"
	"github.com/sparkbench/sparkbench/workloads"
	"github.com/sparkbench/sparkbench/workloads/internal/gen"
)

// preloadWorkers write a preload set concurrently, so that a durable
// backend's group commit shares each sync among many writes.
const preloadWorkers = 32

// preload bulk-loads keys through the stores directly (no flare, no limits
// but the store's own: key rules, value size, quota). Worker w of the
// preload writes every preloadWorkers-th key with its own RNG, so the data
// is the same on every run with the same seed.
func preload(ctx context.Context, w *workloads.Workload, stores map[string]*store.Store, warn io.Writer) error {
	for i, p := range w.Preload {
		st := stores[p.Node]
		if st == nil {
			return &workloads.FieldError{File: w.File, Line: p.Pos.Line, Column: p.Pos.Column, Path: fmt.Sprintf("preload.%d.node", i), Msg: fmt.Sprintf("node %q has spark: false: nothing to preload into", p.Node)}
		}
		site := st.Site(p.Site)
		key, err := p.Key.Bind(func(name string) (int, string, bool) {
			switch name {
			case "seq":
				return 0, "", true
			case "node":
				return -1, p.Node, true
			case "site":
				return -1, p.Site, true
			}
			return 0, "", false
		})
		if err != nil {
			return &workloads.FieldError{File: w.File, Line: p.Pos.Line, Column: p.Pos.Column, Path: fmt.Sprintf("preload.%d.key", i), Msg: err.Error()}
		}
		stride, first := int64(1), int64(0)
		if sh := w.Shard(); sh.Count > 1 {
			stride, first = int64(sh.Count), int64(sh.Index)
		}
		var written, refused atomic.Int64
		var firstCode atomic.Int32
		var stop atomic.Bool
		var wg sync.WaitGroup
		for wk := 0; wk < preloadWorkers; wk++ {
			wg.Add(1)
			go func(wk int) {
				defer wg.Done()
				r := gen.NewRand(w.Seed, fmt.Sprintf("preload/%d", i), wk)
				var kbuf, value []byte
				vals := []int64{0}
				for seq := first + int64(wk)*stride; seq < p.Keys; seq += stride * preloadWorkers {
					if stop.Load() || seq&1023 == int64(wk)&1023 && ctx.Err() != nil {
						return
					}
					vals[0] = seq
					kbuf = key.Append(kbuf[:0], vals)
					value = fillValue(value[:0], int(p.ValueSize.Next(r)), seq)
					var ttl int64
					if p.TTL != nil {
						ttl = int64((time.Duration(p.TTL.Next(r)) + time.Second - 1) / time.Second)
					}
					if code := site.Set(kbuf, value, ttl); code != store.OK {
						firstCode.CompareAndSwap(0, int32(code))
						refused.Add(1)
						if code == store.QuotaExceeded || code == store.Internal {
							stop.Store(true) // later keys would be refused the same way
						}
						continue
					}
					written.Add(1)
				}
			}(wk)
		}
		wg.Wait()
		if ctx.Err() != nil {
			return fmt.Errorf("%w: preload interrupted", ErrRun)
		}
		if refused.Load() > 0 && warn != nil {
			fmt.Fprintf(warn, "warning: preload.%d (%s on %s): %d keys written, %d refused (first refusal: %s)\n",
				i, p.Site, p.Node, written.Load(), refused.Load(), store.Code(firstCode.Load()))
		}
	}
	return nil
}

// fillValue appends n deterministic printable bytes.
func fillValue(b []byte, n int, seq int64) []byte {
	for j := 0; j < n; j++ {
		b = append(b, byte('a'+(int64(j)+seq)%26))
	}
	return b
}
