package reports

import (
	"fmt"
	"io"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// WriteBench writes Go benchmark format lines that benchstat reads: one
// line per run, scenario, node and operation, named
// Spark/scenario=S/node=N/backend=B/op=OP, with the sample count as
// iterations and the mean (ns/op), p50-ns, p90-ns, p99-ns, p99.9-ns, max-ns,
// ops/s and errors as values. Repeated runs (run --count N) give benchstat
// N lines of the same name; compare two files with
// "benchstat base.txt new.txt", or backends with "benchstat -col /backend".
func WriteBench(w io.Writer, rep *Report) error {
	bw := benchfmt.NewWriter(w)
	for _, run := range rep.Runs {
		cfg := []benchfmt.Config{
			{Key: "goos", Value: []byte(rep.Env.OS), File: true},
			{Key: "goarch", Value: []byte(rep.Env.Arch), File: true},
			{Key: "cpu", Value: []byte(rep.Env.CPU), File: true},
			{Key: "workload", Value: []byte(run.Info.Workload), File: true},
			{Key: "durability", Value: []byte(run.Info.Durability), File: true},
			{Key: "timeout-mode", Value: []byte(run.Info.TimeoutMode), File: true},
		}
		for _, g := range run.Groups {
			for _, o := range g.Ops {
				h := o.All()
				if h.Count() == 0 {
					continue
				}
				rate := g.Rate(run, o.Op)
				res := &benchfmt.Result{
					Config: cfg,
					Name: benchfmt.Name(fmt.Sprintf("Spark/scenario=%s/node=%s/backend=%s/op=%s",
						benchSafe(g.Labels.Scenario), benchSafe(g.Labels.Node), benchSafe(run.Info.Backend), o.Op)),
					Iters: int(h.Count()),
					Values: []benchfmt.Value{
						{Value: float64(h.Mean()), Unit: "ns/op"},
						{Value: float64(h.Quantile(.5)), Unit: "p50-ns"},
						{Value: float64(h.Quantile(.9)), Unit: "p90-ns"},
						{Value: float64(h.Quantile(.99)), Unit: "p99-ns"},
						{Value: float64(h.Quantile(.999)), Unit: "p99.9-ns"},
						{Value: float64(h.Max()), Unit: "max-ns"},
						{Value: rate, Unit: "ops/s"},
						{Value: float64(o.Errors()), Unit: "errors"},
					},
				}
				if err := bw.Write(res); err != nil {
					return fmt.Errorf("reports: bench: %w", err)
				}
			}
		}
	}
	return nil
}

// benchSafe keeps a name part free of the characters the benchmark format
// uses as separators.
func benchSafe(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '/' || r == '\t' || r == '=' {
			return '_'
		}
		return r
	}, s)
}
