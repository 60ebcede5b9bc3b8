package workloads

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Sentinel errors; a *FieldError wraps one of them when the cause is known.
var (
	// ErrInvalid marks a workload file that does not satisfy the schema.
	ErrInvalid = errors.New("invalid workload")
	// ErrFlare marks a flare that cannot be found or loaded.
	ErrFlare = errors.New("flare unavailable")
	// ErrCapability marks a scenario whose flare writes Spark on a site
	// without the writes_spark_kv capability.
	ErrCapability = errors.New("missing capability")
	// ErrOverride marks a --set override that cannot be applied.
	ErrOverride = errors.New("bad override")
)

// FieldError is a configuration error located in a workload file.
type FieldError struct {
	File   string // path as given
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based; 0 when unknown
	Path   string // dotted field path, e.g. "scenarios.0.executor.rate"
	Msg    string
	Err    error // sentinel or underlying cause; may be nil
}

// Error renders "file:line:col: field.path: message".
func (e *FieldError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	}
	if e.Path == "" {
		return loc + ": " + e.Msg
	}
	return loc + ": " + e.Path + ": " + e.Msg
}

// Unwrap returns the sentinel or cause.
func (e *FieldError) Unwrap() error {
	if e.Err == nil {
		return ErrInvalid
	}
	return e.Err
}

// Errors are every error found in one workload file, in file order; a
// file with one error gives that *FieldError itself.
type Errors []*FieldError

// Error renders one error per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// fieldErrors returns the one error, or all of them, sorted by position.
func fieldErrors(es []*FieldError) error {
	if len(es) == 1 {
		return es[0]
	}
	sorted := slices.Clone(es)
	slices.SortStableFunc(sorted, func(a, b *FieldError) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	return Errors(sorted)
}
