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
	// MaxStackBytes is the call stack one call into the guest may use, in
	// bytes of native stack as the host estimates a frame: 64 bytes plus
	// 16 per parameter, local and operand-stack value of the function (32
	// for a v128), about twice what wazero's compiler takes. Default 1 MiB,
	// like a browser's WebAssembly stack; at most 1 GiB. Recursion past it
	// traps with "stack exhausted" at once, instead of growing wazero's
	// stack (copied at every doubling) to its ceiling of about 80 MiB per
	// call.
	MaxStackBytes uint32

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
	DefaultMaxStackBytes     = 1 << 20
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
		MaxStackBytes:          DefaultMaxStackBytes,
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
	if l.MaxStackBytes == 0 {
		l.MaxStackBytes = d.MaxStackBytes
	}
	return l
}

// MaxResponseHeaderBytes caps the response headers of an invocation: their
// names and values, and 32 bytes per header for the host's bookkeeping. A
// guest setting more fails with ErrMemoryLimit, so that no guest can make
// the host allocate without bound (a real flare sets a few hundred bytes).
const MaxResponseHeaderBytes = 128 << 10

// ModuleLimits bound what a flare module may declare. Load refuses a
// module over one of them with ErrModuleLimit, before compiling it, and
// clamps each table's maximum so that table.grow cannot pass
// MaxTableElements (the guest sees the grow fail, as the spec allows).
//
// wazero allocates for every instance what a module declares, however
// small the module: 8 bytes per table element and per entry of a passive
// element segment, an object per global and per imported function, a
// slice per segment; its decoder allocates what every count declares
// before reading the entries; compile time and memory grow with each
// function and with the largest body. Without limits a 149-byte module
// declaring a 100M-element table costs 800 MB per instance. Load also
// refuses a module whose counts its bytes do not bear, and drops custom
// sections (names, debug information), which the host does not read. With them an instance
// costs at most about 1 MiB besides its memory (Limits.MaxMemoryPages)
// and call stack (Limits.MaxStackBytes).
//
// The defaults are far above what toolchains produce: the flares of this
// repository (C, AssemblyScript) and wazero's Rust, TinyGo, Zig and C test
// programs declare at most 91 table elements, 5 globals, 18 imports, 65
// segments, 302 functions, a 10 KB function body and 811 locals (types
// and exports: a few dozen).
type ModuleLimits struct {
	MaxTableElements uint32 // elements of all tables (declared and grown to) and of all element segments; default 65,536 (512 KiB)
	MaxGlobals       uint32 // imported and defined; default 1,000
	MaxImports       uint32 // of every kind; default 1,000
	MaxTypes         uint32 // function types; default 10,000
	MaxExports       uint32 // default 10,000
	MaxSegments      uint32 // data segments, and element segments (each); default 10,000
	MaxFunctions     uint32 // imported and defined: compile time and memory grow with each (0.5 KB); default 100,000 (about 1 s and 90 MB to compile)
	MaxFunctionBytes uint32 // one function body: its compile time and memory grow with it; default 1 MiB (about 0.5 s and 100 MB to compile)
	MaxLocals        uint32 // parameters and locals of one function; default 50,000 (the limit of browsers' engines)
}

// Default module limits.
const (
	DefaultMaxTableElements = 65536
	DefaultMaxGlobals       = 1000
	DefaultMaxImports       = 1000
	DefaultMaxTypes         = 10000
	DefaultMaxExports       = 10000
	DefaultMaxSegments      = 10000
	DefaultMaxFunctions     = 100000
	DefaultMaxFunctionBytes = 1 << 20
	DefaultMaxLocals        = 50000
)

// DefaultModuleLimits returns the default module limits.
func DefaultModuleLimits() ModuleLimits {
	return ModuleLimits{
		MaxTableElements: DefaultMaxTableElements,
		MaxGlobals:       DefaultMaxGlobals,
		MaxImports:       DefaultMaxImports,
		MaxTypes:         DefaultMaxTypes,
		MaxExports:       DefaultMaxExports,
		MaxSegments:      DefaultMaxSegments,
		MaxFunctions:     DefaultMaxFunctions,
		MaxFunctionBytes: DefaultMaxFunctionBytes,
		MaxLocals:        DefaultMaxLocals,
	}
}

// withDefaults fills zero fields with the defaults.
func (l ModuleLimits) withDefaults() ModuleLimits {
	d := DefaultModuleLimits()
	for _, f := range []struct {
		v *uint32
		d uint32
	}{
		{&l.MaxTableElements, d.MaxTableElements}, {&l.MaxGlobals, d.MaxGlobals}, {&l.MaxImports, d.MaxImports},
		{&l.MaxTypes, d.MaxTypes}, {&l.MaxExports, d.MaxExports},
		{&l.MaxSegments, d.MaxSegments}, {&l.MaxFunctions, d.MaxFunctions}, {&l.MaxFunctionBytes, d.MaxFunctionBytes},
		{&l.MaxLocals, d.MaxLocals},
	} {
		if *f.v == 0 {
			*f.v = f.d
		}
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
	Limits       Limits
	ModuleLimits ModuleLimits // zero fields: the defaults
	Nodes        []Node
	Sites        []Site
	Transport    Transport   // pulls between nodes; nil = in-process
	Beam         BeamOrigin  // synthetic origin for beam_fetch
	TimeoutMode  TimeoutMode // how timeouts are enforced (reported)
	CacheDir     string      // optional on-disk compilation cache
	PoolSize     int         // instances pre-warmed per flare at Load; default 2*GOMAXPROCS
	// MaxIdle caps the healthy instances a flare's pool keeps between
	// invocations; default 1024. The pool grows to the peak concurrency
	// (up to this cap) instead of discarding instances that come back while
	// it holds PoolSize, so a run with more workers than PoolSize does not
	// instantiate on the hot path.
	MaxIdle int
	Log     io.Writer // guest log_* lines; nil = discard
	// PlasmaBytes is the capacity of plasma (the in-memory store shared by
	// all nodes), in bytes of keys and values; default 64 MiB. A
	// plasma_set past it answers 2 (write limit), a plasma_increment of a
	// new key 0 (no result): no guest can make it grow without bound.
	PlasmaBytes int64
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
	// host/internal/guard) and runs one watchdog goroutine per Host that
	// raises the flag of an instance whose call overruns the timeout or
	// whose caller's context is done; the guest then traps at its next call
	// or loop iteration. Guests run without wazero's termination checks and
	// calls need no goroutine or context: the default, and the cheapest
	// mode that enforces timeouts (see BenchmarkInvokeCounter).
	TimeoutWatchdog TimeoutMode = iota
	// TimeoutContext compiles wazero's termination checks in and gives
	// every invocation a context with a deadline, derived from the
	// caller's; wazero closes the module when it expires or is canceled.
	TimeoutContext
	// TimeoutClose compiles wazero's termination checks in, calls on a
	// context without a Done channel, and has the watchdog close the module
	// of an instance whose call overruns or whose caller's context is done
	// (CloseWithExitCode). Kept to measure it: wazero v1.12 still starts a
	// goroutine per call (nested alloc calls included) and leaves native
	// code on every loop iteration.
	TimeoutClose
	// TimeoutNone enforces no timeout on invocations: a guest runs until it
	// returns, its caller's context is done, or Close. Use it only for
	// trusted flares. Flares get the watchdog mode's checks (a stop flag
	// read with a fuel counter, see TimeoutWatchdog), and the watchdog
	// stops them: without the checks a guest that does not return never
	// leaves native code, the Go runtime cannot stop it for a garbage
	// collection, and the whole process freezes at the next one (signal
	// handlers and timers included). The start function and _initialize
	// still run under Limits.InvocationTimeout when it is set.
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
