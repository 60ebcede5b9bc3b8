package store

import (
	"fmt"
	"slices"
	"time"

	"github.com/sparkbench/sparkbench/store/internal/backend"
)

// Backend names a storage backend. Parse a name once with ParseBackend;
// the zero Backend ("") means BackendBbolt in Options.
type Backend string

// The backends Open accepts.
const (
	BackendMemory Backend = backend.Memory // no disk: the baseline
	BackendBbolt  Backend = backend.Bbolt  // B+tree; the default
	BackendPebble Backend = backend.Pebble // LSM
)

// Backends lists the backends Open accepts.
func Backends() []Backend { return []Backend{BackendMemory, BackendBbolt, BackendPebble} }

// ParseBackend returns the backend named s ("memory", "bbolt" or "pebble").
func ParseBackend(s string) (Backend, error) {
	if b := Backend(s); slices.Contains(Backends(), b) {
		return b, nil
	}
	return "", fmt.Errorf("store: backend %q (want one of %v): %w", s, Backends(), ErrUnknownBackend)
}

// String returns the backend's name.
func (b Backend) String() string { return string(b) }

// Defaults used by DefaultOptions and for zero fields of Options.
const (
	DefaultSiteQuotaBytes = 10 << 20
	DefaultMaxValueBytes  = 64 << 10
	DefaultMaxTTLSecs     = 30 * 24 * 3600
	DefaultSweepInterval  = time.Second
	// DefaultCheckpointBytes and DefaultCheckpointInterval: see
	// Options.CheckpointBytes and Options.CheckpointInterval.
	DefaultCheckpointBytes    = backend.DefaultCheckpointBytes
	DefaultCheckpointInterval = backend.DefaultCheckpointInterval
)

// Options configures Open. Zero fields take the documented defaults.
type Options struct {
	// Backend is BackendMemory, BackendBbolt or BackendPebble; "" means
	// BackendBbolt.
	Backend Backend
	// Dir is the backend directory; required for disk backends, created if
	// missing.
	Dir string
	// Durability of writes; the zero value is DurabilityGroup. Ignored by
	// the memory backend, which is never durable.
	Durability Durability
	// SiteQuotaBytes is each site's quota on this node, counted as
	// len(key)+len(value) over live entries; default 10 MiB.
	SiteQuotaBytes int64
	// MaxValueBytes is the largest value Set accepts; default 64 KiB.
	MaxValueBytes int
	// MaxTTLSecs is the largest TTL Set accepts; default 30 days.
	MaxTTLSecs int64
	// SweepInterval is the active sweeper's period; default 1s; < 0
	// disables the sweeper (expired entries are then reclaimed only lazily:
	// by a Set that would otherwise exceed the quota, and on reopen).
	SweepInterval time.Duration
	// Observer, if set, receives the duration of each index read and each
	// durable write. nil costs nothing.
	Observer Observer
	// Now is the clock; nil means time.Now. Tests inject a fake clock.
	Now func() time.Time
	// CheckpointBytes (bbolt with DurabilityGroup, which writes through a
	// write-ahead log): the WAL size after which a background checkpoint
	// folds the log into bbolt; default 1 MiB. Memory for mutations not
	// yet checkpointed is bounded at max(8*CheckpointBytes, 64 MiB).
	CheckpointBytes int64
	// CheckpointInterval (bbolt with DurabilityGroup): a checkpoint also
	// starts when this long has passed since the last one and something is
	// pending; default 10s; < 0 disables the timer (size only).
	CheckpointInterval time.Duration
	// Recover lets Open go on past damaged data on disk: it keeps what is
	// intact, moves damaged files aside under Dir/damaged-<UTC time>/,
	// and reports what it kept and dropped in Stats().Recovery. Without
	// it Open fails on damage with ErrCorrupt. A torn WAL tail (the normal
	// end of a crash) is never damage.
	Recover bool
}

// DefaultOptions returns the defaults: bbolt, group commit, 10 MiB per site,
// 64 KiB values, 30 days max TTL, a sweep every second. Dir must still be
// set.
func DefaultOptions() Options {
	return Options{
		Backend:        BackendBbolt,
		Durability:     DurabilityGroup,
		SiteQuotaBytes: DefaultSiteQuotaBytes,
		MaxValueBytes:  DefaultMaxValueBytes,
		MaxTTLSecs:     DefaultMaxTTLSecs,
		SweepInterval:  DefaultSweepInterval,
	}
}

// withDefaults fills zero fields and checks ranges.
func (o Options) withDefaults() (Options, error) {
	if o.Backend == "" {
		o.Backend = BackendBbolt
	}
	switch o.Backend {
	case BackendMemory:
	case BackendBbolt, BackendPebble:
		if o.Dir == "" {
			return o, fmt.Errorf("store: open %s: %w", o.Backend, ErrNoDir)
		}
	default:
		return o, fmt.Errorf("store: open: backend %q (want one of %v): %w", o.Backend, Backends(), ErrUnknownBackend)
	}
	if o.Durability > DurabilityNone {
		return o, fmt.Errorf("store: open: %v: %w", o.Durability, ErrUnknownDurability)
	}
	if o.SiteQuotaBytes == 0 {
		o.SiteQuotaBytes = DefaultSiteQuotaBytes
	}
	if o.MaxValueBytes == 0 {
		o.MaxValueBytes = DefaultMaxValueBytes
	}
	if o.MaxTTLSecs == 0 {
		o.MaxTTLSecs = DefaultMaxTTLSecs
	}
	if o.SweepInterval == 0 {
		o.SweepInterval = DefaultSweepInterval
	}
	if o.CheckpointBytes == 0 {
		o.CheckpointBytes = DefaultCheckpointBytes
	}
	if o.CheckpointInterval == 0 {
		o.CheckpointInterval = DefaultCheckpointInterval
	}
	if o.CheckpointBytes < 0 {
		return o, fmt.Errorf("store: open: checkpoint bytes %d: %w", o.CheckpointBytes, ErrBadOptions)
	}
	if o.SiteQuotaBytes < 0 || o.MaxValueBytes < 0 || o.MaxTTLSecs < 0 || o.MaxTTLSecs > 1<<31-1 {
		return o, fmt.Errorf("store: open: quota %d, max value %d, max ttl %d: %w",
			o.SiteQuotaBytes, o.MaxValueBytes, o.MaxTTLSecs, ErrBadOptions)
	}
	return o, nil
}
