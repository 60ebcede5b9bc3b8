package reports

import (
	"fmt"
	"strconv"
)

// Op is a measured operation.
type Op uint8

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

// String returns the operation's name as used in reports and thresholds.
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
// get that found nothing, 100+ErrorKind for a failed invocation).
const (
	CodeMiss          int32 = -1
	CodeOK            int32 = 0
	CodeQuotaExceeded int32 = 4
)

var codeNames = map[int32]string{
	-1: "miss", 0: "ok", 1: "invalid_ttl", 2: "too_large", 3: "write_limit",
	4: "quota_exceeded", 5: "not_available", 6: "internal", 7: "read_limit",
	8: "bad_key", 9: "no_capability",
	// Invocation outcomes: 100 + the host's ErrorKind (host/errors.go).
	101: "trap", 102: "timeout", 103: "abi_violation", 104: "alloc_failed",
	105: "memory_limit", 106: "other",
}

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
	if n, ok := codeNames[code]; ok {
		return n
	}
	return "error_" + strconv.Itoa(int(code))
}
