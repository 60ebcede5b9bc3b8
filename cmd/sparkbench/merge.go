package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/sparkbench/sparkbench/reports"
)

const mergeUsage = `usage: sparkbench merge [--allow-partial] OUT IN...

Combines the JSON results of shards (run --shard i/N on several machines)
into OUT, exactly: histograms are added bucket by bucket, counters summed,
time series aligned by second. Runs with the same backend and repeat are
merged.

The inputs must make up whole runs: shards (or earlier merges of shards) of
one split, one workload (file, seed, overrides), one sparkbench build, each
shard exactly once. A missing shard is an error unless --allow-partial,
which marks the result partial (compare then refuses it unless told
otherwise).

Exit status: 0 ok, 1 runtime error, 2 usage error or inputs that do not
make a whole.

flags:
`

func runMerge(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("merge", mergeUsage, stderr)
	allowPartial := fs.Bool("allow-partial", false, "merge the shards present when some are missing, and mark the result partial")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return usageError(stderr, "merge", err)
	}
	if len(pos) < 2 {
		fs.Usage()
		return exitUsage
	}
	out := pos[0]
	var reps []*reports.Report
	for _, spec := range pos[1:] {
		files, err := expandFiles(spec)
		if err != nil {
			return usageError(stderr, "merge", err)
		}
		for _, f := range files {
			if same, _ := filepath.Abs(f); same == absOr(out) {
				return usageError(stderr, "merge", fmt.Errorf("%s is both the output and an input", f))
			}
			rep, err := readReportFile(f)
			if err != nil {
				fmt.Fprintf(stderr, "sparkbench merge: %s\n", oneLine(err))
				return exitForReadError(err)
			}
			reps = append(reps, rep)
		}
	}
	merged, err := reports.MergeReports(reps, reports.MergeOptions{AllowPartial: *allowPartial})
	if err != nil {
		return usageError(stderr, "merge", err)
	}
	if err := writeFileWith(out, func(w io.Writer) error { return reports.WriteJSON(w, merged) }); err != nil {
		fmt.Fprintf(stderr, "sparkbench merge: %v\n", err)
		return exitRuntime
	}
	fmt.Fprintf(stdout, "merged %d result(s) into %s\n", len(reps), out)
	for _, r := range merged.Runs {
		if r.Info.Partial {
			fmt.Fprintf(stderr, "sparkbench merge: warning: %s is partial: it carries only part of the load\n", r.Name())
		}
	}
	return exitOK
}

func absOr(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}
