package store

import "time"

// BackendOp names what an Observer is told about.
type BackendOp uint8

const (
	// BackendRead is one read served by the store: an index lookup (Get).
	BackendRead BackendOp = iota
	// BackendWrite is one durable write (Set, Delete, Import): the time from
	// handing the write to the backend until it is durable (including the
	// wait for a group commit).
	BackendWrite
)

// String returns "read" or "write".
func (o BackendOp) String() string {
	if o == BackendRead {
		return "read"
	}
	return "write"
}

// Observer receives the duration of each backend read and each durable
// write. It is called on the caller's goroutine and must be safe for
// concurrent use. With no Observer set the store makes no clock calls for it.
type Observer interface {
	ObserveBackend(op BackendOp, d time.Duration, err error)
}
