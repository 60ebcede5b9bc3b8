package measure

// Outcome codes. A spark_* call ends with its Spark status code (the wire
// code of store.Code: 0 ok, 1 invalid_ttl ... 9 no_capability) or, for a
// get that found nothing, CodeMiss; an invocation ends with CodeOK or
// InvocationCode of its error kind; a response ends like its invocation,
// or with CodeStatus when the invocation succeeded with a status the
// scenario does not expect.
const (
	CodeMiss          int32 = -1
	CodeOK            int32 = 0
	CodeQuotaExceeded int32 = 4
	// CodeStatus ("status") is a response whose HTTP status is not in the
	// scenario's expect.status: the flare ran, the request failed. Not 200
	// or another HTTP-looking number, so that a result file cannot be read
	// as holding HTTP statuses.
	CodeStatus int32 = 90
)

// invocationCodeBase + an error kind is an invocation's outcome code.
const invocationCodeBase = 100

// sparkCodeNames are the Spark status codes' names, indexed by code.
var sparkCodeNames = [...]string{
	"ok", "invalid_ttl", "too_large", "write_limit", "quota_exceeded",
	"not_available", "internal", "read_limit", "bad_key", "no_capability",
}

// errorKindNames are the names of the host's invocation error kinds,
// indexed by kind (0: no error).
var errorKindNames = [...]string{"ok", "trap", "timeout", "abi_violation", "alloc_failed", "memory_limit", "other"}

// SparkCodeName names a Spark status code ("ok", "invalid_ttl", ...).
func SparkCodeName(code int32) (string, bool) {
	if code < 0 || int(code) >= len(sparkCodeNames) {
		return "", false
	}
	return sparkCodeNames[code], true
}

// ErrorKindName names an invocation error kind ("ok" for 0, "trap",
// "timeout", "abi_violation", "alloc_failed", "memory_limit", "other").
func ErrorKindName(kind uint8) (string, bool) {
	if int(kind) >= len(errorKindNames) {
		return "", false
	}
	return errorKindNames[kind], true
}

// InvocationCode is the outcome code of an invocation that ended with the
// given error kind: CodeOK for none (0), else 100 + kind.
func InvocationCode(kind uint8) int32 {
	if kind == 0 {
		return CodeOK
	}
	return invocationCodeBase + int32(kind)
}

// CodeName names an outcome code: "miss", a Spark status code's name,
// "status" (CodeStatus), or an invocation error kind's name (codes 101 and
// up).
func CodeName(code int32) (string, bool) {
	switch {
	case code == CodeMiss:
		return "miss", true
	case code == CodeStatus:
		return "status", true
	case code > invocationCodeBase:
		return ErrorKindName(uint8(min(code-invocationCodeBase, 255)))
	}
	return SparkCodeName(code)
}
