package host

import (
	"strconv"
	"time"

	"github.com/sparkbench/sparkbench/internal/measure"
)

// Op names a timed operation reported to an Observer: one of the
// operations every report names (internal/measure), of which the host
// times these six.
type Op = measure.Op

// Timed operations.
const (
	OpSparkGet    = measure.OpSparkGet
	OpSparkSet    = measure.OpSparkSet
	OpSparkDelete = measure.OpSparkDelete
	OpSparkList   = measure.OpSparkList
	OpSparkPull   = measure.OpSparkPull
	OpInvocation  = measure.OpInvocation
)

// CodeMiss is the outcome code of a spark_get that found nothing. Other
// spark outcomes are store.Code values; for OpInvocation the outcome is
// ErrorKind.Code: 0 (ok) or ErrorKind+100.
const CodeMiss = measure.CodeMiss

// Limit names an enforced limit reported through Observer.ObserveLimit.
type Limit uint8

// Enforced limits.
const (
	LimitReads Limit = iota
	LimitWrites
	LimitPulls
	LimitPullKeys
	LimitValueBytes
	LimitQuota
	LimitCapability
	LimitTTL
	LimitTimeout
	LimitMemory
	numLimits
)

var limitNames = [numLimits]string{
	"max_reads_per_invocation", "max_writes_per_invocation", "max_pulls_per_invocation",
	"max_pull_keys", "max_value_bytes", "site_quota", "writes_spark_kv", "max_ttl_secs",
	"invocation_timeout", "max_memory_pages",
}

// String returns the limit's configuration name, e.g. "max_writes_per_invocation".
func (l Limit) String() string {
	if l < numLimits {
		return limitNames[l]
	}
	return "limit(" + strconv.Itoa(int(l)) + ")"
}

// Observer receives the timing of each spark_* call and each invocation,
// and every limit decision. It is per worker (Request.Observer), so
// implementations need no locks. A nil Observer costs nothing: the host
// then reads no clock at all.
type Observer interface {
	// ObserveCall reports one timed operation and its outcome code.
	ObserveCall(op Op, code int32, d time.Duration)
	// ObserveLimit reports one limit decision: allowed (refused=false) or
	// refused.
	ObserveLimit(l Limit, refused bool)
}
