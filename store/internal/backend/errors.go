package backend

import "errors"

// Sentinel errors of the backends, returned wrapped with where they
// happened (for example "bbolt wal: append segment 7: wal write: ...").
var (
	// ErrUnknown reports an unknown backend name.
	ErrUnknown = errors.New("unknown backend")
	// ErrWALWrite: creating, writing or syncing a WAL segment failed; the
	// Apply that met it changed nothing (in memory) and was not
	// acknowledged.
	ErrWALWrite = errors.New("wal write")
	// ErrCheckpoint: folding the WAL into bbolt failed; the WAL segments
	// and the pending mutations are kept and the checkpoint is retried.
	ErrCheckpoint = errors.New("wal checkpoint")
	// ErrWALBacklog: the pending (not yet checkpointed) mutations reached
	// their memory bound and the last checkpoint failed, so the write is
	// refused rather than grow memory without bound.
	ErrWALBacklog = errors.New("wal backlog: checkpoint failing")
	// ErrWALRecover: the WAL could not be replayed into bbolt at open.
	ErrWALRecover = errors.New("wal recovery")
	// ErrClosed: Apply after Close.
	ErrClosed = errors.New("backend closed")
	// ErrCorrupt: data on disk is damaged (see *CorruptError).
	ErrCorrupt = errors.New("corrupt data")
	// ErrWrongBackend: the directory holds a store of another backend.
	ErrWrongBackend = errors.New("directory holds another backend's store")
	// ErrDiskFull: a write found no space left on the device (ENOSPC or
	// EDQUOT); the kind of a *FaultError.
	ErrDiskFull = errors.New("disk full")
	// ErrIO: the device reported an I/O error (EIO); the kind of a
	// *FaultError.
	ErrIO = errors.New("I/O error")
)
