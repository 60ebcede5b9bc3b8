package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sparkbench/sparkbench/internal/safefile"
	"github.com/sparkbench/sparkbench/reports"
)

// Result files as compare, merge and report read them.

// expandFiles splits a comma-separated list and expands globs.
func expandFiles(spec string) ([]string, error) {
	var files []string
	for _, part := range strings.Split(spec, ",") {
		if part == "" {
			continue
		}
		if strings.ContainsAny(part, "*?[") {
			m, err := filepath.Glob(part)
			if err != nil {
				return nil, fmt.Errorf("bad pattern %q: %w", part, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("%q matches no file", part)
			}
			files = append(files, m...)
			continue
		}
		files = append(files, part)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no result file in %q", spec)
	}
	return files, nil
}

// readReportFile reads one result file (reports.ReadFile: size-capped,
// range-checked, its runs remember the path).
func readReportFile(path string) (*reports.Report, error) { return reports.ReadFile(path) }

// exitForReadError: a missing or unreadable file is a runtime error (1); a
// file that is not a sparkbench result (bad or truncated JSON, other
// schema, corrupt histogram, values out of range, a device, FIFO or
// oversized file) is a usage error (2).
func exitForReadError(err error) int {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.Is(err, safefile.ErrNotRegular) || errors.Is(err, safefile.ErrTooLarge) ||
		errors.Is(err, reports.ErrSchema) || errors.Is(err, reports.ErrHistogram) || errors.Is(err, reports.ErrRange) ||
		errors.As(err, &syntax) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		strings.Contains(err.Error(), "json: unknown field") {
		return exitUsage
	}
	return exitRuntime
}

func usageError(stderr io.Writer, cmd string, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "sparkbench %s: %s\n", cmd, oneLine(err))
	return exitUsage
}

// parsePercent reads "5%", "5" (both 5%) or "2.5%" as a fraction.
func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || v < 0 || v != v || v > 1e6 {
		return 0, fmt.Errorf("%q: want a percentage such as 5%%", s)
	}
	return v / 100, nil
}

// writeFileWith creates path and writes it with fn.
func writeFileWith(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
