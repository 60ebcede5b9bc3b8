package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/sparkbench/sparkbench/reports"
)

const mergeUsage = `usage: sparkbench merge OUT IN...

Combines the JSON results of shards (run --shard i/N on several machines)
into OUT, exactly: histograms are added bucket by bucket, counters summed,
time series aligned by second. Runs with the same backend and repeat are
merged; they must come from the same workload file.

Exit status: 0 ok, 1 runtime error, 2 usage error or inputs that do not match.
`

func runMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, mergeUsage) }
	pos, err := parseFlags(fs, args)
	if err != nil {
		return usageError(stderr, "merge", err)
	}
	if len(pos) < 2 {
		fs.Usage()
		return 2
	}
	var reps []*reports.Report
	for _, spec := range pos[1:] {
		files, err := expandFiles(spec)
		if err != nil {
			return usageError(stderr, "merge", err)
		}
		for _, f := range files {
			rep, err := readReportFile(f)
			if err != nil {
				fmt.Fprintf(stderr, "sparkbench merge: %v\n", err)
				return exitForReadError(err)
			}
			reps = append(reps, rep)
		}
	}
	merged, err := reports.MergeReports(reps)
	if err != nil {
		return usageError(stderr, "merge", err)
	}
	if err := writeFileWith(pos[0], func(w io.Writer) error { return reports.WriteJSON(w, merged) }); err != nil {
		fmt.Fprintf(stderr, "sparkbench merge: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "merged %d result(s) into %s\n", len(reps), pos[0])
	return 0
}
