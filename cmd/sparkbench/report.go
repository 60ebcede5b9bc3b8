package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sparkbench/sparkbench/reports"
)

const reportUsage = `usage: sparkbench report [flags] RESULT.json [MORE.json...]

Re-renders saved results (several files: their runs side by side, e.g.
backends run separately): the terminal summary on stdout (or, with
--bench, Go benchmark format lines for benchstat), and any of the files
below. --threshold KEY=EXPR (repeatable) checks thresholds as run does;
without it, thresholds stored in the result are shown (not re-checked).

Exit status: 0 ok, 1 runtime error, 2 usage error, 3 thresholds failed.

flags:
`

type thresholdFlags map[string]string

func (t thresholdFlags) String() string { return "" }
func (t thresholdFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("%q: want KEY=EXPR, e.g. 'spark_get.p99=< 20us'", s)
	}
	t[strings.TrimSpace(k)] = v
	return nil
}

func runReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, reportUsage); printFlags(fs) }
	htmlPath := fs.String("html", "", "write a self-contained HTML report to this file")
	mdPath := fs.String("md", "", "write a Markdown summary to this file")
	hgrmDir := fs.String("hgrm", "", "write .hgrm percentile spectra into this directory")
	jsonPath := fs.String("json", "", "write the result again as JSON to this file")
	bench := fs.Bool("bench", false, "print Go benchmark format lines (benchstat input) instead of the summary")
	ths := thresholdFlags{}
	fs.Var(ths, "threshold", "threshold KEY=EXPR to check (repeatable), e.g. 'spark_set.p99=< 5ms'")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return usageError(stderr, "report", err)
	}
	if len(pos) < 1 {
		fs.Usage()
		return 2
	}
	var rep *reports.Report
	for _, spec := range pos {
		files, err := expandFiles(spec)
		if err != nil {
			return usageError(stderr, "report", err)
		}
		for _, f := range files {
			r, err := readReportFile(f)
			if err != nil {
				fmt.Fprintf(stderr, "sparkbench report: %v\n", err)
				return exitForReadError(err)
			}
			if rep == nil {
				rep = r
			} else {
				rep.Runs = append(rep.Runs, r.Runs...)
			}
		}
	}
	var results []reports.ThresholdResult
	if len(ths) > 0 {
		if results, err = reports.Evaluate(rep, ths); err != nil {
			return usageError(stderr, "report", err)
		}
		rep.Thresholds = results // shown in --html and --md, kept in --json
	} else {
		results = rep.Thresholds // as the run stored them
	}
	type output struct {
		path string
		fn   func(io.Writer) error
	}
	outs := []output{
		{*htmlPath, func(w io.Writer) error { return reports.WriteHTML(w, rep) }},
		{*mdPath, func(w io.Writer) error { return reports.WriteMarkdown(w, rep) }},
		{*jsonPath, func(w io.Writer) error { return reports.WriteJSON(w, rep) }},
	}
	for _, o := range outs {
		if o.path == "" {
			continue
		}
		if err := writeFileWith(o.path, o.fn); err != nil {
			fmt.Fprintf(stderr, "sparkbench report: %v\n", err)
			return 1
		}
	}
	if *hgrmDir != "" {
		files, err := reports.WriteHgrmDir(*hgrmDir, rep)
		if err != nil {
			fmt.Fprintf(stderr, "sparkbench report: %v\n", err)
			return 1
		}
		sort.Strings(files)
		fmt.Fprintf(stderr, "wrote %d .hgrm files to %s\n", len(files), *hgrmDir)
	}
	if *bench {
		err = reports.WriteBench(stdout, rep)
	} else {
		err = reports.WriteText(stdout, rep)
	}
	if err == nil && len(results) > 0 {
		w := stdout
		if *bench {
			w = stderr
		}
		fmt.Fprintln(w)
		err = reports.WriteThresholdsText(w, results)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sparkbench report: %v\n", err)
		return 1
	}
	// Exit 3 only for thresholds checked now: re-rendering a result whose
	// stored thresholds failed is not itself a failure.
	if len(ths) > 0 && reports.ThresholdsFailed(results) {
		return 3
	}
	return 0
}
