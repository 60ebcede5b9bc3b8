package abi

import "errors"

// Errors returned by Check; wrapped with the import's name.
var (
	ErrUnknownImport     = errors.New("unknown import")
	ErrSignatureMismatch = errors.New("import signature mismatch")
)
