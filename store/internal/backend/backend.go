// Package backend holds the durable backends of the Spark store behind one
// small interface: memory (no disk), bbolt and pebble, plus the group
// committer that lets concurrent writers share one sync.
package backend

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Mutation is one put (Delete false) or delete of an encoded disk key.
type Mutation struct {
	Key, Value []byte
	Delete     bool
}

// Backend is a durable ordered key/value store.
type Backend interface {
	// Apply writes muts atomically. When the backend was opened with
	// Sync, the write is durable when Apply returns nil.
	Apply(muts []Mutation) error
	// Scan calls fn for every record in key order. key and value are valid
	// only during the call.
	Scan(fn func(key, value []byte) error) error
	// Persistent reports whether records survive Close.
	Persistent() bool
	Close() error
}

// SeqApplier is implemented by backends that order concurrent Applies
// themselves (pebble's commit pipeline): ApplySeq is Apply that also
// returns the write's commit sequence number, which grows with the order
// in which writes reach the disk.
type SeqApplier interface {
	ApplySeq(muts []Mutation) (uint64, error)
}

// BulkApplier is implemented by backends with a faster path for one large
// write than Apply: ApplyBulk writes muts, sorted by key and without
// duplicates, atomically and (with Config.Sync) durably, in one
// transaction. The other backends take bulk writes through Apply.
type BulkApplier interface {
	ApplyBulk(muts []Mutation) error
}

// Config configures Open.
type Config struct {
	Dir  string
	Sync bool // fsync every Apply
	// FS replaces pebble's file system (fault injection); nil = the OS.
	FS vfs.FS
	// WAL (bbolt only, with Sync) makes Apply durable by appending to a
	// write-ahead log and folds the log into bbolt in background
	// checkpoints; see walBbolt. Apply then keeps the Value slices of its
	// mutations (it does not copy them) until they are checkpointed:
	// callers must not modify them after Apply (the store never does).
	WAL bool
	// CheckpointBytes is the WAL size after which a checkpoint starts; 0
	// means DefaultCheckpointBytes.
	CheckpointBytes int64
	// CheckpointInterval also starts a checkpoint when something is
	// pending and this long has passed; 0 means DefaultCheckpointInterval,
	// < 0 disables the timer.
	CheckpointInterval time.Duration
	// WALFault, if set, is called before each WAL operation ("create",
	// "write", "sync") and inside each checkpoint transaction
	// ("checkpoint"); an error it returns is injected as that operation's
	// failure (tests only).
	WALFault func(op string) error
	// OnFault, if set, is told of each failure of background work that no
	// Apply returns: a failed WAL checkpoint, a failed pebble flush or
	// compaction. It must not block.
	OnFault func(err error)
	// Recover lets Open go on past damaged data: it keeps what is intact,
	// moves the damaged files aside (under Dir/damaged-<time>/) and
	// reports what it kept and dropped (see Recovery). Without it, Open
	// fails with a *CorruptError.
	Recover bool

	// mustExist is set when Dir's marker says a store was created there;
	// marker is what it says.
	mustExist bool
	marker    marker
}

// Defaults of Config. 1 MiB of WAL (~3600 256-byte writes) per checkpoint
// measured better than 256 KiB and 4 MiB on both Set throughput and p99
// with 64 writers (store/testdata/bench-2026-12-01.txt): larger
// checkpoints hold the disk longer (90-250 ms against 25-30 ms), which
// delays the WAL syncs queued behind them.
const (
	DefaultCheckpointBytes    = 1 << 20
	DefaultCheckpointInterval = 10 * time.Second
)

// Open opens the named backend: "memory", "bbolt" or "pebble". It stops
// waiting, and returns an error wrapping context.Cause(ctx), soon after ctx
// is done; work it cannot interrupt (a bbolt or pebble open) goes on in
// the background and is closed when it ends.
func Open(ctx context.Context, name string, cfg Config) (Backend, error) {
	switch name {
	case Memory:
		return memory{}, nil
	case Bbolt, Pebble:
	default:
		return nil, fmt.Errorf("backend %q: %w", name, ErrUnknown)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", name, classify("mkdir", cfg.Dir, err))
	}
	m, err := readMarker(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	holds := m.backend
	if holds == "" {
		holds = foreignStore(cfg.Dir, name)
	} else {
		cfg.mustExist = true
		cfg.marker = m
	}
	if holds != "" && holds != name {
		return nil, fmt.Errorf("%s: open %s: it holds a %s store: %w", name, cfg.Dir, holds, ErrWrongBackend)
	}
	var b Backend
	if name == Bbolt {
		b, err = openBbolt(ctx, cfg)
	} else {
		b, err = openPebble(ctx, cfg)
	}
	if err != nil {
		return nil, err
	}
	if !cfg.mustExist {
		if err := writeMarker(cfg.Dir, marker{backend: name}); err != nil {
			b.Close()
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return b, nil
}

// runCancellable runs fn in its own goroutine and returns its result, or
// an error wrapping context.Cause(ctx) as soon as ctx is done; in that
// case cleanup is called with fn's result once fn returns.
func runCancellable[T any](ctx context.Context, what string, fn func() (T, error), cleanup func(T)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.err == nil {
				cleanup(r.v)
			}
		}()
		var zero T
		return zero, fmt.Errorf("%s: %w", what, context.Cause(ctx))
	}
}

// memory keeps nothing: the store's index is the only copy. It is the
// baseline that shows what the disk costs.
type memory struct{}

func (memory) Apply([]Mutation) error                   { return nil }
func (memory) Scan(func(key, value []byte) error) error { return nil }
func (memory) Persistent() bool                         { return false }
func (memory) Close() error                             { return nil }
