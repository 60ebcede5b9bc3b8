package store

import (
	"errors"

	"github.com/sparkbench/sparkbench/store/internal/backend"
)

// Sentinel errors returned (wrapped) by Open, ParseDurability and Close.
var (
	// ErrUnknownBackend: Options.Backend is not one of Backends().
	ErrUnknownBackend = errors.New("unknown backend")
	// ErrUnknownDurability: not "group", "always" or "none".
	ErrUnknownDurability = errors.New("unknown durability")
	// ErrNoDir: a disk backend was asked for without Options.Dir.
	ErrNoDir = errors.New("a directory is required for a disk backend")
	// ErrBadOptions: a limit in Options is out of range.
	ErrBadOptions = errors.New("invalid options")
	// ErrCorrupt: data on disk is damaged; the error also holds a
	// *CorruptError naming the file and the damage.
	ErrCorrupt = backend.ErrCorrupt
	// ErrWrongBackend: Options.Dir holds a store of another backend.
	ErrWrongBackend = backend.ErrWrongBackend
	// ErrDiskFull: no space left on the device (ENOSPC, EDQUOT); the Kind
	// of a *FaultError.
	ErrDiskFull = backend.ErrDiskFull
	// ErrIO: the device reported an I/O error (EIO); the Kind of a
	// *FaultError.
	ErrIO = backend.ErrIO
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
)

// FaultError is a disk fault: Kind is ErrDiskFull or ErrIO, Op the
// operation ("write", "sync", "commit", "checkpoint", ...), Path the file
// (or the backend directory where the backend cannot tell which file), Err
// the error as the operating system returned it. Errors returned by Open
// and Close, and the error an Observer receives for a failed write, wrap
// it: find it with errors.As, or test the kind with errors.Is(err,
// ErrDiskFull).
type FaultError = backend.FaultError

// CorruptError names a damaged file (or, for pebble, the store directory)
// and what is wrong with it; it wraps ErrCorrupt.
type CorruptError = backend.CorruptError

// Recovery is what Open found on disk and, with Options.Recover, what it
// did about damage: see Stats.Recovery. Records kept are Stats.ReloadedKeys.
type Recovery = backend.Recovery

// MarkerName is the file in Options.Dir that records that a store of a
// given backend was created there.
const MarkerName = backend.MarkerName
