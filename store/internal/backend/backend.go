// Package backend holds the durable backends of the Spark store behind one
// small interface: memory (no disk), bbolt and pebble, plus the group
// committer that lets concurrent writers share one sync.
package backend

import (
	"fmt"
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

// Open opens the named backend: "memory", "bbolt" or "pebble".
func Open(name string, cfg Config) (Backend, error) {
	switch name {
	case Memory:
		return memory{}, nil
	case Bbolt:
		return openBbolt(cfg)
	case Pebble:
		return openPebble(cfg)
	}
	return nil, fmt.Errorf("backend %q: %w", name, ErrUnknown)
}

// memory keeps nothing: the store's index is the only copy. It is the
// baseline that shows what the disk costs.
type memory struct{}

func (memory) Apply([]Mutation) error                   { return nil }
func (memory) Scan(func(key, value []byte) error) error { return nil }
func (memory) Persistent() bool                         { return false }
func (memory) Close() error                             { return nil }
