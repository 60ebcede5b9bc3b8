package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/sparkbench/sparkbench/reports"
)

const compareUsage = `usage: sparkbench compare [flags] BASE NEW
       sparkbench compare [flags] AB.json

Compares two sides of results. Each side is one JSON result file, a
comma-separated list of files or a glob ('base-*.json'); a single file is
the combined result of sparkbench ab (both sides, in pairs).

Runs of an A/B session (sparkbench ab) are compared pair by pair: a
Wilcoxon signed-rank test on each pair's log ratio, the family-wise error
over the gated metrics held at --alpha by a permutation (minP) adjustment.
Other runs are two independent samples: Mann-Whitney U tests, Holm's
correction. Every change is shown with its confidence interval.

A gated metric (--metrics; by default response and invocation p50/p99,
each Spark operation's p99 and invocation.rate) is a regression when its
adjusted p-value is below --alpha AND its estimated change is worse than
--threshold. Other metrics are informational and never fail. With too few
runs for a test (4 a side unpaired, 6 pairs, at alpha 0.05) metrics are not
tested unless --single-run-threshold is set.

Both sides must have run the same workload (file, seed, overrides,
durability, timeout mode) unless --config declares a configuration
comparison; single shards and partial merges are refused (--allow-partial
accepts the latter).

Exit status: 0 no regression, 1 runtime error, 2 usage error or results
that cannot be compared, 4 regression.

flags:
`

// compareFlags are the flags compare and ab share.
type compareFlags struct {
	alpha                     float64
	threshold, single         string
	metrics                   string
	format, md, html, jsonOut string
}

func (cf *compareFlags) register(fs interface {
	Float64Var(*float64, string, float64, string)
	StringVar(*string, string, string, string)
}) {
	def := reports.DefaultCompareOptions()
	fs.Float64Var(&cf.alpha, "alpha", def.Alpha, "family-wise significance level (and 1 - confidence of the intervals)")
	fs.StringVar(&cf.threshold, "threshold", "5%", "minimum effect size to flag, in percent of the base")
	fs.StringVar(&cf.single, "single-run-threshold", "0", "with too few runs for a test, flag metrics worse by more than this percent (0: never flag)")
	fs.StringVar(&cf.metrics, "metrics", "", "comma-separated patterns of the metrics that gate (e.g. 'invocation.p99,spark_*.p99'; 'all'); default: "+strings.Join(reports.DefaultGatedMetrics, ","))
	fs.StringVar(&cf.format, "format", "text", "output on stdout: text, markdown or json")
	fs.StringVar(&cf.md, "md", "", "also write the comparison as Markdown to this file")
	fs.StringVar(&cf.html, "html", "", "also write the comparison as a self-contained HTML page to this file")
	fs.StringVar(&cf.jsonOut, "json", "", "also write the comparison as JSON to this file")
}

// options turns the flags into CompareOptions (with a usage error).
func (cf *compareFlags) options() (reports.CompareOptions, error) {
	opts := reports.DefaultCompareOptions()
	opts.Alpha = cf.alpha
	var err error
	if opts.Threshold, err = parsePercent(cf.threshold); err != nil {
		return opts, fmt.Errorf("--threshold: %w", err)
	}
	if opts.SingleRunThreshold, err = parsePercent(cf.single); err != nil {
		return opts, fmt.Errorf("--single-run-threshold: %w", err)
	}
	if cf.metrics != "" {
		for _, m := range strings.Split(cf.metrics, ",") {
			if m = strings.TrimSpace(m); m != "" {
				opts.Metrics = append(opts.Metrics, m)
			}
		}
		if len(opts.Metrics) == 0 {
			return opts, fmt.Errorf("--metrics %q: no pattern", cf.metrics)
		}
	}
	switch cf.format {
	case "text", "markdown", "json":
	default:
		return opts, fmt.Errorf("--format %q: want text, markdown or json", cf.format)
	}
	return opts, nil
}

// write prints the comparison on stdout in --format and writes the
// --md/--html/--json files.
func (cf *compareFlags) write(stdout io.Writer, c *reports.Comparison) error {
	var err error
	switch cf.format {
	case "markdown":
		err = reports.WriteCompareMarkdown(stdout, c)
	case "json":
		err = reports.WriteCompareJSON(stdout, c)
	default:
		err = reports.WriteCompareText(stdout, c)
	}
	for _, o := range []struct {
		path string
		fn   func(io.Writer, *reports.Comparison) error
	}{{cf.md, reports.WriteCompareMarkdown}, {cf.html, reports.WriteCompareHTML}, {cf.jsonOut, reports.WriteCompareJSON}} {
		if err == nil && o.path != "" {
			err = writeFileWith(o.path, func(w io.Writer) error { return o.fn(w, c) })
		}
	}
	return err
}

func runCompare(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("compare", compareUsage, stderr)
	var cf compareFlags
	cf.register(fs)
	config := fs.Bool("config", false, "a configuration comparison: the sides may have run different workloads (file, seed, overrides, backend)")
	allowPartial := fs.Bool("allow-partial", false, "accept partial merges (merge --allow-partial), which carry only part of the load")
	unpaired := fs.Bool("unpaired", false, "analyse A/B pairs as two independent batches (diagnostics)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return usageError(stderr, "compare", err)
	}
	if len(pos) < 1 || len(pos) > 2 {
		fs.Usage()
		return exitUsage
	}
	opts, err := cf.options()
	if err != nil {
		return usageError(stderr, "compare", err)
	}
	opts.Config, opts.AllowPartial, opts.Unpaired = *config, *allowPartial, *unpaired
	var base, nw *reports.Report
	if len(pos) == 1 {
		ab, code := readSide(pos[0], stderr)
		if code != 0 {
			return code
		}
		if base, nw, err = reports.SplitSides(ab); err != nil {
			return usageError(stderr, "compare", err)
		}
	} else {
		var code int
		if base, code = readSide(pos[0], stderr); code != 0 {
			return code
		}
		if nw, code = readSide(pos[1], stderr); code != 0 {
			return code
		}
	}
	c, err := reports.Compare(base, nw, opts)
	if err != nil {
		return usageError(stderr, "compare", err)
	}
	if err := cf.write(stdout, c); err != nil {
		fmt.Fprintf(stderr, "sparkbench compare: %v\n", err)
		return exitRuntime
	}
	if c.Regressions() > 0 {
		return exitRegression
	}
	return exitOK
}

// readSide reads the files of one side and concatenates their runs.
func readSide(spec string, stderr io.Writer) (*reports.Report, int) {
	files, err := expandFiles(spec)
	if err != nil {
		return nil, usageError(stderr, "compare", err)
	}
	var reps []*reports.Report
	runs := 0
	for _, f := range files {
		rep, err := readReportFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "sparkbench compare: %s\n", oneLine(err))
			return nil, exitForReadError(err)
		}
		if runs += len(rep.Runs); runs > reports.MaxRuns {
			return nil, usageError(stderr, "compare", fmt.Errorf("%s: more than %d runs on one side", spec, reports.MaxRuns))
		}
		reps = append(reps, rep)
	}
	out := &reports.Report{Schema: reports.SchemaVersion, Env: reps[0].Env}
	for _, r := range reps {
		out.Runs = append(out.Runs, r.Runs...)
	}
	return out, 0
}
