package main

import (
	"bytes"
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

// maxResultBytes caps a result file read by compare, merge and report: a
// long soak with many groups stays far below it, /dev/zero does not.
const maxResultBytes = 1 << 30

const compareUsage = `usage: sparkbench compare [flags] BASE NEW

Compares two sides of results. Each side is one JSON result file, a
comma-separated list of files or a glob ('base-*.json'); the runs of a side
(run --count N, or several files) are the samples of a Mann-Whitney U test
per backend and metric (each operation's p50, p99, mean and rate).

A metric is a regression when the test is significant at --alpha AND it is
worse than the base by more than --threshold. With fewer runs per side than
the test needs (4 at alpha 0.05; a single run in particular) metrics are not
tested and never fail, unless --single-run-threshold is set: then a metric
worse by more than it is a regression.

Exit status: 0 no regression, 1 runtime error, 2 usage error, 4 regression.

flags:
`

func runCompare(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, compareUsage); printFlags(fs) }
	def := reports.DefaultCompareOptions()
	alpha := fs.Float64("alpha", def.Alpha, "significance level of the U test")
	threshold := fs.String("threshold", "5%", "minimum effect size to flag, in percent of the base")
	single := fs.String("single-run-threshold", "0", "with too few runs for a test, flag metrics worse by more than this percent (0: never flag)")
	format := fs.String("format", "text", "output on stdout: text or markdown")
	mdPath := fs.String("md", "", "also write the comparison as Markdown to this file")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return usageError(stderr, "compare", err)
	}
	if len(pos) != 2 {
		fs.Usage()
		return 2
	}
	opts := def
	opts.Alpha = *alpha
	if opts.Threshold, err = parsePercent(*threshold); err != nil {
		return usageError(stderr, "compare", fmt.Errorf("--threshold: %w", err))
	}
	if opts.SingleRunThreshold, err = parsePercent(*single); err != nil {
		return usageError(stderr, "compare", fmt.Errorf("--single-run-threshold: %w", err))
	}
	if *format != "text" && *format != "markdown" {
		return usageError(stderr, "compare", fmt.Errorf("--format %q: want text or markdown", *format))
	}
	base, code := readSide(pos[0], stderr)
	if code != 0 {
		return code
	}
	nw, code := readSide(pos[1], stderr)
	if code != 0 {
		return code
	}
	c, err := reports.Compare(base, nw, opts)
	if err != nil {
		return usageError(stderr, "compare", err)
	}
	if *format == "markdown" {
		err = reports.WriteCompareMarkdown(stdout, c)
	} else {
		err = reports.WriteCompareText(stdout, c)
	}
	if err == nil && *mdPath != "" {
		err = writeFileWith(*mdPath, func(w io.Writer) error { return reports.WriteCompareMarkdown(w, c) })
	}
	if err != nil {
		fmt.Fprintf(stderr, "sparkbench compare: %v\n", err)
		return 1
	}
	if c.Regressions() > 0 {
		return 4
	}
	return 0
}

// readSide reads the files of one side and concatenates their runs.
func readSide(spec string, stderr io.Writer) (*reports.Report, int) {
	files, err := expandFiles(spec)
	if err != nil {
		return nil, usageError(stderr, "compare", err)
	}
	var reps []*reports.Report
	for _, f := range files {
		rep, err := readReportFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "sparkbench compare: %v\n", err)
			return nil, exitForReadError(err)
		}
		reps = append(reps, rep)
	}
	out := &reports.Report{Schema: reports.SchemaVersion, Env: reps[0].Env}
	for _, r := range reps {
		out.Runs = append(out.Runs, r.Runs...)
	}
	return out, 0
}

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

func readReportFile(path string) (*reports.Report, error) {
	data, err := safefile.ReadFile(path, maxResultBytes)
	if err != nil {
		return nil, err
	}
	rep, err := reports.ReadJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}

// exitForReadError: a missing or unreadable file is a runtime error (1); a
// file that is not a sparkbench result (bad JSON, other schema, corrupt
// histogram, a device, FIFO or oversized file) is a usage error (2).
func exitForReadError(err error) int {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.Is(err, safefile.ErrNotRegular) || errors.Is(err, safefile.ErrTooLarge) ||
		errors.Is(err, reports.ErrSchema) || errors.Is(err, reports.ErrHistogram) ||
		errors.As(err, &syntax) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "json: unknown field") {
		return 2
	}
	return 1
}

func usageError(stderr io.Writer, cmd string, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "sparkbench %s: %v\n", cmd, err)
	return 2
}

// parsePercent reads "5%", "5" (both 5%) or "2.5%" as a fraction.
func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || v < 0 || v != v {
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
