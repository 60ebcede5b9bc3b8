package host

import "time"

// Op names a timed operation reported to an Observer.
type Op uint8

// Timed operations.
const (
	OpSparkGet Op = iota
	OpSparkSet
	OpSparkDelete
	OpSparkList
	OpSparkPull
	OpInvocation
	numOps
)

var opNames = [numOps]string{"spark_get", "spark_set", "spark_delete", "spark_list", "spark_pull", "invocation"}

// String returns the operation's report name ("spark_get", ..., "invocation").
func (o Op) String() string {
	if o < numOps {
		return opNames[o]
	}
	return "op(" + itoa(int64(o)) + ")"
}

// CodeMiss is the outcome code of a spark_get that found nothing. Other
// spark outcomes are store.Code values; for OpInvocation the outcome is 0
// (ok) or ErrorKind+100.
const CodeMiss int32 = -1

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
	return "limit(" + itoa(int64(l)) + ")"
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

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
