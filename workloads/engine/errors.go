package engine

import "errors"

// ErrRun marks a run that could not complete (exit code 1), as opposed to
// a configuration error (a *workloads.FieldError, exit code 2).
var ErrRun = errors.New("run failed")
