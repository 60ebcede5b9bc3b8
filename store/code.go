package store

import (
	"strconv"

	"github.com/sparkbench/sparkbench/internal/measure"
)

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

// String returns the code's snake_case name (internal/measure spells the
// names, for the reports too), or "code(N)" for an unknown one.
func (c Code) String() string {
	if n, ok := measure.SparkCodeName(int32(c)); ok {
		return n
	}
	return "code(" + strconv.Itoa(int(c)) + ")"
}
