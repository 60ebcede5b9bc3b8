package measure

import (
	"slices"
	"strconv"
)

// Op is a timed operation. The host times the spark_* calls and the
// invocation, the store its backend reads and durable writes, the engine
// the response from an open-loop start.
type Op uint8

// The timed operations, in report order.
const (
	OpSparkGet Op = iota
	OpSparkSet
	OpSparkDelete
	OpSparkList
	OpSparkPull
	OpBackendRead
	OpBackendWrite // durable write
	OpInvocation   // service time
	OpResponse     // from intended start (open loop)
	NumOps
)

var opNames = [NumOps]string{
	"spark_get", "spark_set", "spark_delete", "spark_list", "spark_pull",
	"backend_read", "backend_write", "invocation", "response",
}

// String returns the operation's name as reports, result files and
// thresholds spell it ("spark_get", ..., "response").
func (o Op) String() string {
	if o < NumOps {
		return opNames[o]
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// ParseOp returns the Op named s.
func ParseOp(s string) (Op, bool) {
	for i, n := range opNames {
		if n == s {
			return Op(i), true
		}
	}
	return 0, false
}

// OpNames lists every operation's name in report order (a fresh slice).
func OpNames() []string { return slices.Clone(opNames[:]) }
