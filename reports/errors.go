package reports

import "errors"

var (
	// ErrSchema is returned by ReadJSON for a document that is not a
	// sparkbench report or has an unsupported schema version.
	ErrSchema = errors.New("reports: unsupported result schema")
	// ErrThreshold is returned by Evaluate for an invalid threshold key or
	// expression; the error text names the threshold key.
	ErrThreshold = errors.New("reports: invalid threshold")
	// ErrMerge is returned by Merge for inputs that cannot be combined.
	ErrMerge = errors.New("reports: cannot merge")
	// ErrCompare is returned by Compare for inputs that cannot be compared.
	ErrCompare = errors.New("reports: cannot compare")
	// ErrHistogram is returned when an encoded histogram cannot be decoded.
	ErrHistogram = errors.New("reports: bad histogram")
	// ErrRange is returned by ReadJSON for a result whose values are out
	// of range: negative durations or counts, or counts so large that
	// merging or pooling results could overflow.
	ErrRange = errors.New("reports: value out of range")
	// ErrPartial is returned by Merge for missing shards (unless partial
	// merges are allowed) and by Compare for a partial merge (unless
	// allowed).
	ErrPartial = errors.New("reports: partial result")
)
