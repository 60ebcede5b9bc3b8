package store

import "strconv"

// Code is a Spark status code; values are the stable wire codes of the
// flaron/v1 ABI.
type Code int32

// The Spark status codes. Their numeric values are part of the wire format.
const (
	OK            Code = 0
	InvalidTTL    Code = 1
	TooLarge      Code = 2
	WriteLimit    Code = 3
	QuotaExceeded Code = 4
	NotAvailable  Code = 5
	Internal      Code = 6
	ReadLimit     Code = 7
	BadKey        Code = 8
	NoCapability  Code = 9
)

var codeNames = [...]string{
	OK:            "ok",
	InvalidTTL:    "invalid_ttl",
	TooLarge:      "too_large",
	WriteLimit:    "write_limit",
	QuotaExceeded: "quota_exceeded",
	NotAvailable:  "not_available",
	Internal:      "internal",
	ReadLimit:     "read_limit",
	BadKey:        "bad_key",
	NoCapability:  "no_capability",
}

// String returns the code's snake_case name, or "code(N)" for an unknown one.
func (c Code) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "code(" + strconv.Itoa(int(c)) + ")"
}
