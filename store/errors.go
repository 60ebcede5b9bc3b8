package store

import "errors"

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
	// ErrCorrupt: a record on disk could not be decoded on reload.
	ErrCorrupt = errors.New("corrupt record")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
)
