package host

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/sparkbench/sparkbench/host/internal/beam"
	"github.com/sparkbench/sparkbench/store"
)

// Limits are the per-invocation limits the host enforces.
type Limits struct {
	MaxReadsPerInvocation  int           // spark_get + spark_list; default 1000
	MaxWritesPerInvocation int           // spark_set + spark_delete; default 100
	MaxPullsPerInvocation  int           // spark_pull; default 1
	MaxPullKeys            int           // keys per pull; default 100
	InvocationTimeout      time.Duration // default 1s; 0 disables
	MaxMemoryPages         uint32        // guest memory cap in 64 KiB pages; default 256 (16 MiB)

	// MaxValueBytes and MaxTTLSecs are the value size and TTL caps the host
	// checks before the write limit (the contract's order: capability, key, TTL,
	// size, write limit, quota). 0 means the node store's own options (or
	// the store defaults, 64 KiB and 30 days). Set them only to the values
	// the stores were opened with.
	MaxValueBytes int
	MaxTTLSecs    int64
}

// Default limits.
const (
	DefaultMaxReads          = 1000
	DefaultMaxWrites         = 100
	DefaultMaxPulls          = 1
	DefaultMaxPullKeys       = 100
	DefaultInvocationTimeout = time.Second
	DefaultMaxMemoryPages    = 256
)

// DefaultLimits returns the platform defaults.
func DefaultLimits() Limits {
	return Limits{
		MaxReadsPerInvocation:  DefaultMaxReads,
		MaxWritesPerInvocation: DefaultMaxWrites,
		MaxPullsPerInvocation:  DefaultMaxPulls,
		MaxPullKeys:            DefaultMaxPullKeys,
		InvocationTimeout:      DefaultInvocationTimeout,
		MaxMemoryPages:         DefaultMaxMemoryPages,
	}
}

// withDefaults fills zero count and memory fields with the defaults. A zero
// InvocationTimeout disables timeouts, as documented on Limits; start from
// DefaultLimits to get the 1s default.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxReadsPerInvocation == 0 {
		l.MaxReadsPerInvocation = d.MaxReadsPerInvocation
	}
	if l.MaxWritesPerInvocation == 0 {
		l.MaxWritesPerInvocation = d.MaxWritesPerInvocation
	}
	if l.MaxPullsPerInvocation == 0 {
		l.MaxPullsPerInvocation = d.MaxPullsPerInvocation
	}
	if l.MaxPullKeys == 0 {
		l.MaxPullKeys = d.MaxPullKeys
	}
	if l.MaxMemoryPages == 0 {
		l.MaxMemoryPages = d.MaxMemoryPages
	}
	return l
}

// Node is one edge node: its id and its Spark store.
type Node struct {
	ID    string
	Store *store.Store // nil: Spark disabled on this node
	// PullLatency, if set, is slept (in-process transport) before a pull
	// from this node as origin is served; it is called once per pull.
	PullLatency func() time.Duration
}

// Site is one tenant domain and its capabilities.
type Site struct {
	Domain      string
	WritesSpark bool // the writes_spark_kv capability
	Secrets     map[string]string
}

// BeamOrigin is the synthetic origin behind beam_fetch: latency, status and
// body size are configurable.
type BeamOrigin = beam.Origin

// Config configures a Host.
type Config struct {
	Limits      Limits
	Nodes       []Node
	Sites       []Site
	Transport   Transport   // pulls between nodes; nil = in-process
	Beam        BeamOrigin  // synthetic origin for beam_fetch
	TimeoutMode TimeoutMode // how timeouts are enforced (reported)
	CacheDir    string      // optional on-disk compilation cache
	PoolSize    int         // instances pre-warmed per flare at Load; default 2*GOMAXPROCS
	// MaxIdle caps the healthy instances a flare's pool keeps between
	// invocations; default 1024. The pool grows to the peak concurrency
	// (up to this cap) instead of discarding instances that come back while
	// it holds PoolSize, so a run with more workers than PoolSize does not
	// instantiate on the hot path.
	MaxIdle int
	Log     io.Writer // guest log_* lines; nil = discard
	// LogLinesPerInvocation caps log_* lines written per invocation
	// (further lines are counted and dropped); default 16.
	LogLinesPerInvocation int
}

// TimeoutMode says how a runaway guest is stopped after
// Limits.InvocationTimeout.
type TimeoutMode uint8

// Timeout modes.
const (
	// TimeoutWatchdog instruments each flare at Load with a stop flag (a
	// global checked at every function entry and loop head, see
	// host/internal/stopcheck) and runs one watchdog goroutine per Host
	// that raises the flag of an overrunning instance; the guest then traps
	// at its next call or loop iteration. Guests run without wazero's
	// termination checks and calls need no goroutine or context: the
	// default, and the cheapest mode that enforces timeouts (see
	// BenchmarkInvokeCounter).
	TimeoutWatchdog TimeoutMode = iota
	// TimeoutContext compiles wazero's termination checks in and gives
	// every invocation a context with a deadline; wazero closes the module
	// when it expires.
	TimeoutContext
	// TimeoutClose compiles wazero's termination checks in, calls on a
	// context without a Done channel, and has the watchdog close an
	// overrunning instance's module (CloseWithExitCode). Kept to measure
	// it: wazero v1.12 still starts a goroutine per call (nested alloc
	// calls included) and leaves native code on every loop iteration.
	TimeoutClose
	// TimeoutNone enforces no timeout: no termination checks are compiled
	// in. A runaway guest then blocks its caller forever; use only for
	// trusted flares and for measuring the enforcement overhead.
	TimeoutNone
)

var timeoutModeNames = [...]string{"watchdog", "context", "close", "none"}

// String returns "watchdog", "context", "close" or "none".
func (m TimeoutMode) String() string {
	if int(m) < len(timeoutModeNames) {
		return timeoutModeNames[m]
	}
	return fmt.Sprintf("timeout_mode(%d)", m)
}

// TimeoutModes lists the accepted names, default first (a fresh slice).
func TimeoutModes() []string { return slices.Clone(timeoutModeNames[:]) }

// ParseTimeoutMode parses "watchdog", "context", "close" or "none" ("" =
// watchdog).
func ParseTimeoutMode(s string) (TimeoutMode, error) {
	if s == "" {
		return TimeoutWatchdog, nil
	}
	for i, n := range timeoutModeNames {
		if s == n {
			return TimeoutMode(i), nil
		}
	}
	return 0, fmt.Errorf("host: timeout mode %q (want one of %v): %w", s, timeoutModeNames, ErrBadConfig)
}
