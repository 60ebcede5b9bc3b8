package workloads

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseSize parses a byte size: "256", "64KiB", "10MiB", "1GiB", "4KB", "2MB".
// Binary suffixes are powers of 1024, decimal ones powers of 1000.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty size")
	}
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
		{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
		{"B", 1},
	} {
		if strings.HasSuffix(t, u.suffix) {
			mult = u.mult
			t = strings.TrimSpace(strings.TrimSuffix(t, u.suffix))
			break
		}
	}
	if t == "" {
		return 0, fmt.Errorf("size %q has no number", s)
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("size %q is negative", s)
		}
		if n > math.MaxInt64/mult {
			return 0, fmt.Errorf("size %q overflows", s)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("size %q does not parse (want e.g. 256, 64KiB, 10MiB)", s)
	}
	if f < 0 {
		return 0, fmt.Errorf("size %q is negative", s)
	}
	v := f * float64(mult)
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q overflows", s)
	}
	return int64(v), nil
}

// ParseDuration parses a Go duration ("250us", "2ms", "5s", "1m30s") and
// also accepts a "d" suffix for days ("30d"). A bare "0" is zero.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if strings.HasSuffix(t, "d") && !strings.HasSuffix(t, "nd") {
		n, err := strconv.ParseFloat(strings.TrimSuffix(t, "d"), 64)
		if err != nil || n < 0 || math.IsNaN(n) || n*24*float64(time.Hour) > math.MaxInt64 {
			return 0, fmt.Errorf("duration %q does not parse (want e.g. 250us, 5s, 30d)", s)
		}
		return time.Duration(n * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("duration %q does not parse (want e.g. 250us, 5s, 1m)", s)
	}
	return d, nil
}

// ParseRate parses an arrival rate in invocations per second: "20000/s",
// "50/ms", "600/m", "1/h", or a bare number meaning per second.
func ParseRate(s string) (float64, error) {
	t := strings.TrimSpace(s)
	num, unit, hasUnit := strings.Cut(t, "/")
	per := time.Second
	if hasUnit {
		switch strings.TrimSpace(unit) {
		case "s", "1s", "sec":
			per = time.Second
		case "ms":
			per = time.Millisecond
		case "us", "µs":
			per = time.Microsecond
		case "m", "min", "1m":
			per = time.Minute
		case "h", "1h":
			per = time.Hour
		default:
			d, err := time.ParseDuration(strings.TrimSpace(unit))
			if err != nil || d <= 0 {
				return 0, fmt.Errorf("rate %q has an unknown unit (want e.g. 20000/s, 50/ms)", s)
			}
			per = d
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("rate %q does not parse (want e.g. 20000/s)", s)
	}
	return f * float64(time.Second) / float64(per), nil
}
