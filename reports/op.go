package reports

import (
	"fmt"
	"strconv"

	"github.com/sparkbench/sparkbench/internal/measure"
)

// Op is a measured operation: the operations every layer names
// (internal/measure; the same values as host.Op), with the text encoding
// of result files.
type Op measure.Op

// The measured operations, in report order.
const (
	OpSparkGet     = Op(measure.OpSparkGet)
	OpSparkSet     = Op(measure.OpSparkSet)
	OpSparkDelete  = Op(measure.OpSparkDelete)
	OpSparkList    = Op(measure.OpSparkList)
	OpSparkPull    = Op(measure.OpSparkPull)
	OpBackendRead  = Op(measure.OpBackendRead)
	OpBackendWrite = Op(measure.OpBackendWrite) // durable write
	OpInvocation   = Op(measure.OpInvocation)   // service time
	OpResponse     = Op(measure.OpResponse)     // from intended start (open loop)
	NumOps         = Op(measure.NumOps)
)

// String returns the operation's name as used in reports and thresholds.
func (o Op) String() string { return measure.Op(o).String() }

// ParseOp returns the Op named s.
func ParseOp(s string) (Op, bool) {
	op, ok := measure.ParseOp(s)
	return Op(op), ok
}

// MarshalText encodes the operation by name so that results stay readable
// and stable if operations are added.
func (o Op) MarshalText() ([]byte, error) {
	if o >= NumOps {
		return nil, fmt.Errorf("reports: unknown op %d", o)
	}
	return []byte(o.String()), nil
}

// UnmarshalText decodes an operation name.
func (o *Op) UnmarshalText(b []byte) error {
	op, ok := ParseOp(string(b))
	if !ok {
		return fmt.Errorf("%w: unknown op %q", ErrSchema, b)
	}
	*o = op
	return nil
}

// Labels identify what a recorder measures.
type Labels struct{ Scenario, Node, Backend string }

func (l Labels) less(m Labels) bool {
	if l.Scenario != m.Scenario {
		return l.Scenario < m.Scenario
	}
	if l.Node != m.Node {
		return l.Node < m.Node
	}
	return l.Backend < m.Backend
}

// Outcome codes as the host reports them (store.Code values, CodeMiss for a
// get that found nothing, 100+ErrorKind for a failed invocation), and
// CodeStatus for a response whose status the scenario did not expect.
const (
	CodeMiss          = measure.CodeMiss
	CodeOK            = measure.CodeOK
	CodeQuotaExceeded = measure.CodeQuotaExceeded
	CodeStatus        = measure.CodeStatus
)

// IsError reports whether an outcome code counts as an error: anything but
// ok and miss.
func IsError(code int32) bool { return code != CodeOK && code != CodeMiss }

// CodeName names an outcome code: from names (RunInfo.CodeNames) when it
// has the code, else the store's codes, CodeMiss and the host's invocation
// error kinds (100+kind), else "error_N".
func CodeName(code int32, names map[int32]string) string {
	if n, ok := names[code]; ok {
		return n
	}
	if n, ok := measure.CodeName(code); ok {
		return n
	}
	return "error_" + strconv.Itoa(int(code))
}
