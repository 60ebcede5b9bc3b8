package backend

import (
	"errors"
	"io/fs"
	"syscall"
)

// FaultError is a disk fault a backend met: the disk is full (Kind
// ErrDiskFull) or the device reported an I/O error (Kind ErrIO). It names
// the operation and the file, and wraps both the kind and the error as the
// operating system returned it, so errors.Is(err, ErrDiskFull) and
// errors.Is(err, syscall.ENOSPC) both hold, and errors.As finds the path.
type FaultError struct {
	Kind error  // ErrDiskFull or ErrIO
	Op   string // what failed: "write", "sync", "create", "commit", "checkpoint", "read", "open", ...
	Path string // the file (or, where the backend cannot tell which, its directory)
	Err  error  // the underlying error
}

// Error reads like "disk full: write /d/wal-00000000000000000007.log: no
// space left on device".
func (e *FaultError) Error() string {
	msg := e.Kind.Error() + ": " + e.Op
	if e.Path != "" {
		msg += " " + e.Path
	}
	var errno syscall.Errno
	if errors.As(e.Err, &errno) {
		return msg + ": " + errno.Error()
	}
	return msg + ": " + e.Err.Error()
}

// Unwrap returns the kind and the underlying error.
func (e *FaultError) Unwrap() []error { return []error{e.Kind, e.Err} }

// faultKind returns ErrDiskFull or ErrIO when err is (or wraps) the errno
// of one, else nil.
func faultKind(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return ErrDiskFull
	case errors.Is(err, syscall.EIO):
		return ErrIO
	}
	return nil
}

// classify wraps err in a *FaultError when it is a disk fault (and is not
// one already); other errors pass unchanged. The path of an *fs.PathError
// in err, which names the file, is preferred to path (a file or the
// backend's directory).
func classify(op, path string, err error) error {
	kind := faultKind(err)
	if kind == nil {
		return err
	}
	var fe *FaultError
	if errors.As(err, &fe) {
		return err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path != "" {
		path = pe.Path
	}
	return &FaultError{Kind: kind, Op: op, Path: path, Err: err}
}

// AsFault returns the disk fault err carries, if any.
func AsFault(err error) (*FaultError, bool) {
	var fe *FaultError
	if errors.As(err, &fe) {
		return fe, true
	}
	return nil, false
}
