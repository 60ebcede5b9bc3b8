package beam

import "errors"

// Errors returned by FetchContext; Fetch reports them as ok=false.
var (
	ErrBadURL     = errors.New("beam: malformed url")
	ErrBadOptions = errors.New("beam: malformed fetch options")
)
