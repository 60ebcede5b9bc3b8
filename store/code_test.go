package store

import (
	"errors"
	"testing"

	"github.com/sparkbench/sparkbench/internal/measure"
)

// TestCodesAreMeasureCodes: the reports read the store's codes through
// internal/measure; the wire codes and their names must be the same there.
func TestCodesAreMeasureCodes(t *testing.T) {
	if int32(OK) != measure.CodeOK || int32(QuotaExceeded) != measure.CodeQuotaExceeded {
		t.Errorf("OK %d, QuotaExceeded %d; measure says %d, %d", OK, QuotaExceeded, measure.CodeOK, measure.CodeQuotaExceeded)
	}
	for c, want := range map[Code]string{OK: "ok", InvalidTTL: "invalid_ttl", TooLarge: "too_large", WriteLimit: "write_limit",
		QuotaExceeded: "quota_exceeded", NotAvailable: "not_available", Internal: "internal", ReadLimit: "read_limit",
		BadKey: "bad_key", NoCapability: "no_capability", 42: "code(42)", -1: "code(-1)"} {
		if c.String() != want {
			t.Errorf("Code(%d) = %q, want %q", c, c.String(), want)
		}
	}
}

func TestParseBackend(t *testing.T) {
	for _, b := range Backends() {
		if got, err := ParseBackend(b.String()); err != nil || got != b {
			t.Errorf("ParseBackend(%q) = %q, %v", b, got, err)
		}
	}
	for _, s := range []string{"", "rocks", "Memory", " bbolt"} {
		if _, err := ParseBackend(s); !errors.Is(err, ErrUnknownBackend) {
			t.Errorf("ParseBackend(%q): %v, want ErrUnknownBackend", s, err)
		}
	}
}
