package host

import (
	"errors"
	"strings"

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
	// more memory than the cap), or more host memory than a host-side cap
	// allows (MaxResponseHeaderBytes).
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
	// ErrModuleLimit: Load refused a module that declares more than a
	// ModuleLimits field allows (tables, globals, imports, segments, a
	// function body or its locals).
	ErrModuleLimit = errors.New("module_limit")
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

// kindErrs maps each guest failure kind to its sentinel.
var kindErrs = [...]error{KindTrap: ErrTrap, KindTimeout: ErrTimeout, KindABIViolation: ErrABIViolation,
	KindAllocFailed: ErrAllocFailed, KindMemoryLimit: ErrMemoryLimit}

// GuestError is a classified failure of guest code: the error of a failed
// invocation, and of Load when the module's start function or _initialize
// fails. errors.Is matches the sentinel of its Kind (ErrTrap, ErrTimeout,
// ...); errors.As gives a caller Kind and Detail to count failures by
// without parsing text.
type GuestError struct {
	Flare string // the flare's name
	// Func is the guest function that was running: "handle_request",
	// "start" (the module's start section) or "_initialize".
	Func string
	Kind ErrorKind // KindTrap, KindTimeout, KindABIViolation, KindAllocFailed or KindMemoryLimit
	// Detail says what happened in a short line that is the same for the
	// same failure, fit to count by: "integer divide by zero",
	// `env.abort: "boom" at file.ts:7:5`, `unreachable after log_error
	// "panicked at src/lib.rs:3:5: boom"`, "stack exhausted", "stopped
	// after 1s", "spark_set: value outside guest memory".
	Detail string
	// Info gives the particulars of this occurrence (pointers, lengths,
	// sizes), or "".
	Info string
}

// Error returns "flare[NAME] FUNC: KIND: DETAIL (INFO)".
func (e *GuestError) Error() string {
	var b strings.Builder
	b.WriteString("flare[")
	b.WriteString(e.Flare)
	b.WriteString("] ")
	b.WriteString(e.Func)
	b.WriteString(": ")
	b.WriteString(e.Kind.String())
	b.WriteString(": ")
	b.WriteString(e.Detail)
	if e.Info != "" {
		b.WriteString(" (")
		b.WriteString(e.Info)
		b.WriteByte(')')
	}
	return b.String()
}

// Unwrap returns the sentinel of e's Kind.
func (e *GuestError) Unwrap() error {
	if int(e.Kind) < len(kindErrs) && kindErrs[e.Kind] != nil {
		return kindErrs[e.Kind]
	}
	return nil
}

// maxDetail bounds a Detail taken from guest output (a log line, an abort
// message): reports count by it, so it must stay a short line.
const maxDetail = 160

// shortLine returns the first line of s, cut to maxDetail bytes on a
// UTF-8 boundary.
func shortLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return cutDetail(s)
}

// guestLine returns a message of the guest on one line (line breaks become
// spaces: Rust's panic message follows its location on a new line), cut
// to maxDetail bytes on a UTF-8 boundary.
func guestLine(s string) string {
	s = cutDetail(s)
	if strings.ContainsAny(s, "\r\n") {
		s = strings.Join(strings.Fields(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)), " ")
	}
	return s
}

// cutDetail cuts s to maxDetail bytes on a UTF-8 boundary.
func cutDetail(s string) string {
	if len(s) <= maxDetail {
		return s
	}
	cut := maxDetail
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}
