package workloads

import (
	"time"

	"github.com/sparkbench/sparkbench/store"
	"github.com/sparkbench/sparkbench/workloads/internal/executor"
)

// Workload is a parsed and validated workload file.
type Workload struct {
	File       string // path as given
	SHA256     string // of the file bytes, before overrides
	Name       string
	Seed       int64
	Duration   time.Duration // measured phase; default for executors
	Warmup     time.Duration // not recorded
	Store      StoreSpec
	Limits     LimitsSpec
	Nodes      []NodeSpec
	Sites      []SiteSpec
	Preload    []PreloadSpec
	Scenarios  []ScenarioSpec
	Origin     OriginSpec
	Thresholds map[string]string
	// Verify checks the final store after the measured phase.
	Verify []VerifySpec
	// ThresholdOrder keeps the thresholds in file order for stable output.
	ThresholdOrder []string
	shard          Shard // set by Sharded
}

// Shard is the part of the workload this is (Sharded); the zero Shard for
// the whole workload.
func (w *Workload) Shard() Shard { return w.shard }

// Pos is a position in a workload file: 1-based line and column, zero when
// unknown (a value given with --set).
type Pos struct{ Line, Column int }

// OriginSpec configures the synthetic origin behind beam_fetch.
type OriginSpec struct {
	Latency  *DurationDist // nil = none
	Status   int           // 0 = 200
	BodySize int64         // 0 = 1 KiB
}

// StoreSpec configures the store of every node.
type StoreSpec struct {
	// Backends are run one after the other, like run --backend a,b,c:
	// store.backend gives one, store.backends several; default bbolt.
	Backends   []store.Backend
	Durability store.Durability // default group
	Dir        string           // empty: a fresh temporary directory, removed after the run
}

// LimitsSpec holds the platform limits; zero fields take the defaults of
// the store and host packages.
type LimitsSpec struct {
	MaxValueBytes          int64
	MaxTTL                 time.Duration
	MaxReadsPerInvocation  int
	MaxWritesPerInvocation int
	MaxPullsPerInvocation  int
	MaxPullKeys            int
	SiteQuota              int64
	InvocationTimeout      time.Duration
	MaxMemoryPages         uint32
	set                    map[string]bool // which were given in the file
}

// IsSet reports whether the named limit (YAML name) was given explicitly.
func (l LimitsSpec) IsSet(name string) bool { return l.set[name] }

// NodeSpec is one edge node.
type NodeSpec struct {
	ID          string
	Spark       bool          // default true
	PullLatency *DurationDist // in-process pull transport latency; nil = none
	Transport   string        // TransportInProcess | TransportHTTP
}

// Pull transports of a node (NodeSpec.Transport): how other nodes reach
// it when they pull from it.
const (
	TransportInProcess = "inprocess" // a function call, after PullLatency
	TransportHTTP      = "http"      // a loopback HTTP server
)

// SiteSpec is one site (tenant).
type SiteSpec struct {
	Domain       string
	Capabilities []string
	Secrets      map[string]string
}

// WritesSpark reports whether the site has the writes_spark_kv capability.
func (s SiteSpec) WritesSpark() bool {
	for _, c := range s.Capabilities {
		if c == CapWritesSparkKV {
			return true
		}
	}
	return false
}

// CapWritesSparkKV is the capability that allows set, delete and pull.
const CapWritesSparkKV = "writes_spark_kv"

// PreloadSpec bulk-loads keys into one (node, site) before the run.
type PreloadSpec struct {
	Site, Node string
	Keys       int64
	Key        *Template // default "key:{{seq}}"
	ValueSize  *SizeDist
	TTL        *DurationDist // nil or 0 = no expiry
	Pos        Pos           // of the preload entry in the file
}

// ScenarioSpec is one concurrently running scenario.
type ScenarioSpec struct {
	Name      string
	Flare     string // "builtin:NAME" or a path (relative to the workload file)
	FlarePath string // resolved path for a file flare
	Node      string
	Site      string
	Executor  ExecutorSpec
	Vars      []VarSpec // in file order
	Request   RequestSpec
	Expect    []int // expected statuses; default [200]
	// Checks test every response beside its status (expect.checks).
	Checks []Check
	// WritesSpark is whether the flare can write Spark (set/delete/pull).
	WritesSpark bool
	FlarePos    Pos // of the flare field in the file
	ExecutorPos Pos // of the executor field's value in the file
}

// Executor kinds, as the executor that runs them names them.
const (
	ConstantArrivalRate = executor.ConstantArrivalRate
	RampingArrivalRate  = executor.RampingArrivalRate
	Closed              = executor.Closed
)

// ExecutorSpec configures how a scenario issues invocations.
type ExecutorSpec struct {
	Type          string
	Rate          float64       // per second (constant-arrival-rate)
	StartRate     float64       // per second (ramping-arrival-rate)
	Stages        []Stage       // ramping-arrival-rate
	Duration      time.Duration // constant-arrival-rate / closed; default workload duration
	MaxInFlight   int           // open loop: pre-allocated workers; default 64
	LateTolerance time.Duration // open loop: a start later than this counts as late; default 1ms
	// Spin is how close to a start the open-loop worker waiting for it
	// stops sleeping and spins: 0 = adaptive (learned from the sleeps'
	// overshoot, 20µs to 2ms, or no spinning while twice the overshoot is
	// within LateTolerance; precise, burns idle CPU), < 0 = never (spin: off).
	Spin       time.Duration
	VUs        int   // closed: workers
	Iterations int64 // closed: total iterations (0 = run for Duration)
}

// Stage is one ramping step: go linearly to Target per second over
// Duration (the executor's own Stage).
type Stage = executor.Stage

// Workers is how many invocations the executor can have in flight at once.
func (e ExecutorSpec) Workers() int {
	if e.Type == Closed {
		return e.VUs
	}
	return e.MaxInFlight
}

// TotalDuration is the executor's own run time (for iterations-bound closed
// executors it is the upper bound).
func (e ExecutorSpec) TotalDuration() time.Duration {
	if e.Type == RampingArrivalRate {
		var d time.Duration
		for _, s := range e.Stages {
			d += s.Duration
		}
		return d
	}
	return e.Duration
}

// VarSpec is a named request variable with its generator.
type VarSpec struct {
	Name string
	Dist *IntDist
}

// RequestSpec is the request template.
type RequestSpec struct {
	Method  *Template
	URL     *Template
	Headers []HeaderTemplate
	Body    *Template
}

// HeaderTemplate is one request header; the value is a template.
type HeaderTemplate struct {
	Name  string
	Value *Template
}
