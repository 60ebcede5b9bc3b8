package host

import (
	"errors"

	"github.com/sparkbench/sparkbench/internal/measure"
)

// Classified invocation errors; test with errors.Is. Invoke wraps them as
// "flare[NAME] ...: <sentinel>: detail".
var (
	// ErrTrap: the guest trapped (unreachable, division by zero, stack
	// overflow, out-of-bounds memory access, env.abort, ...).
	ErrTrap = errors.New("trap")
	// ErrTimeout: the invocation ran past Limits.InvocationTimeout and was
	// stopped.
	ErrTimeout = errors.New("timeout")
	// ErrABIViolation: the guest broke the flaron/v1 calling convention: a
	// (ptr, len) argument out of bounds, alloc returning an out-of-bounds
	// pointer, an unknown action from handle_request.
	ErrABIViolation = errors.New("abi_violation")
	// ErrAllocFailed: the guest's alloc export trapped or could not be
	// called while the host was returning data.
	ErrAllocFailed = errors.New("alloc_failed")
	// ErrMemoryLimit: the guest needs more memory than Limits.MaxMemoryPages
	// (it trapped after memory.grow was refused at the cap, or it declares
	// more memory than the cap).
	ErrMemoryLimit = errors.New("memory_limit")

	// ErrUnknownFlare: Invoke was given a nil or closed flare.
	ErrUnknownFlare = errors.New("unknown flare")
	// ErrUnknownNode: the request or a pull names a node not in Config.Nodes.
	ErrUnknownNode = errors.New("unknown node")
	// ErrUnknownSite: the request names a site not in Config.Sites.
	ErrUnknownSite = errors.New("unknown site")
	// ErrIncompatible: Load refused a module (unknown import, wrong
	// signature, missing export).
	ErrIncompatible = errors.New("incompatible module")
	// ErrSparkDisabled: a pull reached a node whose Spark is disabled.
	ErrSparkDisabled = errors.New("spark disabled")
	// ErrClosed: the Host was closed.
	ErrClosed = errors.New("host closed")
	// ErrBadConfig: New was given an invalid Config.
	ErrBadConfig = errors.New("bad host config")
)

// ErrorKind classifies an invocation error for reports. Outcome codes of
// OpInvocation are 0 (ok) or ErrorKind+100 (Code).
type ErrorKind uint8

// Error kinds.
const (
	KindNone ErrorKind = iota
	KindTrap
	KindTimeout
	KindABIViolation
	KindAllocFailed
	KindMemoryLimit
	KindOther
)

// String returns the kind's report name ("trap", "timeout", ...).
func (k ErrorKind) String() string {
	if n, ok := measure.ErrorKindName(uint8(k)); ok {
		return n
	}
	return "other"
}

// Code is the outcome code of an invocation that ended with this kind of
// error: 0 for KindNone, else 100 + the kind.
func (k ErrorKind) Code() int32 { return measure.InvocationCode(uint8(k)) }

// KindOf classifies err: KindNone for nil, KindOther for errors that are
// not invocation failures of the guest.
func KindOf(err error) ErrorKind {
	switch {
	case err == nil:
		return KindNone
	case errors.Is(err, ErrTimeout):
		return KindTimeout
	case errors.Is(err, ErrABIViolation):
		return KindABIViolation
	case errors.Is(err, ErrAllocFailed):
		return KindAllocFailed
	case errors.Is(err, ErrMemoryLimit):
		return KindMemoryLimit
	case errors.Is(err, ErrTrap):
		return KindTrap
	}
	return KindOther
}
